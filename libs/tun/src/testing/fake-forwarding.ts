/**
 * The forwarding tables of a MemoryPacketEngine opened with `workers` >= 1: the TypeScript
 * twin of the per-packet decisions that {@link EngineForwarding} (engine.ts) describes. The
 * engine asks it where a TUN packet goes, whether an authenticated IP packet is accepted, and
 * whether an IP packet is reported as a Notice. Group 0 is no group, as in the native engine. Routes are matched linearly (longest prefix
 * wins), which is plenty for tests.
 *
 * onDemand pacing: at most once per peer per {@link DEMAND_INTERVAL_MS} of the engine's clock
 * while the peer has no send slot; a `setPeer` that gives it a slot ends the episode, so the
 * next time it loses its slot the first demand is reported at once.
 *
 * "Workers" are counters only: TUN packets are spread over them by a hash of their addresses
 * (one flow, one worker, as the kernel's queue choice), datagrams by a hash of their source
 * (as SO_REUSEPORT does); everything still runs on the JS thread.
 */
import type { EngineForwarding, ForwardingRoute, UdpEndpoint } from '../engine.js'
import { TunError } from '../errors.js'

/** Smallest time between two onDemand calls for one peer, in ms of the engine's clock. */
export const DEMAND_INTERVAL_MS = 1000

/** {@link FakeForwarding.route} outcomes that are not a peer. */
export const NO_ROUTE = -1
export const MALFORMED = -2

const U32_MAX = 0xffffffff

interface Route {
  readonly address: Uint8Array
  readonly bits: number
  readonly peer: number
}

/** Where an IP packet's source or destination address is: [offset, bytes], or undefined when it is not IPv4/IPv6 or too short. */
function addressAt(p: Uint8Array, source: boolean): [number, number] | undefined {
  const version = p.length > 0 ? (p[0] ?? 0) >> 4 : 0
  if (version === 4 && p.length >= 20) return [source ? 12 : 16, 4]
  if (version === 6 && p.length >= 40) return [source ? 8 : 24, 16]
  return undefined
}

/** True when the first `bits` bits of `a` equal those of `p` at `offset`. */
function matches(a: Uint8Array, bits: number, p: Uint8Array, offset: number): boolean {
  const whole = bits >> 3
  for (let i = 0; i < whole; i++) if (a[i] !== p[offset + i]) return false
  const rest = bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((a[whole] ?? 0) & mask) === ((p[offset + whole] ?? 0) & mask)
}

function fnv(bytes: Uint8Array, from: number, to: number, h = 0x811c9dc5): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ (bytes[i] ?? 0), 0x01000193) >>> 0
  return h
}

/** The forwarding state of one fake engine: routes, peers, slot owners, Notice state and worker counters. */
export class FakeForwarding implements EngineForwarding {
  private routes: readonly Route[] = []
  private readonly maxSlots: number
  private readonly sendSlot: Int32Array
  private readonly group: Uint32Array
  private readonly slotPeer: Int32Array
  /** Monotonic ms of the last onDemand per peer; NaN: none in the current episode. */
  private readonly lastDemand: Float64Array
  /** Per slot: the next IP packet is the first of the installed session. */
  private readonly firstPending: Uint8Array
  /** Per slot: a packet from a new source was reported since the last setEndpoint. */
  private readonly sourceReported: Uint8Array
  private readonly workers: Array<{ tunPackets: number; udpDatagrams: number }>

  constructor(maxSlots: number, workers: number) {
    this.maxSlots = maxSlots
    this.sendSlot = new Int32Array(maxSlots).fill(-1)
    this.group = new Uint32Array(maxSlots)
    this.slotPeer = new Int32Array(maxSlots).fill(-1)
    this.lastDemand = new Float64Array(maxSlots).fill(Number.NaN)
    this.firstPending = new Uint8Array(maxSlots)
    this.sourceReported = new Uint8Array(maxSlots)
    this.workers = Array.from({ length: workers }, () => ({ tunPackets: 0, udpDatagrams: 0 }))
  }

  // --- EngineForwarding -------------------------------------------------------------

  setRoutes(routes: readonly ForwardingRoute[]): void {
    const next = routes.map((r, i) => this.checkRoute(r, i))
    const seen = new Set<string>()
    next.forEach((r, i) => {
      const key = `${r.address.join('.')}/${r.bits}`
      if (seen.has(key))
        throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `routes[${i}]: ${key} given twice; no route was changed`)
      seen.add(key)
    })
    this.routes = Object.freeze(next)
  }

  setPeer(peer: number, sendSlot: number, group: number): void {
    this.checkIndex('peer', peer, 0)
    this.checkIndex('sendSlot', sendSlot, -1)
    if (!Number.isInteger(group) || group < 0 || group > U32_MAX)
      throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `group must be a u32: ${group}`)
    this.sendSlot[peer] = sendSlot
    this.group[peer] = group
    if (sendSlot >= 0) this.lastDemand[peer] = Number.NaN
  }

  setSlotPeer(slot: number, peer: number): void {
    this.checkIndex('slot', slot, 0)
    this.checkIndex('peer', peer, -1)
    this.slotPeer[slot] = peer
  }

  workerStats(): Array<{ tunPackets: number; udpDatagrams: number }> {
    return this.workers.map((w) => ({ ...w }))
  }

  // --- the engine's side ------------------------------------------------------------

  /** The peer a TUN packet's destination routes to, or {@link NO_ROUTE} / {@link MALFORMED}. Counts the packet on its worker. */
  route(packet: Uint8Array): number {
    const at = addressAt(packet, false)
    const w = this.workers[at === undefined ? 0 : fnv(packet, at[0] - at[1], at[0] + at[1]) % this.workers.length]
    if (w !== undefined) w.tunPackets++
    if (at === undefined) return MALFORMED
    const peer = this.lookup(packet, at[0], at[1])
    return peer < 0 ? NO_ROUTE : peer
  }

  /** The send slot of `peer` (-1: none). */
  sendSlotOf(peer: number): number {
    return this.sendSlot[peer] ?? -1
  }

  /** True when onDemand(peer) is due at monotonic `now` (and records it). */
  demand(peer: number, now: number): boolean {
    const last = this.lastDemand[peer] ?? Number.NaN
    if (!Number.isNaN(last) && now - last < DEMAND_INTERVAL_MS) return false
    this.lastDemand[peer] = now
    return true
  }

  /** Counts a received datagram on the worker its source hashes to. */
  received(from: UdpEndpoint): void {
    const text = new TextEncoder().encode(`${from.address}|${from.port}`)
    const w = this.workers[fnv(text, 0, text.length) % this.workers.length]
    if (w !== undefined) w.udpDatagrams++
  }

  /** True when an authenticated IP packet on `slot` may be written to the TUN (its source routes to the slot's peer or its group). */
  accepts(slot: number, packet: Uint8Array): boolean {
    const owner = this.slotPeer[slot] ?? -1
    const at = addressAt(packet, true)
    if (owner < 0 || at === undefined) return false
    const from = this.lookup(packet, at[0], at[1])
    const group = this.group[owner] ?? 0
    return from === owner || (from >= 0 && group !== 0 && this.group[from] === group)
  }

  /** True when an authenticated IP packet on `slot` is reported as a Notice: the first of the session, or the first from a new source since setEndpoint. */
  notice(slot: number, newSource: boolean): boolean {
    const first = this.firstPending[slot] === 1
    const moved = newSource && this.sourceReported[slot] === 0
    this.firstPending[slot] = 0
    if (newSource) this.sourceReported[slot] = 1
    return first || moved
  }

  /** sessions.set on `slot`: its next IP packet is reported. */
  sessionInstalled(slot: number): void {
    this.firstPending[slot] = 1
  }

  /** sessions.setEndpoint on `slot`: the next packet from another source is reported. */
  endpointSet(slot: number): void {
    this.sourceReported[slot] = 0
  }

  /** sessions.clear on `slot`. */
  cleared(slot: number): void {
    this.firstPending[slot] = 0
    this.sourceReported[slot] = 0
  }

  private lookup(p: Uint8Array, offset: number, bytes: number): number {
    let best = -1
    let bestBits = -1
    for (const r of this.routes) {
      if (r.address.length !== bytes || r.bits <= bestBits || !matches(r.address, r.bits, p, offset)) continue
      best = r.peer
      bestBits = r.bits
    }
    return best
  }

  /** A copy of a valid route; a bad one throws INVALID_ARGUMENT (so nothing is replaced). */
  private checkRoute(r: ForwardingRoute, i: number): Route {
    const bad = (why: string): TunError =>
      new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `routes[${i}]: ${why}; no route was changed`)
    if (!(r.address instanceof Uint8Array) || (r.address.length !== 4 && r.address.length !== 16))
      throw bad('address must be 4 or 16 bytes')
    if (!Number.isInteger(r.bits) || r.bits < 0 || r.bits > r.address.length * 8)
      throw bad(`bits ${r.bits} out of range`)
    const address = Uint8Array.from(r.address)
    if (hasHostBits(address, r.bits)) throw bad('address has host bits set')
    if (!Number.isInteger(r.peer) || r.peer < 0 || r.peer >= this.maxSlots) throw bad(`peer ${r.peer} out of range`)
    return { address, bits: r.bits, peer: r.peer }
  }

  private checkIndex(what: string, v: number, min: number): void {
    if (!Number.isInteger(v) || v < min || v >= this.maxSlots)
      throw new TunError('VPCMESH_ERR_TUN_INVALID_ARGUMENT', `${what} out of range: ${v}`)
  }
}

/** True when any bit past `bits` is set. */
function hasHostBits(address: Uint8Array, bits: number): boolean {
  for (let bit = bits; bit < address.length * 8; bit++)
    if (((address[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return true
  return false
}
