/**
 * The Dataplane: peers, handshakes, sessions, cryptokey routing and liveness over one
 * packet engine. Built by {@link createDataplane}; configured only through `reconfig`.
 * ```
 *   created ──start()──▶ running ──close()──▶ closed
 *      └──────────────close()───────────────────┘
 * reconfig() works in created and running (handshakes begin at start()).
 * ```
 * On an inline engine the per-packet decisions run in outbound.ts and inbound.ts; on a
 * forwarding engine (`engine.forwarding`, packet workers) they are uploaded as tables
 * (forwarding-tables.ts) and only Notice, keepalive, control and raw entries reach inbound.ts.
 */
import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import { RouteTable } from '@vpcmesh/cidr'
import { noopMetrics, type Metrics } from '@vpcmesh/metrics'
import type { PacketEngine, UdpEndpoint } from '@vpcmesh/tun'
import { parseConfig, type DataplaneConfig, type ParsedConfig, type SkippedPeer } from './config.js'
import { registerMetrics, type DataplaneMetrics } from './dataplane-metrics.js'
import { DropCounter, type DropReason } from './drops.js'
import { DataplaneError } from './errors.js'
import { ForwardingTables } from './forwarding-tables.js'
import { Handshaker } from './handshaker.js'
import { createInbound } from './inbound.js'
import { IndexTable } from './indices.js'
import { Liveness } from './liveness.js'
import { resolveOptions, type DataplaneOptions, type ResolvedOptions } from './options.js'
import { createOutbound } from './outbound.js'
import type { Peer } from './peer.js'
import { PeerSet, sameConfig } from './peer-set.js'
import { MAX_SESSIONS } from './session.js'
import { SessionStore } from './session-store.js'
import { SlotTable } from './slots.js'
import { Ticker } from './timers.js'
import type { TimestampStore } from './timestamp-store.js'

/** Dependencies of a data plane. */
export interface DataplaneComponents {
  /** The packet engine; the data plane starts it and closes it. */
  engine: PacketEngine
  clock: Clock
  logger: Logger
  /** Absent: metrics are not recorded. */
  metrics?: Metrics
  /** Told about asynchronous packet-engine failures (device gone, poll failed); they are also logged. */
  onEngineError?: (err: Error & { code: string }) => void
  /** Keeps each peer's greatest initiation timestamp across restarts. Absent: in memory only. */
  timestamps?: TimestampStore
}

/** What `status()` says about one peer. */
export interface TunnelStatus {
  id: string
  name: string
  /** Something authenticated arrived within `downAfterKeepalives` keepalive intervals. */
  up: boolean
  /** Smoothed round-trip time in ms, or null before the first pong. */
  rttMs: number | null
  /** Tunnel UDP payload bytes and data messages, keepalives included. */
  txBytes: number
  rxBytes: number
  txPackets: number
  rxPackets: number
  /** Seconds since the last completed handshake, or null if none. */
  lastHandshakeAgeS: number | null
  /** Where its packets go now (configured or roamed), or null if unknown. */
  endpoint: UdpEndpoint | null
}

/** A running tunnel data plane. */
export interface Dataplane {
  /** Starts the engine's loops and the timer; handshakes with configured peers begin. Throws VPCMESH_ERR_DATAPLANE_ALREADY_STARTED / _CLOSED. */
  start(): void
  /**
   * Applies a whole configuration, diff-based and idempotent: only changed peers are touched;
   * an identical configuration returns 'unchanged' and does nothing. A bad peer entry is left
   * out (as if absent) and listed by {@link skippedPeers}; the other peers are applied. Only a
   * bad configuration as a whole (shape, private key) throws a DataplaneError, and then
   * nothing is applied.
   */
  reconfig(cfg: DataplaneConfig): 'changed' | 'unchanged'
  /** The peer entries the last successful reconfig left out, with their reasons, in configuration order. */
  skippedPeers(): readonly SkippedPeer[]
  /** One entry per configured peer, in configuration order. */
  status(): TunnelStatus[]
  /** Drops since creation by reason, engine counters credited up to now (the same numbers as `vpcmesh_agent_drops_total`). */
  drops(): Record<DropReason, number>
  /** Stops timers, clears every session slot and closes the engine. Idempotent. */
  close(): void
}

/** Creates a data plane over `components.engine` (not started; call reconfig and start). */
export function createDataplane(components: DataplaneComponents, options: DataplaneOptions = {}): Dataplane {
  return new DataplaneImpl(components, resolveOptions(options))
}

class DataplaneImpl implements Dataplane {
  private readonly c: DataplaneComponents
  private readonly o: ResolvedOptions
  private readonly logger: Logger
  private readonly metrics: DataplaneMetrics
  private readonly dropCounter: DropCounter
  private readonly slots: SlotTable
  private readonly sessions: SessionStore
  private readonly handshaker: Handshaker
  private readonly liveness: Liveness
  private readonly peers: PeerSet
  private readonly ticker: Ticker
  private readonly routes = new RouteTable<Peer>()
  private readonly indices = new IndexTable<Peer>()
  private readonly forwarding: ForwardingTables | undefined
  private config: ParsedConfig | undefined
  private skipped: readonly SkippedPeer[] = []
  private timer: TimerHandle | undefined
  private state: 'created' | 'running' | 'closed' = 'created'

  constructor(c: DataplaneComponents, o: ResolvedOptions) {
    this.c = c
    this.o = o
    this.logger = c.logger.child('dataplane')
    this.metrics = registerMetrics(c.metrics ?? noopMetrics)
    this.dropCounter = new DropCounter(this.metrics.drops)
    this.slots = new SlotTable(c.engine)
    const fwd = c.engine.forwarding
    this.forwarding = fwd === undefined ? undefined : new ForwardingTables(fwd, c.engine.info.maxSlots, this.logger)
    const base = { engine: c.engine, logger: this.logger, drops: this.dropCounter, metrics: this.metrics }
    this.sessions = new SessionStore({ ...base, slots: this.slots, indices: this.indices, forwarding: this.forwarding })
    this.liveness = new Liveness({ ...base, options: o })
    const byKey = new Map<string, Peer>()
    this.handshaker = new Handshaker({
      ...base,
      clock: c.clock,
      options: o,
      sessions: this.sessions,
      indices: this.indices,
      peersByKey: byKey,
      timestamps: c.timestamps,
    })
    this.peers = new PeerSet(
      {
        tieWindowMs: o.handshakeRetryMs,
        routes: this.routes,
        sessions: this.sessions,
        handshaker: this.handshaker,
        liveness: this.liveness,
        forwarding: this.forwarding,
      },
      byKey,
    )
    this.ticker = new Ticker({
      ...base,
      options: o,
      slots: this.slots,
      sessions: this.sessions,
      handshaker: this.handshaker,
      liveness: this.liveness,
    })
  }

  start(): void {
    if (this.state === 'closed') throw new DataplaneError('VPCMESH_ERR_DATAPLANE_CLOSED', 'start() after close()')
    if (this.state === 'running')
      throw new DataplaneError('VPCMESH_ERR_DATAPLANE_ALREADY_STARTED', 'start() may be called once')
    this.state = 'running'
    const now = (): number => this.c.clock.monotonic()
    const deps = { engine: this.c.engine, logger: this.logger, drops: this.dropCounter, routes: this.routes }
    this.c.engine.start({
      onTunBatch: createOutbound({
        ...deps,
        onDemand: (p) => {
          this.onDemand(p, now())
        },
      }),
      onUdpBatch: createInbound({
        ...deps,
        clock: this.c.clock,
        slots: this.slots,
        sessions: this.sessions,
        liveness: this.liveness,
        onRaw: (d, from, t) => {
          if (this.state === 'running') this.handshaker.onDatagram(d, from, t)
        },
      }),
      onError: (err) => {
        this.logger.error('packet engine error', { code: err.code, error: err.message })
        this.c.onEngineError?.(err)
      },
      onDemand: (index) => {
        const p = this.forwarding?.peer(index)
        if (p === undefined || p.sendSlot >= 0 || p.demanded) return
        p.demanded = true
        this.onDemand(p, now())
      },
    })
    this.forwarding?.syncRoutes(this.peers.byId.values())
    this.timer = this.c.clock.setInterval(() => {
      this.tick()
    }, this.o.tickMs)
    this.logger.info('started', { peers: this.peers.byId.size })
    this.tick()
  }

  reconfig(cfg: DataplaneConfig): 'changed' | 'unchanged' {
    if (this.state === 'closed') throw new DataplaneError('VPCMESH_ERR_DATAPLANE_CLOSED', 'reconfig() after close()')
    const info = this.c.engine.info
    const next = parseConfig(cfg, { udpFamily: info.udpFamily, maxPeers: Math.floor(info.maxSlots / MAX_SESSIONS) })
    this.skipped = next.skipped
    if (sameConfig(this.config, next)) return 'unchanged'
    this.peers.apply(this.config, next, this.c.clock.monotonic())
    this.forwarding?.syncRoutes(this.peers.byId.values())
    this.config = next
    this.logger.info('reconfigured', { peers: next.peers.size, skipped: next.skipped.length })
    if (this.state === 'running') this.tick()
    return 'changed'
  }

  skippedPeers(): readonly SkippedPeer[] {
    return this.skipped
  }

  status(): TunnelStatus[] {
    const now = this.c.clock.monotonic()
    return [...this.peers.byId.values()].map((p) => {
      this.sessions.sync(p)
      return {
        id: p.id,
        name: p.config.name,
        up: p.up,
        rttMs: p.srttMs ?? null,
        ...p.traffic,
        lastHandshakeAgeS: p.lastHandshakeAt === undefined ? null : (now - p.lastHandshakeAt) / 1000,
        endpoint: p.endpoint === null ? null : { ...p.endpoint },
      }
    })
  }

  drops(): Record<DropReason, number> {
    if (this.state !== 'closed') {
      // Slot counters too: a forwarding engine counts spoofed sources per slot.
      for (const p of this.peers.byId.values()) this.sessions.sync(p)
      this.ticker.syncGlobal()
    }
    return this.dropCounter.totals()
  }

  close(): void {
    if (this.state === 'closed') return
    const wasRunning = this.state === 'running'
    this.state = 'closed'
    this.timer?.cancel()
    for (const p of [...this.peers.byId.values()]) this.sessions.clearPeer(p)
    this.ticker.syncGlobal()
    this.c.engine.close()
    if (wasRunning) this.logger.info('stopped')
  }

  private tick(): void {
    if (this.state !== 'running') return
    try {
      this.ticker.tick(this.peers.byId.values(), this.c.clock.monotonic())
    } catch (e) {
      this.logger.error('timer pass failed', { error: errorMessage(e) })
    }
  }

  private onDemand(peer: Peer, now: number): void {
    if (this.state === 'running' && this.ticker.wantsHandshake(peer, now)) this.handshaker.initiate(peer, now)
  }
}
