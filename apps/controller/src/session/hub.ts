import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import type { Clock, Logger } from '@vpcmesh/common'
import { CloseCode, WireErrorCode, encodeMessage } from '@vpcmesh/protocol'
import type { Store } from '../state/store.js'
import type { MapCache } from '../mesh/map-cache.js'
import { ApiError } from '../errors.js'
import { ConnectionGate, type GateRefusal } from './connection-gate.js'
import { HelloRate } from './hello-rate.js'
import { AgentSession, type SessionHost } from './agent-session.js'
import type { SessionEvents } from './session-events.js'
import { StatusWriter } from './status-writer.js'
import { LeaseKeeper } from './lease-keeper.js'

/** Dependencies of the {@link Hub}. */
export interface HubComponents {
  store: Store
  /** Shared registry reads and per-version map views (the notifier uses the same one). */
  maps: MapCache
  clock: Clock
  logger: Logger
  events: SessionEvents
  /** Called when a session becomes ready, so it gets its catch-up if a newer version exists. */
  catchUp: (s: AgentSession) => void
  /** Counts an active-gateway election by reason. */
  onElected?: (vpcId: string, reason: string) => void
}

/** Knobs of the {@link Hub}. Limits of 0 are off. */
export interface HubOptions {
  replicaId: string
  heartbeatMs: number
  /** Time from the upgrade until the hello frame must arrive, ms. @default 10000 */
  helloTimeoutMs?: number
  /** Connections without a completed hello per client address. @default 16 */
  unauthPerAddress?: number
  /** Connections without a completed hello on this replica. @default 1024 */
  unauthTotal?: number
  /** Hellos per second per client address (token bucket refill). @default 5 */
  helloRatePerS?: number
  /** Hellos a client address may send at once (token bucket size). @default 20 */
  helloBurst?: number
}

/** What a refused upgrade answers, by the limit that was full. */
const REFUSED: Record<GateRefusal, { code: WireErrorCode; message: string }> = {
  address_limit: {
    code: WireErrorCode.connectLimited,
    message: 'too many agent connections without hello from this address; finish hello on the open ones or retry later',
  },
  total_limit: {
    code: WireErrorCode.connectBusy,
    message: 'too many agent connections without hello on this controller; retry later',
  },
}

/**
 * The WebSocket hub: accepts agent connections at /v1/agents/connect, runs one AgentSession
 * each, and keeps at most one ready session per VPC on this replica (a newer one replaces an
 * older one, which is closed with 4409).
 */
export class Hub implements SessionHost {
  /** Ready-or-registering sessions by status key (one per VPC, or per gateway of an HA VPC). */
  private readonly byAgent = new Map<string, AgentSession>()
  private readonly leases: LeaseKeeper
  private closing = false
  private readonly all = new Set<AgentSession>()
  /** Sessions that hold a slot of the gate (no hello completed yet). */
  private readonly pending = new Set<AgentSession>()
  private readonly log: Logger
  private readonly status: StatusWriter
  private readonly gate: ConnectionGate
  private readonly helloRate: HelloRate

  constructor(
    private readonly c: HubComponents,
    private readonly o: HubOptions,
  ) {
    this.log = c.logger.child('hub')
    this.status = new StatusWriter({ store: c.store, clock: c.clock, logger: this.log })
    this.gate = new ConnectionGate({ perAddress: o.unauthPerAddress ?? 16, total: o.unauthTotal ?? 1024 })
    this.helloRate = new HelloRate({ perSecond: o.helloRatePerS ?? 5, burst: o.helloBurst ?? 20 })
    this.leases = new LeaseKeeper(
      {
        store: c.store,
        maps: c.maps,
        clock: c.clock,
        logger: this.log,
        sessions: () => this.byAgent.values(),
        reports: (keys) => c.store.agents(keys),
        ...(c.onElected === undefined ? {} : { onElected: c.onElected }),
      },
      { ttlMs: 3 * o.heartbeatMs },
    )
    this.leases.start()
  }

  /**
   * Registers the WebSocket route on `app` (which must have @fastify/websocket registered).
   * An upgrade over a connection limit is answered 429 (this address) or 503 (this replica)
   * before the WebSocket exists.
   */
  route(app: FastifyInstance): void {
    app.get(
      '/v1/agents/connect',
      {
        websocket: true,
        schema: { hide: true },
        onRequest: async (req) => {
          const full = this.gate.check(req.ip)
          if (full === undefined) return
          this.c.events.refused(full)
          throw new ApiError(REFUSED[full].code, REFUSED[full].message)
        },
      },
      (socket: WebSocket, req) => {
        this.accept(socket, req.ip)
      },
    )
  }

  /**
   * Starts a session on an upgraded socket, or closes it with 1013 when a connection limit
   * filled up since the upgrade was checked (concurrent upgrades).
   */
  accept(socket: WebSocket, remoteAddress: string): AgentSession | undefined {
    const full = this.gate.admit(remoteAddress)
    if (full !== undefined) {
      this.c.events.refused(full)
      socket.send(encodeMessage({ type: 'error', code: REFUSED[full].code, message: REFUSED[full].message }))
      socket.close(CloseCode.tryAgainLater, 'connection limit')
      return undefined
    }
    const s = new AgentSession(
      {
        store: this.c.store,
        maps: this.c.maps,
        host: this,
        clock: this.c.clock,
        logger: this.log,
        events: this.c.events,
        status: this.status,
      },
      { replicaId: this.o.replicaId, heartbeatMs: this.o.heartbeatMs, helloTimeoutMs: this.o.helloTimeoutMs ?? 10_000 },
      socket,
      remoteAddress,
    )
    if (s.isClosed()) {
      this.gate.release(remoteAddress)
      return s
    }
    this.pending.add(s)
    this.all.add(s)
    return s
  }

  allowHello(s: AgentSession): boolean {
    return this.helloRate.take(s.remoteAddress, this.c.clock.now())
  }

  register(s: AgentSession): void {
    this.settle(s)
    const key = s.statusKey
    const old = this.byAgent.get(key)
    this.byAgent.set(key, s)
    if (old !== undefined && old !== s)
      old.fail(CloseCode.replaced, WireErrorCode.wsReplaced, 'replaced by a newer connection of the same agent')
  }

  unregister(s: AgentSession): void {
    this.settle(s)
    this.all.delete(s)
    if (s.vpcId !== undefined && this.byAgent.get(s.statusKey) === s) {
      this.byAgent.delete(s.statusKey)
      if (s.gatewayId !== undefined && !this.closing) void this.leases.closed(s)
    }
  }

  becameReady(s: AgentSession): void {
    this.c.catchUp(s)
    if (s.gatewayId !== undefined) this.leases.kick()
  }

  /** Ready sessions, one per VPC (one per gateway of an HA VPC). */
  ready(): AgentSession[] {
    return [...this.byAgent.values()].filter((s) => s.ready)
  }

  /** The ready session of status key `key` on this replica, if any. */
  sessionFor(key: string): AgentSession | undefined {
    const s = this.byAgent.get(key)
    return s?.ready === true ? s : undefined
  }

  /** Number of open connections, authenticated or not. */
  get connections(): number {
    return this.all.size
  }

  /** Number of open connections that have not completed hello. */
  get unauthenticated(): number {
    return this.gate.pending
  }

  /** Gives back the gate slot of `s` if it still holds one. */
  private settle(s: AgentSession): void {
    if (this.pending.delete(s)) this.gate.release(s.remoteAddress)
  }

  /** Closes every connection with 1001 (going away) so agents reconnect elsewhere, then writes pending status. */
  async closeAll(): Promise<void> {
    this.closing = true
    this.leases.stop()
    for (const s of [...this.all]) s.fail(CloseCode.goingAway, undefined, 'controller shutting down')
    await this.status.stop()
  }
}
