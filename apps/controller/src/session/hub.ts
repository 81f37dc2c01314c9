import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { type Clock, type Logger } from '@vpcmesh/common'
import { CloseCode, WireErrorCode } from '@vpcmesh/protocol'
import type { Store } from '../state/store.js'
import { AgentSession, type SessionHost } from './agent-session.js'
import type { SessionEvents } from './session-events.js'
import { StatusWriter } from './status-writer.js'

/** Dependencies of the {@link Hub}. */
export interface HubComponents {
  store: Store
  clock: Clock
  logger: Logger
  events: SessionEvents
  /** Called when a session becomes ready, so newer versions get pushed. */
  kick: () => void
}

/** Knobs of the {@link Hub}. */
export interface HubOptions {
  replicaId: string
  heartbeatMs: number
  /** @default 10000 */
  helloTimeoutMs?: number
}

/**
 * The WebSocket hub: accepts agent connections at /v1/agents/connect, runs one AgentSession
 * each, and keeps at most one ready session per VPC on this replica (a newer one replaces an
 * older one, which is closed with 4409).
 */
export class Hub implements SessionHost {
  private readonly byVpc = new Map<string, AgentSession>()
  private readonly all = new Set<AgentSession>()
  private readonly log: Logger
  private readonly status: StatusWriter

  constructor (private readonly c: HubComponents, private readonly o: HubOptions) {
    this.log = c.logger.child('hub')
    this.status = new StatusWriter({ store: c.store, clock: c.clock, logger: this.log })
  }

  /** Registers the WebSocket route on `app` (which must have @fastify/websocket registered). */
  route (app: FastifyInstance): void {
    app.get('/v1/agents/connect', { websocket: true, schema: { hide: true } }, (socket: WebSocket, req) => {
      this.accept(socket, req.ip)
    })
  }

  /** Starts a session on an upgraded socket. */
  accept (socket: WebSocket, remoteAddress: string): AgentSession {
    const s = new AgentSession(
      { store: this.c.store, host: this, clock: this.c.clock, logger: this.log, events: this.c.events, status: this.status },
      { replicaId: this.o.replicaId, heartbeatMs: this.o.heartbeatMs, helloTimeoutMs: this.o.helloTimeoutMs ?? 10_000 },
      socket, remoteAddress)
    this.all.add(s)
    return s
  }

  register (s: AgentSession): void {
    const id = s.vpcId as string
    const old = this.byVpc.get(id)
    this.byVpc.set(id, s)
    if (old !== undefined && old !== s) old.fail(CloseCode.replaced, WireErrorCode.wsReplaced, 'replaced by a newer connection of the same VPC')
  }

  unregister (s: AgentSession): void {
    this.all.delete(s)
    if (s.vpcId !== undefined && this.byVpc.get(s.vpcId) === s) this.byVpc.delete(s.vpcId)
  }

  kick (): void { this.c.kick() }

  /** Ready sessions, one per VPC. */
  ready (): AgentSession[] {
    return [...this.byVpc.values()].filter((s) => s.ready)
  }

  /** Number of open connections, authenticated or not. */
  get connections (): number { return this.all.size }

  /** Closes every connection with 1001 (going away) so agents reconnect elsewhere, then writes pending status. */
  async closeAll (): Promise<void> {
    for (const s of [...this.all]) s.fail(CloseCode.goingAway, undefined, 'controller shutting down')
    await this.status.stop()
  }
}
