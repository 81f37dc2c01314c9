/**
 * MemoryPacketEngine: an in-memory {@link PacketEngine} for tests without root (wireguard-go's
 * tuntest + bindtest in one). Its "TUN" is fed with `injectTun` and observed through
 * `tunWrites`; its "UDP socket" is a {@link ChannelNetwork} endpoint. It seals and opens
 * with node:crypto in the native wire format and keeps the same counters, batch arrays,
 * pre-filled slots/verdicts, once-per-batch rules and close behaviour as the native engine.
 * With `workers` >= 1 it is a forwarding engine (`forwarding` present): it routes, checks
 * sources and reports Notice entries itself, by the rules of fake-forwarding.ts.
 */
import { isIP } from 'node:net'
import type {
  CipherName,
  EngineForwarding,
  EngineInfo,
  EngineSessions,
  EngineStats,
  PacketEngine,
  PacketHandlers,
  TunBatch,
  UdpBatch,
  UdpEndpoint,
} from '../engine.js'
import { PacketFlag, PacketKind, Verdict } from '../engine.js'
import { TunError } from '../errors.js'
import { decodeStats, GLOBAL_STAT_FIELDS, SLOT_STAT_FIELDS } from '../stats.js'
import { ChannelNetwork, endpointKey, type ChannelPort } from './channel-network.js'
import { FakeForwarding, MALFORMED, NO_ROUTE } from './fake-forwarding.js'
import { type FakeSession, FakeSessionTable } from './fake-session.js'
import { REJECT_AFTER_MESSAGES } from './replay-window.js'
import { isDataMessage, openDataMessage, readDataHeader, sealDataMessage, WIRE } from './wire-crypto.js'

/** Options of a {@link MemoryPacketEngine}; defaults as in PacketEngineOptions. */
export interface MemoryPacketEngineOptions {
  /** This engine's address on the network. */
  endpoint: UdpEndpoint
  tunName?: string
  mtu?: number
  maxSlots?: number
  batchSize?: number
  cipher?: CipherName
  /** As PacketEngineOptions.workers, 0..64: N >= 1 makes it a forwarding engine with N counted "workers". @default 0 */
  workers?: number
  /** Monotonic ms, for pacing onDemand (forwarding only). @default performance.now */
  now?: () => number
}

type SlotField = (typeof SLOT_STAT_FIELDS)[number]
type GlobalField = (typeof GLOBAL_STAT_FIELDS)[number]
const MAX_INNER = 65507 - WIRE.overhead

/** A fake packet engine on a {@link ChannelNetwork}. */
export class MemoryPacketEngine implements PacketEngine, ChannelPort {
  readonly info: EngineInfo
  readonly sessions: EngineSessions
  readonly stats: EngineStats
  /** Present with `workers` >= 1. */
  readonly forwarding: EngineForwarding | undefined
  /** Copies of every packet written to the fake TUN, in order. */
  readonly tunWrites: Uint8Array[] = []
  private readonly network: ChannelNetwork
  private readonly endpoint: UdpEndpoint
  private readonly table: FakeSessionTable
  private readonly fwd: FakeForwarding | undefined
  private readonly now: () => number
  private readonly stride: number
  private readonly slotStats: BigUint64Array
  private readonly globalStats = new BigUint64Array(GLOBAL_STAT_FIELDS.length)
  private readonly tun: TunBatch & { count: number }
  private readonly udp: UdpBatch & { count: number }
  private readonly udpSources: UdpEndpoint[] = []
  private readonly tunQueue: Uint8Array[] = []
  private readonly udpQueue: Array<{ datagram: Uint8Array; from: UdpEndpoint }> = []
  private handlers: PacketHandlers | undefined
  private closed = false
  private tunOpen = false
  private udpOpen = false
  private udpInCallback = false
  private scheduled = false

  constructor(network: ChannelNetwork, opts: MemoryPacketEngineOptions) {
    const batchSize = opts.batchSize ?? 64
    const maxSlots = opts.maxSlots ?? 1024
    const mtu = opts.mtu ?? 1420
    const workers = opts.workers ?? 0
    if (!Number.isInteger(workers) || workers < 0 || workers > 64)
      throw new TunError('VPCMESH_ERR_TUN_INVALID_OPTIONS', `workers must be an integer 0..64: ${workers}`)
    this.info = Object.freeze({
      tunName: opts.tunName ?? 'chan0',
      udpPort: opts.endpoint.port,
      udpFamily: isIP(opts.endpoint.address) === 6 ? 6 : 4,
      mtu,
      batchSize,
      maxSlots,
      cipher: opts.cipher ?? 'aes-256-gcm',
    })
    this.network = network
    this.endpoint = { ...opts.endpoint }
    this.table = new FakeSessionTable(maxSlots, this.info.cipher)
    this.fwd = workers > 0 ? new FakeForwarding(maxSlots, workers) : undefined
    this.forwarding = this.fwd
    this.now = opts.now ?? (() => performance.now())
    this.stride = Math.ceil((Math.max(mtu, 9000) + WIRE.overhead) / 64) * 64
    this.slotStats = new BigUint64Array(maxSlots * SLOT_STAT_FIELDS.length)
    this.tun = {
      count: 0,
      buffer: new Uint8Array(batchSize * this.stride),
      offsets: new Int32Array(batchSize),
      lengths: new Int32Array(batchSize),
      slots: new Int32Array(batchSize),
    }
    const sources = this.udpSources
    this.udp = {
      count: 0,
      buffer: new Uint8Array(batchSize * this.stride),
      offsets: new Int32Array(batchSize),
      lengths: new Int32Array(batchSize),
      kinds: new Uint8Array(batchSize),
      slots: new Int32Array(batchSize),
      flags: new Uint8Array(batchSize),
      verdicts: new Uint8Array(batchSize),
      source: (i) => {
        const s = this.udpInCallback ? sources[i] : undefined
        if (s === undefined)
          throw new TunError('VPCMESH_ERR_TUN_NO_BATCH', `source(${i}): no such entry in the current batch`)
        return { ...s }
      },
    }
    this.sessions = this.makeSessions()
    this.stats = {
      slot: (slot) => {
        this.checkSlot(slot)
        return decodeStats(SLOT_STAT_FIELDS, this.slotStats, slot * SLOT_STAT_FIELDS.length)
      },
      global: () => decodeStats(GLOBAL_STAT_FIELDS, this.globalStats, 0),
    }
    network.attach(this.endpoint, this)
  }

  // --- test side -------------------------------------------------------------------

  /** Queues `packet` as if the kernel routed it into the TUN (copied). Ignored after close. */
  injectTun(packet: Uint8Array): void {
    if (this.closed) return
    this.tunQueue.push(Uint8Array.from(packet))
    this.schedule()
  }

  /** ChannelPort: a datagram arrives from the network. */
  receive(datagram: Uint8Array, from: UdpEndpoint): void {
    if (this.closed) return
    this.udpQueue.push({ datagram, from })
    this.schedule()
  }

  // --- PacketEngine ----------------------------------------------------------------

  start(handlers: PacketHandlers): void {
    if (this.closed) throw new TunError('VPCMESH_ERR_TUN_CLOSED', 'engine is closed')
    if (this.handlers !== undefined) throw new TunError('VPCMESH_ERR_TUN_ALREADY_STARTED', 'start() may be called once')
    this.handlers = handlers
    this.schedule()
  }

  sealAndSend(count?: number): number {
    if (this.closed) return 0
    if (!this.tunOpen) throw new TunError('VPCMESH_ERR_TUN_NO_BATCH', 'sealAndSend() outside onTun or called twice')
    this.tunOpen = false
    const n = Math.min(Math.max(0, count ?? this.tun.count), this.tun.count)
    this.bumpGlobal('tunDropUnrouted', this.tun.count - n)
    let sent = 0
    for (let i = 0; i < n; i++) {
      const slot = this.tun.slots[i] ?? -1
      if (slot < 0 || slot >= this.info.maxSlots) {
        this.bumpGlobal('tunDropUnrouted')
        continue
      }
      const off = this.tun.offsets[i] ?? 0
      if (this.sealAndDeliver(slot, this.tun.buffer.subarray(off, off + (this.tun.lengths[i] ?? 0)))) sent++
    }
    return sent
  }

  sealAndSendOne(slot: number, payload: Uint8Array): boolean {
    if (this.closed) return false
    this.checkSlot(slot)
    return this.sealAndDeliver(slot, payload)
  }

  writeTun(count?: number): number {
    if (this.closed) return 0
    if (!this.udpOpen) throw new TunError('VPCMESH_ERR_TUN_NO_BATCH', 'writeTun() outside onUdp or called twice')
    this.udpOpen = false
    if (this.fwd !== undefined) return 0
    const n = count ?? this.udp.count
    let written = 0
    for (let r = 0; r < this.udp.count; r++) {
      if (this.udp.kinds[r] !== PacketKind.Ip) continue
      const slot = this.udp.slots[r] ?? 0
      if (r >= n || this.udp.verdicts[r] !== Verdict.Accept) {
        this.bump(slot, 'rxDropRejected')
        continue
      }
      const off = this.udp.offsets[r] ?? 0
      const len = this.udp.lengths[r] ?? 0
      this.tunWrites.push(this.udp.buffer.slice(off, off + len))
      this.bumpGlobal('tunWritePackets')
      this.bumpGlobal('tunWriteBytes', len)
      written++
    }
    return written
  }

  sendRaw(datagram: Uint8Array, to: UdpEndpoint): boolean {
    if (isIP(to.address) === 0 || !Number.isInteger(to.port) || to.port < 0 || to.port > 65535) {
      throw new TunError('VPCMESH_ERR_TUN_INVALID_ADDRESS', `invalid destination ${to.address}:${to.port}`)
    }
    if (this.closed) return false
    this.bumpGlobal('rawTxDatagrams')
    return this.network.send(datagram, this.endpoint, to)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.tunOpen = this.udpOpen = false
    this.tunQueue.length = 0
    this.udpQueue.length = 0
    this.network.detach(this.endpoint)
  }

  // --- internals -------------------------------------------------------------------

  private makeSessions(): EngineSessions {
    return {
      set: (slot, keys) => {
        if (this.closed) throw new TunError('VPCMESH_ERR_TUN_CLOSED', 'engine is closed')
        this.checkSlot(slot)
        if (keys.sendKey.length !== 32 || keys.recvKey.length !== 32)
          throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', 'keys must be 32 bytes')
        if (!this.table.install(slot, keys))
          throw new TunError('VPCMESH_ERR_TUN_INDEX_IN_USE', 'localIndex already belongs to another slot')
        this.setStat(slot, 'sendCounter', 0n)
        this.setStat(slot, 'recvNewest', 0n)
        this.fwd?.sessionInstalled(slot)
      },
      setEndpoint: (slot, ep) => {
        if (this.closed) throw new TunError('VPCMESH_ERR_TUN_CLOSED', 'engine is closed')
        this.checkSlot(slot)
        const fam = isIP(ep.address)
        if (
          fam === 0 ||
          (fam === 6 && this.info.udpFamily === 4) ||
          !Number.isInteger(ep.port) ||
          ep.port < 0 ||
          ep.port > 65535
        ) {
          throw new TunError('VPCMESH_ERR_TUN_INVALID_ADDRESS', "invalid endpoint for this socket's address family")
        }
        const s = this.table.slots[slot]
        if (s !== undefined) s.endpoint = { address: ep.address, port: ep.port }
        this.fwd?.endpointSet(slot)
      },
      clear: (slot) => {
        this.checkSlot(slot)
        this.table.clear(slot)
        this.fwd?.cleared(slot)
      },
    }
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.info.maxSlots) {
      throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `slot out of range: ${slot}`)
    }
  }

  private bump(slot: number, field: SlotField, n = 1): void {
    const i = slot * SLOT_STAT_FIELDS.length + SLOT_STAT_FIELDS.indexOf(field)
    this.slotStats[i] = (this.slotStats[i] ?? 0n) + BigInt(n)
  }

  private setStat(slot: number, field: SlotField, v: bigint): void {
    this.slotStats[slot * SLOT_STAT_FIELDS.length + SLOT_STAT_FIELDS.indexOf(field)] = v
  }

  private bumpGlobal(field: GlobalField, n = 1): void {
    const i = GLOBAL_STAT_FIELDS.indexOf(field)
    this.globalStats[i] = (this.globalStats[i] ?? 0n) + BigInt(n)
  }

  /** The native SealMessage + send, one message. */
  private sealAndDeliver(slot: number, payload: Uint8Array): boolean {
    const s = this.table.slots[slot]
    if (s === undefined || !s.active || s.sendCounter >= REJECT_AFTER_MESSAGES) {
      this.bump(slot, 'txDropNoSession')
      return false
    }
    if (s.endpoint === undefined) {
      this.bump(slot, 'txDropNoEndpoint')
      return false
    }
    if (payload.length > Math.min(MAX_INNER, this.stride - WIRE.overhead)) {
      this.bump(slot, 'txDropTooBig')
      return false
    }
    const counter = s.sendCounter++
    this.setStat(slot, 'sendCounter', s.sendCounter)
    const msg = sealDataMessage(this.table.cipher, s.sendKey, s.remoteIndex, counter, payload)
    this.network.send(msg, this.endpoint, s.endpoint)
    this.bump(slot, 'txPackets')
    this.bump(slot, 'txBytes', msg.length)
    return true
  }

  private schedule(): void {
    if (this.scheduled || this.handlers === undefined || this.closed) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flushTun()
      this.flushUdp()
      if (this.tunQueue.length > 0 || this.udpQueue.length > 0) this.schedule()
    })
  }

  /** One TUN batch, like native OnTunReadable. */
  private flushTun(): void {
    const handlers = this.handlers
    if (handlers === undefined || this.closed || this.tunQueue.length === 0) return
    if (this.fwd !== undefined) return this.forwardTun(this.fwd, handlers)
    const batch = this.tunQueue.splice(0, this.info.batchSize)
    batch.forEach((p, i) => {
      const off = i * this.stride + WIRE.headerSize
      this.tun.buffer.set(p, off)
      this.tun.offsets[i] = off
      this.tun.lengths[i] = p.length
      this.tun.slots[i] = -1
      this.bumpGlobal('tunReadPackets')
      this.bumpGlobal('tunReadBytes', p.length)
    })
    this.tun.count = batch.length
    this.tunOpen = true
    this.bumpGlobal('tunBatches')
    handlers.onTunBatch(this.tun)
    if (this.tunOpen) this.bumpGlobal('tunDropUnrouted', batch.length)
    this.tunOpen = false
  }

  /** One TUN batch of a forwarding engine: routed and sealed or dropped here; onTunBatch is never called. */
  private forwardTun(fwd: FakeForwarding, handlers: PacketHandlers): void {
    const demanded: number[] = []
    for (const p of this.tunQueue.splice(0, this.info.batchSize)) {
      this.bumpGlobal('tunReadPackets')
      this.bumpGlobal('tunReadBytes', p.length)
      const peer = fwd.route(p)
      if (peer === MALFORMED) this.bumpGlobal('tunDropMalformed')
      else if (peer === NO_ROUTE) this.bumpGlobal('tunDropNoRoute')
      else if (fwd.sendSlotOf(peer) >= 0) this.sealAndDeliver(fwd.sendSlotOf(peer), p)
      else {
        this.bumpGlobal('tunDropNoSession')
        if (fwd.demand(peer, this.now())) demanded.push(peer)
      }
    }
    for (const peer of demanded) if (!this.closed) handlers.onDemand?.(peer)
  }

  /** An authenticated IP packet on a forwarding engine: written or rejected here, reported only as a Notice. */
  private forwardIp(
    fwd: FakeForwarding,
    slot: number,
    s: FakeSession,
    plain: Uint8Array,
    at: number,
    from: UdpEndpoint,
  ): void {
    if (fwd.accepts(slot, plain)) {
      this.tunWrites.push(Uint8Array.from(plain))
      this.bumpGlobal('tunWritePackets')
      this.bumpGlobal('tunWriteBytes', plain.length)
    } else {
      this.bump(slot, 'rxDropRejected')
    }
    const newSource = s.endpoint === undefined || endpointKey(s.endpoint) !== endpointKey(from)
    if (fwd.notice(slot, newSource))
      this.report(PacketKind.Notice, slot, at, 0, from, newSource ? PacketFlag.NewSource : 0)
  }

  /** One UDP batch, like native OnUdpReadable. */
  private flushUdp(): void {
    const handlers = this.handlers
    if (handlers === undefined || this.closed || this.udpQueue.length === 0) return
    const batch = this.udpQueue.splice(0, this.info.batchSize)
    this.udp.count = 0
    batch.forEach(({ datagram, from }, i) => {
      this.process(datagram, from, i)
    })
    if (this.udp.count === 0) return
    this.udpOpen = this.udpInCallback = true
    this.bumpGlobal('udpBatches')
    handlers.onUdpBatch(this.udp)
    this.udpInCallback = false
    if (!this.udpOpen) return
    this.udpOpen = false
    for (let r = 0; r < this.udp.count; r++) {
      if (this.udp.kinds[r] === PacketKind.Ip) this.bump(this.udp.slots[r] ?? 0, 'rxDropRejected')
    }
  }

  /** The native ProcessDatagram. */
  private process(datagram: Uint8Array, from: UdpEndpoint, i: number): void {
    this.bumpGlobal('udpRxDatagrams')
    this.fwd?.received(from)
    const base = i * this.stride
    if (datagram.length > this.stride) return this.bumpGlobal('udpDropTruncated')
    if (datagram.length < 4) return this.bumpGlobal('udpDropTooShort')
    this.udp.buffer.set(datagram, base)
    if (!isDataMessage(datagram)) {
      this.bumpGlobal('udpRxRaw')
      return this.report(PacketKind.Raw, -1, base, datagram.length, from, 0)
    }
    if (datagram.length < WIRE.overhead) return this.bumpGlobal('udpDropTooShort')
    const { receiverIndex, counter } = readDataHeader(datagram)
    const slot = this.table.lookup(receiverIndex)
    const s = this.table.slots[slot]
    if (s === undefined) return this.bumpGlobal('udpDropUnknownIndex')
    if (!s.replay.check(counter)) return this.bump(slot, 'rxDropReplay')
    const plain = openDataMessage(this.table.cipher, s.recvKey, datagram)
    if (plain === undefined) return this.bump(slot, 'rxDropAuth')
    s.replay.mark(counter)
    this.bump(slot, 'rxPackets')
    this.bump(slot, 'rxBytes', datagram.length)
    this.setStat(slot, 'recvNewest', s.replay.newest)
    const kind = classify(plain)
    if (kind === undefined) return this.bump(slot, 'rxDropMalformed')
    if (kind === PacketKind.Keepalive) this.bump(slot, 'rxKeepalives')
    if (kind === PacketKind.Control) this.bump(slot, 'rxControl')
    if (kind === PacketKind.Ip && this.fwd !== undefined)
      return this.forwardIp(this.fwd, slot, s, plain, base + WIRE.headerSize, from)
    this.udp.buffer.set(plain, base + WIRE.headerSize)
    const same = s.endpoint !== undefined && endpointKey(s.endpoint) === endpointKey(from)
    this.report(kind, slot, base + WIRE.headerSize, plain.length, from, same ? 0 : PacketFlag.NewSource)
  }

  private report(kind: number, slot: number, offset: number, length: number, from: UdpEndpoint, flags: number): void {
    const r = this.udp.count++
    this.udp.kinds[r] = kind
    this.udp.slots[r] = slot
    this.udp.offsets[r] = offset
    this.udp.lengths[r] = length
    this.udp.flags[r] = flags
    this.udp.verdicts[r] = Verdict.Drop
    this.udpSources[r] = from
  }
}

function classify(p: Uint8Array): number | undefined {
  if (p.length === 0) return PacketKind.Keepalive
  const first = p[0] ?? 0
  if (first >> 4 === 4 || first >> 4 === 6) return PacketKind.Ip
  return first === 0 ? PacketKind.Control : undefined
}

/** Two fake engines on a fresh network, at 192.0.2.1:51820 and 192.0.2.2:51820 (TEST-NET-1, never routed). */
export function createMemoryEnginePair(opts: Omit<MemoryPacketEngineOptions, 'endpoint'> = {}): {
  network: ChannelNetwork
  a: MemoryPacketEngine
  b: MemoryPacketEngine
} {
  const network = new ChannelNetwork()
  const a = new MemoryPacketEngine(network, {
    ...opts,
    endpoint: { address: '192.0.2.1', port: 51820 },
    tunName: 'chan-a',
  })
  const b = new MemoryPacketEngine(network, {
    ...opts,
    endpoint: { address: '192.0.2.2', port: 51820 },
    tunName: 'chan-b',
  })
  return { network, a, b }
}
