/**
 * The only place a compiled addon (in native/build/Release/) is loaded, lazily on first
 * use and only after its stats layout matched ours. NativePacketEngine adapts the raw API
 * of the production addon (vpcmesh_tun.node) to {@link PacketEngine}; the test addon is
 * loaded from src/testing/native-hooks.ts through {@link loadNativeAddon}.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type {
  EngineForwarding,
  EngineInfo,
  EngineSessions,
  ForwardingRoute,
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

/** The addon's NativeEngine object (native/engine.h). */
export interface NativeEngine {
  start(
    onTun: (n: number) => void,
    onUdp: (n: number) => void,
    onError: (code: string, msg: string) => void,
    onDemand: (peer: number) => void,
  ): void
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
  info(): EngineInfo & { closed: boolean; offload: boolean; workers: number }
  setRoutes(routes: readonly ForwardingRoute[]): void
  setPeer(peer: number, sendSlot: number, group: number): void
  setSlotPeer(slot: number, peer: number): void
  workerStats(): Array<{ tunPackets: number; udpDatagrams: number }>
}

/** Wire and layout constants compiled into every build of the addon (native/module_exports.cc). */
export interface NativeConstants {
  headerSize: number
  overhead: number
  replayWindowSize: number
  slotStatsStride: number
  globalStatsCount: number
}

/** The stats layout as one side sees it: counters per slot, and engine-wide counters. */
export interface StatsLayout {
  slotStatsStride: number
  globalStatsCount: number
}

/** The layout this TypeScript decodes (src/stats.ts), which native/stats.h must match. */
export const TS_STATS_LAYOUT: Readonly<StatsLayout> = Object.freeze({
  slotStatsStride: SLOT_STAT_FIELDS.length,
  globalStatsCount: GLOBAL_STAT_FIELDS.length,
})

/**
 * Refuses an addon whose stats layout differs from `expected`: the stats views would be
 * decoded at the wrong offsets. Pure; `file` only names the addon in the message.
 * @throws TunError VPCMESH_ERR_TUN_ADDON_MISMATCH naming both numbers of each field that differs
 */
export function checkStatsLayout(native: StatsLayout, file: string, expected: StatsLayout = TS_STATS_LAYOUT): void {
  const diffs: string[] = []
  for (const key of ['slotStatsStride', 'globalStatsCount'] as const) {
    if (native[key] !== expected[key]) diffs.push(`${key}: addon ${native[key]}, TypeScript ${expected[key]}`)
  }
  if (diffs.length === 0) return
  throw new TunError(
    'VPCMESH_ERR_TUN_ADDON_MISMATCH',
    `native addon ${file} has another stats layout than libs/tun/src/stats.ts (${diffs.join('; ')}): ` +
      'keep native/stats.h and src/stats.ts in step, then rebuild with `npm run build:native`',
  )
}

/** What every build of the addon exports (the production addon exports nothing else). */
export interface AddonExports {
  NativeEngine: new (options: PacketEngineOptions) => NativeEngine
  constants: NativeConstants
}

/** The production addon, built by `npm run build:native`. */
export const PRODUCTION_ADDON = 'vpcmesh_tun.node'
const BUILD_DIR = new URL('../../native/build/Release/', import.meta.url)
const loaded = new Map<string, AddonExports>()

/**
 * Loads `file` from native/build/Release once, and checks its stats layout. Production
 * code loads only {@link PRODUCTION_ADDON}; src/testing/ loads the test addon through this.
 * @throws TunError VPCMESH_ERR_TUN_ADDON_MISSING when it was not built, VPCMESH_ERR_TUN_ADDON_MISMATCH
 */
export function loadNativeAddon(file: string): AddonExports {
  const cached = loaded.get(file)
  if (cached !== undefined) return cached
  const path = fileURLToPath(new URL(file, BUILD_DIR))
  if (!existsSync(path)) {
    throw new TunError(
      'VPCMESH_ERR_TUN_ADDON_MISSING',
      `native addon not found at ${path}: run \`npm run build:native\` (needs node-gyp and a C++ compiler)`,
    )
  }
  const require = createRequire(import.meta.url)
  const addon = require(path) as AddonExports
  checkStatsLayout(addon.constants, file)
  loaded.set(file, addon)
  return addon
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
  readonly forwarding?: EngineForwarding
  private readonly native: NativeEngine
  private readonly tunBatch: TunBatch & { count: number }
  private readonly udpBatch: NativeUdpBatch

  constructor(native: NativeEngine) {
    this.native = native
    const { closed: _closed, offload: _offload, workers, ...info } = native.info()
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
    if (workers > 0) {
      this.forwarding = {
        setRoutes: (routes) => {
          guard(() => {
            native.setRoutes(routes)
          })
        },
        setPeer: (peer, sendSlot, group) => {
          guard(() => {
            native.setPeer(peer, sendSlot, group)
          })
        },
        setSlotPeer: (slot, peer) => {
          guard(() => {
            native.setSlotPeer(slot, peer)
          })
        },
        workerStats: () => native.workerStats(),
      }
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
        (peer) => {
          handlers.onDemand?.(peer)
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
  const { NativeEngine } = loadNativeAddon(PRODUCTION_ADDON)
  return new NativePacketEngine(guard(() => new NativeEngine(options)))
}
