/**
 * The only place the compiled addon (native/build/Release/vpcmesh_tun.node) is loaded,
 * lazily on first use. NativePacketEngine adapts its raw API to {@link PacketEngine}.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type {
  CipherName,
  EngineInfo,
  EngineSessions,
  EngineStats,
  PacketEngine,
  PacketEngineOptions,
  PacketHandlers,
  SessionKeys,
  TunBatch,
  UdpBatch,
  UdpEndpoint,
} from './engine.js'
import { TunError, toTunError, type TunErrorCode } from './errors.js'
import { decodeStats, GLOBAL_STAT_FIELDS, SLOT_STAT_FIELDS } from './stats.js'

/** The arrays the addon shares with JS (see native/engine.cc AllocateShared). */
interface NativeViews {
  tunBuffer: Uint8Array
  tunOffsets: Int32Array
  tunLengths: Int32Array
  tunSlots: Int32Array
  udpBuffer: Uint8Array
  udpOffsets: Int32Array
  udpLengths: Int32Array
  udpSlots: Int32Array
  udpKinds: Uint8Array
  udpFlags: Uint8Array
  udpVerdicts: Uint8Array
  slotStats: BigUint64Array
  globalStats: BigUint64Array
}

/** The addon's Engine object (native/engine.h). */
interface NativeEngine {
  start(onTun: (n: number) => void, onUdp: (n: number) => void, onError: (code: string, msg: string) => void): void
  close(): void
  setSession(slot: number, keys: SessionKeys): void
  setEndpoint(slot: number, ip: string, port: number): void
  clearSession(slot: number): void
  sealAndSend(count?: number): number
  sealAndSendOne(slot: number, payload: Uint8Array): boolean
  writeTun(count?: number): number
  sendRaw(datagram: Uint8Array, ip: string, port: number): boolean
  udpSource(i: number): UdpEndpoint | undefined
  views(): NativeViews
  info(): EngineInfo & { closed: boolean; offload: boolean }
}

/** Test and benchmark hooks of the addon (native/test_hooks.h). */
export interface NativeTestHooks {
  /** For each counter in order: 1 if a fresh replay window accepts (and records) it. */
  replayWindowRun(counters: BigUint64Array): Uint8Array
  /** One data message exactly as the engine seals it. */
  sealForTest(
    cipher: CipherName,
    key: Uint8Array,
    receiverIndex: number,
    counter: bigint,
    plaintext: Uint8Array,
  ): Uint8Array
  /** Batched in-place AEAD timing with reused contexts. */
  aeadBench(
    cipher: CipherName,
    payloadBytes: number,
    packets: number,
  ): { sealNsPerPacket: number; openNsPerPacket: number; openOk: number }
  /** The engine's TSO segmentation on one super-packet: the segments, or a negative error (-1 malformed, -2 too big, -3 too many). */
  tcpSegment(packet: Uint8Array, vnet: { gsoType: number; gsoSize: number }, mtu: number): Uint8Array[] | number
  /** The engine's receive-side coalescing over consecutive packets: one result per TUN write. */
  tcpCoalesce(packets: Uint8Array[]): Array<{ packet: Uint8Array; segments: number; vnet: VnetHeaderFields }>
  /** A copy of `packet` with a NEEDS_CSUM partial checksum completed; null if out of bounds. */
  completeChecksum(packet: Uint8Array, csumStart: number, csumOffset: number): Uint8Array | null
  /** Wire and layout constants compiled into the addon. */
  constants: {
    headerSize: number
    overhead: number
    replayWindowSize: number
    slotStatsStride: number
    globalStatsCount: number
  }
}

/** A virtio_net_hdr as the test hooks report it (host-order numbers). */
export interface VnetHeaderFields {
  flags: number
  gsoType: number
  hdrLen: number
  gsoSize: number
  csumStart: number
  csumOffset: number
}

interface Addon extends NativeTestHooks {
  Engine: new (options: PacketEngineOptions) => NativeEngine
}

const ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/vpcmesh_tun.node', import.meta.url))
let addon: Addon | undefined

/** Loads the addon once. Throws VPCMESH_ERR_TUN_ADDON_MISSING when it was not built. */
function loadAddon(): Addon {
  if (addon !== undefined) return addon
  if (!existsSync(ADDON_PATH)) {
    throw new TunError(
      'VPCMESH_ERR_TUN_ADDON_MISSING',
      `native addon not found at ${ADDON_PATH}: run \`npm run build:native\` (needs node-gyp and a C++ compiler)`,
    )
  }
  const require = createRequire(import.meta.url)
  addon = require(ADDON_PATH) as Addon
  return addon
}

/** The addon's test hooks (loads the addon). */
export function nativeTestHooks(): NativeTestHooks {
  return loadAddon()
}

/** Runs `fn`, turning whatever the addon throws into a TunError. */
function guard<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw toTunError(e)
  }
}

/** A UdpBatch over the shared arrays; `count` is updated before each handler call. */
class NativeUdpBatch implements UdpBatch {
  count = 0
  readonly buffer: Uint8Array
  readonly offsets: Int32Array
  readonly lengths: Int32Array
  readonly kinds: Uint8Array
  readonly slots: Int32Array
  readonly flags: Uint8Array
  readonly verdicts: Uint8Array
  private readonly engine: NativeEngine

  constructor(engine: NativeEngine, v: NativeViews) {
    this.engine = engine
    this.buffer = v.udpBuffer
    this.offsets = v.udpOffsets
    this.lengths = v.udpLengths
    this.kinds = v.udpKinds
    this.slots = v.udpSlots
    this.flags = v.udpFlags
    this.verdicts = v.udpVerdicts
  }

  source(i: number): UdpEndpoint {
    const s = this.engine.udpSource(i)
    if (s === undefined)
      throw new TunError('VPCMESH_ERR_TUN_NO_BATCH', `source(${i}): no such entry in the current batch`)
    return s
  }
}

/** {@link PacketEngine} over the addon. */
class NativePacketEngine implements PacketEngine {
  readonly info: EngineInfo
  readonly sessions: EngineSessions
  readonly stats: EngineStats
  private readonly native: NativeEngine
  private readonly tunBatch: TunBatch & { count: number }
  private readonly udpBatch: NativeUdpBatch

  constructor(native: NativeEngine) {
    this.native = native
    const { closed: _closed, offload: _offload, ...info } = native.info()
    this.info = Object.freeze(info)
    const v = native.views()
    this.tunBatch = { count: 0, buffer: v.tunBuffer, offsets: v.tunOffsets, lengths: v.tunLengths, slots: v.tunSlots }
    this.udpBatch = new NativeUdpBatch(native, v)
    this.sessions = {
      set: (slot, keys) => {
        guard(() => {
          native.setSession(slot, keys)
        })
      },
      setEndpoint: (slot, ep) => {
        guard(() => {
          native.setEndpoint(slot, ep.address, ep.port)
        })
      },
      clear: (slot) => {
        guard(() => {
          native.clearSession(slot)
        })
      },
    }
    const stride = SLOT_STAT_FIELDS.length
    this.stats = {
      slot: (slot) => {
        if (!Number.isInteger(slot) || slot < 0 || slot >= info.maxSlots) {
          throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `slot out of range: ${slot}`)
        }
        return decodeStats(SLOT_STAT_FIELDS, v.slotStats, slot * stride)
      },
      global: () => decodeStats(GLOBAL_STAT_FIELDS, v.globalStats, 0),
    }
  }

  start(handlers: PacketHandlers): void {
    const tun = this.tunBatch
    const udp = this.udpBatch
    guard(() => {
      this.native.start(
        (n) => {
          tun.count = n
          handlers.onTunBatch(tun)
        },
        (n) => {
          udp.count = n
          handlers.onUdpBatch(udp)
        },
        (code, msg) => {
          handlers.onError(new TunError(code as TunErrorCode, msg))
        },
      )
    })
  }

  sealAndSend(count?: number): number {
    return guard(() => this.native.sealAndSend(count))
  }
  sealAndSendOne(slot: number, payload: Uint8Array): boolean {
    return guard(() => this.native.sealAndSendOne(slot, payload))
  }
  writeTun(count?: number): number {
    return guard(() => this.native.writeTun(count))
  }
  sendRaw(datagram: Uint8Array, to: UdpEndpoint): boolean {
    return guard(() => this.native.sendRaw(datagram, to.address, to.port))
  }
  close(): void {
    this.native.close()
  }
}

/** Opens the TUN device and the UDP socket. Needs CAP_NET_ADMIN. Nothing is polled until `start`. */
export function openNativeEngine(options: PacketEngineOptions): PacketEngine {
  const { Engine } = loadAddon()
  return new NativePacketEngine(guard(() => new Engine(options)))
}
