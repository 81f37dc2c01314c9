import { randomUUID } from 'node:crypto'
import type { WebSocket, RawData } from 'ws'
import { type Clock, Heartbeat, type Logger, type TimerHandle, errorMessage, hasCode, isCode } from '@vpcmesh/common'
import {
  CloseCode,
  MIN_PROTOCOL_VERSION,
  PROBE_FEATURE,
  PROTOCOL_VERSION,
  WireErrorCode,
  checkPublicKey,
  decodeAgentMessage,
  encodeMessage,
  frameBytes,
  type AgentMessage,
  type ControllerMessage,
  type Hello,
  type ProbeOutcome,
  type ProbeRequest,
} from '@vpcmesh/protocol'
import type { Store } from '../state/store.js'
import { statusKeyOf } from '../state/status-key.js'
import { causeDetail } from '../errors.js'
import type { MapCache } from '../mesh/map-cache.js'
import { PlanIndex, planUpdate, type Update } from '../mesh/planner.js'
import { hashSecret, isSecretShape, newSecret } from '../secrets.js'
import type { RefusalReason, SessionEvents } from './session-events.js'
import type { StatusWriter } from './status-writer.js'
import { PendingProbes } from './pending-probes.js'

/** What a session needs from its hub. */
export interface SessionHost {
  /** Makes `s` the session of its VPC on this replica, closing any older one. */
  register(s: AgentSession): void
  /** Takes one hello from `s`'s address out of the hello rate limit; false when none is left. */
  allowHello(s: AgentSession): boolean
  /** Forgets `s` (it closed). */
  unregister(s: AgentSession): void
  /** `s` became ready: it gets any version newer than the one it was sent (only it). */
  becameReady(s: AgentSession): void
}

/** Dependencies of an {@link AgentSession}. */
export interface AgentSessionComponents {
  store: Store
  /** Shared registry reads and per-version map views for the first map. */
  maps: MapCache
  host: SessionHost
  clock: Clock
  logger: Logger
  events: SessionEvents
  /** Batched writer for acks, status reports and last-seen times. */
  status: StatusWriter
}

/** Knobs of an {@link AgentSession}. */
export interface AgentSessionOptions {
  replicaId: string
  /** Ping interval, ms; a peer silent for 3 intervals is closed. */
  heartbeatMs: number
  /** Time allowed from the upgrade until the hello frame arrives, ms. */
  helloTimeoutMs: number
}

/** Codes of a gateway endpoint the store refuses; the hello is refused with 4400 and that code. */
const ENDPOINT_REFUSALS: readonly string[] = [
  WireErrorCode.endpointInvalid,
  WireErrorCode.endpointTaken,
  WireErrorCode.prefixCoversUnderlay,
]

/** Who a hello authenticated as. */
interface Authenticated {
  vpcId: string
  /** Only at enrolment. */
  credential?: string
  gatewayId: string | undefined
  statusKey: string
}

/**
 * One agent's WebSocket on this replica.
 *
 *   awaiting-hello ──hello ok──▶ ready ──close/timeout/replaced/removed──▶ closed
 *         │ bad frame, bad auth, timeout                                    ▲
 *         └─────────────────────────────────────────────────────────────────┘
 *
 * Frames are handled one at a time in arrival order. Any bad frame closes only this
 * connection (error frame, then close code 4400/4401/4407/4422/4423/4426/4429); nothing
 * throws out of a handler. Before hello, a frame first takes a token of the hello rate limit;
 * a hello is checked without the store (protocol, token or credential shape, key) before
 * the store is asked.
 */
export class AgentSession {
  /** Unique per connection; distinguishes an old and a new session of the same VPC. */
  readonly id = randomUUID()
  /** Authenticated VPC id; undefined until hello succeeded. */
  vpcId: string | undefined
  /** Authenticated gateway id; undefined before hello and for agents enrolled before gateways. */
  gatewayId: string | undefined
  /** Key of this agent's status record: the VPC id for its first gateway, else `vpc/gateway`. */
  statusKey = ''
  /** The VPC's name at hello (for metric labels). */
  vpcName = ''
  /** Mesh version of the last map sent; updates are computed from it. */
  sentVersion = 0
  /** Last version the agent acknowledged as applied. */
  appliedVersion = 0
  private state: 'awaiting-hello' | 'ready' | 'closed' = 'awaiting-hello'
  private queue: Promise<void> = Promise.resolve()
  private readonly heartbeat: Heartbeat
  private timer: TimerHandle | undefined
  private log: Logger
  /** Optional frames the agent offered in its hello. */
  private features: readonly string[] = []
  private readonly probes: PendingProbes

  constructor(
    private readonly c: AgentSessionComponents,
    private readonly o: AgentSessionOptions,
    private readonly socket: WebSocket,
    readonly remoteAddress: string,
  ) {
    this.log = c.logger.child('session', { address: remoteAddress })
    this.probes = new PendingProbes(c.clock)
    this.heartbeat = new Heartbeat(c.clock, {
      ping: (id) => {
        this.ping(id)
      },
      silent: () => {
        this.fail(CloseCode.heartbeatTimeout, WireErrorCode.wsHeartbeatTimeout, 'heartbeat timeout')
      },
    })
    this.timer = c.clock.setTimeout(() => {
      this.refuse(
        'hello_timeout',
        CloseCode.helloTimeout,
        WireErrorCode.wsHelloTimeout,
        `no hello within ${o.helloTimeoutMs} ms`,
      )
    }, o.helloTimeoutMs)
    socket.on('message', (data: RawData) => {
      this.enqueue(data)
    })
    socket.on('close', () => {
      this.closed()
    })
    socket.on('error', () => {
      this.closed()
    })
  }

  /** When the agent was last heard, ms since the Unix epoch. */
  get lastHeard(): number {
    return this.heartbeat.lastHeard
  }

  /** True once the connection closed, for whatever reason. */
  isClosed(): boolean {
    return this.state === 'closed'
  }

  /** True after a successful hello and the first map. */
  get ready(): boolean {
    return this.state === 'ready'
  }

  /**
   * Sends an update computed by the notifier (`frame`, when given, is its encoding, shared
   * with other sessions); closes the session when its VPC was removed.
   */
  sendUpdate(u: Update, frame?: string | Buffer): void {
    if (this.state === 'closed') return
    if (u.type === 'removed') {
      this.fail(CloseCode.vpcDeleted, WireErrorCode.wsVpcDeleted, 'VPC deleted')
      return
    }
    this.sendText(frame ?? encodeMessage(u), u.type)
    this.sentVersion = u.version
    if (this.vpcId !== undefined) this.c.events.updateSent(this.vpcId, u.version)
  }

  /**
   * Asks the agent to read the evidence of `request` (`vpcmesh explain`). Resolves with its
   * result, or a reason: not ready, probes not offered in its hello (an older agent), no
   * answer within `timeoutMs`, or the session closed. Never rejects.
   */
  probe(request: ProbeRequest, timeoutMs: number): Promise<ProbeOutcome> {
    if (this.state !== 'ready') return Promise.resolve({ ok: false, reason: 'agent session not ready' })
    if (!this.features.includes(PROBE_FEATURE))
      return Promise.resolve({ ok: false, reason: 'agent does not answer probes (an older version); upgrade it' })
    return this.probes.start(timeoutMs, (id) => {
      this.send({ type: 'probe', id, request })
    })
  }

  /** Closes with a reason, after an error frame when `code` is set. */
  fail(closeCode: number, code: string | undefined, reason: string): void {
    if (this.state === 'closed') return
    if (code !== undefined) this.send({ type: 'error', code, message: reason })
    this.socket.close(closeCode, reason.slice(0, 120))
    this.closed()
  }

  private enqueue(data: RawData): void {
    const buf = frameBytes(data)
    this.queue = this.queue
      .then(async () => {
        await this.handle(buf)
      })
      .catch((e: unknown) => {
        this.log.warn('session handler failed', { vpc: this.vpcId, error: errorMessage(e), cause: causeDetail(e) })
        const retryable = hasCode(e) && e.code === WireErrorCode.storeUnavailable
        this.fail(
          CloseCode.internalError,
          retryable ? WireErrorCode.storeUnavailable : WireErrorCode.internal,
          retryable ? 'store unavailable; retry' : 'internal error',
        )
      })
  }

  private async handle(buf: Buffer): Promise<void> {
    if (this.state === 'closed') return
    if (this.state === 'awaiting-hello' && !this.c.host.allowHello(this)) {
      this.refuse(
        'hello_rate',
        CloseCode.rateLimited,
        WireErrorCode.wsRateLimited,
        'too many hellos from this address; retry later with backoff',
      )
      return
    }
    const d = decodeAgentMessage(buf)
    if (!d.ok) {
      this.c.events.badFrame()
      this.fail(CloseCode.badFrame, WireErrorCode.wsBadFrame, `bad frame: ${d.error}`)
      return
    }
    this.heartbeat.heard()
    const m = d.message
    this.c.events.received(m.type)
    if (this.state === 'awaiting-hello') {
      if (m.type !== 'hello') this.fail(CloseCode.badFrame, WireErrorCode.wsBadFrame, `expected hello, got ${m.type}`)
      else await this.hello(m)
      return
    }
    await this.live(m)
  }

  private async live(m: AgentMessage): Promise<void> {
    const id = this.vpcId as string
    const key = this.statusKey
    switch (m.type) {
      case 'hello':
        this.fail(CloseCode.badFrame, WireErrorCode.wsBadFrame, 'hello sent twice')
        return
      case 'ping':
        this.send({ type: 'pong', id: m.id })
        return
      case 'pong':
        return
      case 'ack':
        this.appliedVersion = m.version
        this.c.events.acked(id, m.version)
        this.c.status.put(key, { appliedVersion: m.version, lastSeen: this.c.clock.now() })
        return
      case 'status':
        this.c.status.put(key, { peers: JSON.stringify(m.peers), lastSeen: this.c.clock.now() })
        return
      case 'probeResult':
        this.probes.answered(m.id, m.result, m.error)
    }
  }

  private async hello(h: Hello): Promise<void> {
    this.timer?.cancel()
    if (h.protocol < MIN_PROTOCOL_VERSION || h.protocol > PROTOCOL_VERSION) {
      const fix = h.protocol < MIN_PROTOCOL_VERSION ? 'upgrade the agent' : 'upgrade the controller'
      this.fail(
        CloseCode.protocolVersion,
        WireErrorCode.wsProtocolVersion,
        `agent speaks protocol ${h.protocol}, controller ${MIN_PROTOCOL_VERSION}-${PROTOCOL_VERSION}; ${fix}`,
      )
      return
    }
    const auth = await this.authenticate(h)
    if (auth === undefined || this.state === 'closed') return
    this.vpcId = auth.vpcId
    this.features = h.features ?? []
    this.gatewayId = auth.gatewayId
    this.statusKey = auth.statusKey
    this.log = this.log.child('session', { vpc: auth.vpcId, vpcName: this.vpcName, gateway: auth.gatewayId })
    this.c.host.register(this)
    const epoch = await this.c.store.epoch()
    const from = h.epoch === undefined || h.epoch === epoch ? h.lastVersion : 0
    this.send({
      type: 'welcome',
      vpcId: auth.vpcId,
      credential: auth.credential,
      heartbeatMs: this.o.heartbeatMs,
      replica: this.o.replicaId,
      epoch,
      ...(auth.gatewayId === undefined ? {} : { gatewayId: auth.gatewayId }),
    })
    const now = this.c.clock.now()
    await this.c.store.putAgent(auth.statusKey, {
      session: this.id,
      replica: this.o.replicaId,
      connected: true,
      lastSeen: now,
      observedAddress: this.remoteAddress,
      agentVersion: h.agentVersion,
      appliedVersion: h.lastVersion,
    })
    this.appliedVersion = from
    this.sentVersion = from
    const view = await this.c.maps.latest()
    const changes = from > 0 ? (await this.c.store.changesSince(from))?.changes : undefined
    const index = new PlanIndex(view.snap, changes, view)
    const u = planUpdate(auth.vpcId, from, view.snap, changes, index)
    this.sendUpdate(u, u.type === 'removed' ? undefined : index.frame(auth.vpcId, u))
    if (this.isClosed()) return
    this.state = 'ready'
    this.heartbeat.start(this.o.heartbeatMs)
    this.c.events.connected(auth.vpcId)
    this.log.info('agent connected', { agentVersion: h.agentVersion, fromVersion: from })
    this.c.host.becameReady(this)
  }

  /**
   * Checks what needs no store first (the token's or credential's shape, the key), then the
   * join token or credential; on failure closes and returns undefined. A key that another VPC
   * holds is refused with 4423 at enrolment and at every later hello.
   */
  private async authenticate(h: Hello): Promise<Authenticated | undefined> {
    const a = h.auth
    if (a.kind === 'join' ? !isSecretShape('vmj', a.token) : !isSecretShape('vmc', a.credential))
      return this.unauthorized(a.kind)
    const keyProblem = checkPublicKey(h.publicKey)
    if (keyProblem !== undefined)
      return this.refuse('key_invalid', CloseCode.keyInvalid, WireErrorCode.wsKeyInvalid, keyProblem)
    try {
      return a.kind === 'join' ? await this.enrol(a.token, h) : await this.resume(a.vpcId, a.credential, a.gateway, h)
    } catch (e) {
      if (ENDPOINT_REFUSALS.some((c) => isCode(e, c))) {
        // A gateway's announced endpoint is checked like a registered one.
        return this.refuse('endpoint_invalid', CloseCode.badFrame, (e as { code: string }).code, errorMessage(e))
      }
      if (!isCode(e, WireErrorCode.wsKeyInUse)) throw e
      this.log.warn('agent key already used by another VPC; refused', {
        vpc: a.kind === 'credential' ? a.vpcId : undefined,
        owner: (e as { ownerId?: string }).ownerId,
        address: this.remoteAddress,
      })
      return this.refuse('key_in_use', CloseCode.keyInUse, WireErrorCode.wsKeyInUse, errorMessage(e))
    }
  }

  private async enrol(token: string, h: Hello): Promise<Authenticated | undefined> {
    const credential = newSecret('vmc')
    const e = await this.c.store.enroll(hashSecret(token), h.publicKey, hashSecret(credential), h.gateway)
    if (e === undefined) return this.unauthorized('join')
    this.log.info('agent enrolled', { vpc: e.vpc.id, name: e.vpc.name, gateway: e.gatewayId })
    this.vpcName = e.vpc.name
    return { vpcId: e.vpc.id, credential, gatewayId: e.gatewayId, statusKey: statusKeyOf(e.vpc, e.gatewayId) }
  }

  private async resume(
    vpcId: string,
    credential: string,
    gateway: string | undefined,
    h: Hello,
  ): Promise<Authenticated | undefined> {
    if (!(await this.c.store.checkCredential(vpcId, hashSecret(credential), gateway)))
      return this.unauthorized('credential')
    const rec = await this.c.store.getVpc(vpcId)
    if (rec === undefined) return this.unauthorized('credential')
    if (gateway === undefined && h.gateway !== undefined && (rec.gateways ?? []).length === 0) {
      // Upgraded from before gateways: becomes the VPC's first gateway with a new credential.
      const fresh = newSecret('vmc')
      const m = await this.c.store.migrateLegacy(vpcId, h.publicKey, hashSecret(fresh), h.gateway)
      if (m === undefined) return this.unauthorized('credential')
      this.log.info('agent enrolled before gateways is now a gateway', { vpc: vpcId, gateway: m.gatewayId })
      this.vpcName = rec.name
      return { vpcId, credential: fresh, gatewayId: m.gatewayId, statusKey: statusKeyOf(m.vpc, m.gatewayId) }
    }
    if (gateway === undefined) {
      if (rec.publicKey !== h.publicKey) await this.c.store.setPublicKey(vpcId, h.publicKey)
    } else {
      const gw = rec.gateways?.find((g) => g.id === gateway)
      if (gw === undefined) return this.unauthorized('credential')
      const endpoint = h.gateway?.endpoint ?? gw.endpoint
      if (gw.publicKey !== h.publicKey || gw.endpoint !== endpoint || gw.drained)
        await this.c.store.setPublicKey(vpcId, h.publicKey, gateway, h.gateway)
    }
    this.vpcName = rec.name
    return { vpcId, gatewayId: gateway, statusKey: statusKeyOf(rec, gateway) }
  }

  private unauthorized(kind: 'join' | 'credential'): undefined {
    return this.refuse(
      'unauthorized',
      CloseCode.unauthorized,
      WireErrorCode.wsUnauthorized,
      kind === 'join'
        ? 'join token unknown, expired or already used; issue a new one with `vpcmesh vpc join-token`'
        : 'agent credential rejected; re-enrol with a new join token',
    )
  }

  /** Counts a refusal before authentication, then closes with an error frame. */
  private refuse(reason: RefusalReason, closeCode: number, code: string, message: string): undefined {
    this.c.events.refused(reason)
    this.fail(closeCode, code, message)
    return undefined
  }

  /** A heartbeat tick on a live peer: ping it and record when it was last heard. */
  private ping(pingId: number): void {
    this.send({ type: 'ping', id: pingId })
    this.c.status.put(this.statusKey, { lastSeen: this.heartbeat.lastHeard })
  }

  private send(m: ControllerMessage): void {
    this.sendText(encodeMessage(m), m.type)
  }

  /** Sends an encoded frame of message `type` as a text frame (a Buffer holds its UTF-8). */
  private sendText(frame: string | Buffer, type: string): void {
    if (this.socket.readyState !== this.socket.OPEN) return
    this.socket.send(frame, { binary: false })
    this.c.events.sent(type)
  }

  private closed(): void {
    if (this.state === 'closed') return
    const wasReady = this.state === 'ready'
    this.state = 'closed'
    this.timer?.cancel()
    this.heartbeat.stop()
    this.probes.closeAll('agent disconnected before answering')
    this.c.host.unregister(this)
    if (this.vpcId !== undefined) {
      if (wasReady) this.c.events.disconnected(this.vpcId)
      this.c.store.disconnectAgent(this.statusKey, this.id).catch(() => undefined)
    }
  }
}
