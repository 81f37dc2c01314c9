import WebSocket from 'ws'
import { Backoff, type Clock, Heartbeat, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import {
  CloseCode,
  PROBE_FEATURE,
  PROTOCOL_VERSION,
  decodeControllerMessage,
  encodeMessage,
  frameBytes,
  type AgentMessage,
  type ControllerMessage,
  type NetMap,
  type PeerStatus,
  type ProbeRequest,
  type ProbeResult,
} from '@vpcmesh/protocol'
import { applyUpdate } from './netmap-state.js'

/** The agent's credential as the controller issued it at enrolment. */
export interface Credential {
  vpcId: string
  credential: string
  /** The gateway id issued with it (agents enrolled before gateways have none). */
  gatewayId?: string
}

/** Where the client keeps its credential (a 0600 file in production). */
export interface CredentialVault {
  load(): Credential | undefined
  save(c: Credential): void
}

/** Dependencies of the {@link ControlClient}. */
export interface ControlClientComponents {
  clock: Clock
  logger: Logger
  vault: CredentialVault
  /** Called with every new map, in order; once the owner has applied a map it passes that map to {@link ControlClient.ack}. */
  onMap: (map: NetMap) => void
  /** Called when the controller says this VPC was deleted. */
  onRemoved?: () => void
  /**
   * Answers the controller's probe frames (`vpcmesh explain`). Absent: the hello does not
   * offer the `probe` feature, so the controller sends none.
   */
  onProbe?: (request: ProbeRequest) => Promise<ProbeResult>
}

/** Probes answered at once; more are refused with an error answer. */
const MAX_PROBES_IN_FLIGHT = 4

/** Knobs of the {@link ControlClient}. */
export interface ControlClientOptions {
  /** Controller base URLs (http(s)://host:port), tried in turn. */
  urls: readonly string[]
  /** Used only when the vault holds no credential. */
  joinToken?: string
  /** base64 X25519 public key of this agent. */
  publicKey: string
  agentVersion: string
  /** The map the agent already applied (from disk), so the controller can send a delta. */
  initialMap?: NetMap
  /** PEM CA certificate(s) trusted for wss:// besides the system's. */
  ca?: Buffer
  /** This gateway's name and advertised endpoint, sent in hello (HA gateways). */
  gateway?: { name: string; endpoint?: string }
  /** Backoff between attempts. @default 250 ms doubling to 15 s with jitter */
  backoff?: { initialMs?: number; maxMs?: number }
}

/**
 * The agent's side of the control protocol: connects to one of several controllers, sends
 * hello (credential, or join token once), keeps the current map from snapshots and deltas,
 * answers pings, sends acks and status, and reconnects with jittered exponential backoff to
 * the next URL whenever the connection ends. It never touches the OS; losing the controller
 * only means no new maps.
 *
 *   idle ─start─▶ connecting ─open+hello─▶ connected ─close/error/timeout─▶ backoff ─▶ connecting
 *                                                                    stop() from any ─▶ stopped
 */
export class ControlClient {
  /** The latest map received (applied or not). */
  map: NetMap | undefined
  /** The latest map the owner acknowledged as applied. */
  applied: NetMap | undefined
  private epoch: string | undefined
  state: 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped' = 'idle'
  /** URL of the controller currently connected, if any. */
  connectedUrl: string | undefined
  /** Why the last connection ended (close code and reason), for status. */
  lastError: string | undefined
  private ws: WebSocket | undefined
  private urlIndex = 0
  private readonly backoff: Backoff
  private timer: TimerHandle | undefined
  private readonly heartbeat: Heartbeat
  /** The gateway id the controller knows this agent as (welcome); undefined before, or for old stores. */
  gatewayId: string | undefined
  /** Set when the controller refused our stored credential and a join token is at hand. */
  private useJoinToken = false
  private log: Logger
  private probesInFlight = 0

  constructor(
    private readonly c: ControlClientComponents,
    private readonly o: ControlClientOptions,
  ) {
    if (o.urls.length === 0) throw new Error('ControlClient needs at least one controller URL')
    this.map = o.initialMap
    this.applied = o.initialMap
    this.backoff = new Backoff(o.backoff)
    this.log = c.logger.child('control')
    this.heartbeat = new Heartbeat(c.clock, {
      ping: (id) => {
        this.send({ type: 'ping', id })
      },
      silent: () => {
        this.log.warn('controller silent for 3 heartbeats; reconnecting')
        this.ws?.terminate()
      },
    })
  }

  start(): void {
    if (this.state !== 'idle') return
    this.connect()
  }

  /** Closes the connection and stops reconnecting. */
  stop(): void {
    this.state = 'stopped'
    this.timer?.cancel()
    this.heartbeat.stop()
    this.ws?.close(1000, 'agent stopping')
    this.ws = undefined
  }

  /**
   * Tells the controller that `map` is applied. Dropped when not connected: the next hello
   * carries the applied version, and the controller continues from there.
   */
  ack(map: NetMap): void {
    this.applied = map
    this.send({ type: 'ack', version: map.version })
  }

  /** Reports tunnel status to the controller. */
  reportStatus(peers: PeerStatus[]): void {
    this.send({ type: 'status', peers })
  }

  private connect(): void {
    if (this.state === 'stopped') return
    const base = this.o.urls[this.urlIndex % this.o.urls.length] as string
    this.urlIndex++
    const url = `${base.replace(/^http/, 'ws').replace(/\/+$/, '')}/v1/agents/connect`
    this.state = 'connecting'
    const ws = new WebSocket(url, {
      handshakeTimeout: 10_000,
      maxPayload: 64 * 1024 * 1024,
      ...(this.o.ca === undefined ? {} : { ca: this.o.ca }),
    })
    this.ws = ws
    ws.on('open', () => {
      this.opened(ws, base)
    })
    ws.on('message', (data: WebSocket.RawData) => {
      this.received(ws, data)
    })
    let failure: string | undefined
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed(ws, code, failure ?? reason.toString())
    })
    ws.on('error', (e: Error) => {
      failure = e.message
    })
  }

  private opened(ws: WebSocket, base: string): void {
    if (ws !== this.ws) return
    const cred = this.useJoinToken ? undefined : this.c.vault.load()
    if (cred === undefined && this.o.joinToken === undefined) {
      this.lastError = 'no credential stored and no join token given'
      this.log.error(
        'cannot authenticate: no credential stored and no join token; pass --join-token from `vpcmesh vpc add`',
      )
      ws.close(1000)
      return
    }
    const auth =
      cred !== undefined
        ? {
            kind: 'credential' as const,
            vpcId: cred.vpcId,
            credential: cred.credential,
            ...(cred.gatewayId === undefined ? {} : { gateway: cred.gatewayId }),
          }
        : { kind: 'join' as const, token: this.o.joinToken as string }
    // Continue from what is applied; a received but unapplied map is asked for again.
    this.map = this.applied
    this.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      agentVersion: this.o.agentVersion,
      auth,
      publicKey: this.o.publicKey,
      lastVersion: this.applied?.version ?? 0,
      epoch: this.applied?.epoch,
      ...(this.o.gateway === undefined ? {} : { gateway: this.o.gateway }),
      ...(this.c.onProbe === undefined ? {} : { features: [PROBE_FEATURE] }),
    })
    this.connectedUrl = base
    this.heartbeat.heard()
  }

  private received(ws: WebSocket, data: WebSocket.RawData): void {
    if (ws !== this.ws) return
    const d = decodeControllerMessage(frameBytes(data))
    if (!d.ok) {
      this.log.warn('bad frame from controller; reconnecting', { error: d.error })
      ws.close(CloseCode.badFrame, 'bad frame')
      return
    }
    this.heartbeat.heard()
    this.handle(ws, d.message)
  }

  private handle(ws: WebSocket, m: ControllerMessage): void {
    switch (m.type) {
      case 'welcome':
        if (m.credential !== undefined)
          this.c.vault.save({
            vpcId: m.vpcId,
            credential: m.credential,
            ...(m.gatewayId === undefined ? {} : { gatewayId: m.gatewayId }),
          })
        this.gatewayId = m.gatewayId
        this.useJoinToken = false
        this.epoch = m.epoch
        this.state = 'connected'
        this.backoff.reset()
        this.heartbeat.start(m.heartbeatMs)
        this.log = this.c.logger.child('control', { vpc: m.vpcId })
        this.log.info('connected', { controller: this.connectedUrl, replica: m.replica, vpc: m.vpcId })
        return
      case 'snapshot':
      case 'delta': {
        const next = applyUpdate(this.map, m, this.epoch)
        if (next === undefined) {
          this.log.warn('delta does not follow the held version; reconnecting', {
            held: this.map?.version,
            from: m.type === 'delta' ? m.fromVersion : undefined,
          })
          ws.close(1000, 'resync')
          return
        }
        this.map = next
        this.c.onMap(next)
        return
      }
      case 'ping':
        this.send({ type: 'pong', id: m.id })
        return
      case 'pong':
        return
      case 'probe':
        void this.probe(ws, m.id, m.request)
        return
      case 'error':
        this.lastError = `${m.code}: ${m.message}`
        this.log.warn('controller error', { code: m.code, message: m.message })
        if (
          m.code === 'VPCMESH_ERR_WS_UNAUTHORIZED' &&
          !this.useJoinToken &&
          this.o.joinToken !== undefined &&
          this.c.vault.load() !== undefined
        ) {
          this.log.warn('stored credential refused; enrolling again with the join token')
          this.useJoinToken = true
        }
    }
  }

  /** Answers probe `id` on `ws` (dropped when that connection closed meanwhile). */
  private async probe(ws: WebSocket, id: string, request: ProbeRequest): Promise<void> {
    const onProbe = this.c.onProbe
    if (onProbe === undefined || this.probesInFlight >= MAX_PROBES_IN_FLIGHT) {
      this.send({ type: 'probeResult', id, result: null, error: 'agent busy or not answering probes' })
      return
    }
    this.probesInFlight++
    try {
      const result = await onProbe(request)
      if (ws === this.ws) this.send({ type: 'probeResult', id, result })
    } catch (e) {
      if (ws === this.ws) this.send({ type: 'probeResult', id, result: null, error: errorMessage(e).slice(0, 500) })
    } finally {
      this.probesInFlight--
    }
  }

  private closed(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return
    this.ws = undefined
    this.heartbeat.stop()
    this.connectedUrl = undefined
    if (this.state === 'stopped') return
    if (code !== 1000 || reason !== '') this.lastError = `closed ${code}${reason === '' ? '' : `: ${reason}`}`
    if (code === CloseCode.vpcDeleted) this.c.onRemoved?.()
    const delay = this.backoff.next()
    this.state = 'backoff'
    this.log.info('disconnected; retrying', { code, reason, inMs: delay })
    this.timer = this.c.clock.setTimeout(() => {
      this.connect()
    }, delay)
  }

  private send(m: AgentMessage): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return
    try {
      this.ws.send(encodeMessage(m))
    } catch (e) {
      this.log.debug('send failed', { error: errorMessage(e) })
    }
  }
}
