import dgram from 'node:dgram'
import net from 'node:net'
import { type Clock, type Logger, type TimerHandle, errorMessage, noopLogger, systemClock } from '@vpcmesh/common'
import { type Metrics, noopMetrics } from '@vpcmesh/metrics'
import { type DecodedPacket, encode } from 'dns-packet'
import { type DnsEndpoint, type DnsForwarderConfig, type DnsZone, sameEndpoint } from './config.js'
import { type DnsDropReason, DnsMetrics, type DnsResult, UPSTREAM_ZONE_LABEL } from './dns-metrics.js'
import { DNS_ERROR_CODES, DnsError } from './errors.js'
import { type ParsedQuery, parseQuery } from './query.js'
import { RCODE, errorReply, truncatedReply } from './replies.js'
import { forwardQuestion, needsRewrite, rewriteAnswer } from './rewrite.js'
import { FrameReader, MAX_TCP_MESSAGE, frame } from './tcp-framing.js'
import { type ExchangeResult, type Transport, UpstreamClient } from './upstream.js'
import { ZoneMatcher } from './zone-match.js'

/** Injected into {@link DnsForwarder}; each has a default. */
export interface DnsForwarderComponents {
  /** Timers (per-query budget, TCP idle) and durations. @default systemClock */
  readonly clock?: Clock
  /** @default noopLogger */
  readonly logger?: Logger
  /** @default noopMetrics */
  readonly metrics?: Metrics
}

/** How one query ended: the bytes for the client and the result label. */
interface Outcome {
  readonly reply: Buffer
  readonly result: DnsResult
}

/**
 * A DNS forwarder for one agent: answers UDP and TCP queries on `config.listen`, sends names in
 * a configured zone to that zone's servers (renaming the zone and translating A/AAAA answers
 * as configured) and everything else to `config.upstream`. Behaviour, limits and metrics:
 * docs/operations.md ("DNS forwarder"). Per-query problems never throw: they become SERVFAIL or REFUSED
 * answers or counted drops.
 */
export class DnsForwarder {
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly metrics: DnsMetrics
  private readonly upstream: UpstreamClient
  private config: DnsForwarderConfig
  private matcher: ZoneMatcher<DnsZone>
  private udp: dgram.Socket | undefined
  private tcp: net.Server | undefined
  private readonly connections = new Map<net.Socket, TimerHandle>()
  private bound: DnsEndpoint | undefined
  private inFlight = 0
  /** Bumped by stop(): queries started before it are neither answered nor counted. */
  private epoch = 0

  constructor(config: DnsForwarderConfig, components: DnsForwarderComponents = {}) {
    this.clock = components.clock ?? systemClock
    this.logger = (components.logger ?? noopLogger).child('dns')
    this.metrics = new DnsMetrics(components.metrics ?? noopMetrics)
    this.config = config
    this.matcher = new ZoneMatcher(config.zones)
    this.upstream = new UpstreamClient({
      clock: this.clock,
      logger: this.logger,
      onSpoofed: () => this.drop('spoofed'),
      sourceFor: (family) => {
        const a = this.config.listen.address
        const fam = a.includes(':') ? 6 : 4
        return fam === family && a !== '0.0.0.0' && a !== '::' ? a : undefined
      },
    })
  }

  /** The bound address and port (the real port when `listen.port` was 0); undefined when stopped. */
  address(): DnsEndpoint | undefined {
    return this.bound
  }

  /** Queries being forwarded now. */
  get queriesInFlight(): number {
    return this.inFlight
  }

  /**
   * Binds UDP, then TCP on the same port. Throws a DnsError `VPCMESH_ERR_DNS_BIND` naming the
   * address when either cannot be bound (nothing stays open then). With port 0, a UDP port
   * whose TCP twin is taken is given up and another one tried (16 times at most). Calling it
   * while started does nothing.
   */
  async start(): Promise<void> {
    if (this.udp !== undefined) return
    const { address, port } = this.config.listen
    const { udp, tcp } = await bindBoth(address, port, (sock) => this.onConnection(sock))
    const udpPort = udp.address().port
    udp.on('message', (msg, rinfo) => this.onUdpQuery(msg, rinfo))
    udp.on('error', (err) => this.logger.warn('DNS listen socket error', { err: err.message }))
    tcp.on('error', (err) => this.logger.warn('DNS TCP listener error', { err: err.message }))
    this.udp = udp
    this.tcp = tcp
    this.bound = { address, port: udpPort }
    this.upstream.reopen()
    this.logger.info('DNS forwarder listening', { address, port: udpPort, zones: this.config.zones.map((z) => z.zone) })
  }

  /**
   * Closes the listeners, every client connection and upstream socket, and cancels every timer;
   * queries in flight are abandoned (their clients get no answer). Idempotent; `start()` may
   * be called again.
   */
  async stop(): Promise<void> {
    const udp = this.udp
    const tcp = this.tcp
    this.udp = undefined
    this.tcp = undefined
    this.bound = undefined
    this.epoch++
    this.upstream.close()
    for (const [sock, timer] of this.connections) {
      timer.cancel()
      sock.destroy()
    }
    this.connections.clear()
    await Promise.all([
      udp === undefined ? undefined : new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp === undefined ? undefined : new Promise<void>((resolve) => tcp.close(() => resolve())),
    ])
  }

  /**
   * Replaces zones, upstream servers and limits. Queries already in flight finish with the
   * configuration they started with. When started and `listen` changed, rebinds (stop, then
   * start on the new address, which may throw `VPCMESH_ERR_DNS_BIND`); otherwise keeps the
   * sockets.
   */
  async reconfigure(config: DnsForwarderConfig): Promise<void> {
    const rebind = this.udp !== undefined && !sameEndpoint(config.listen, this.config.listen)
    this.config = config
    this.matcher = new ZoneMatcher(config.zones)
    if (!rebind) return
    await this.stop()
    await this.start()
  }

  private onUdpQuery(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const udp = this.udp
    void this.handle(msg, 'udp', (reply) => {
      if (this.udp === udp) udp?.send(reply, rinfo.port, rinfo.address)
    })
  }

  private onConnection(sock: net.Socket): void {
    const reader = new FrameReader()
    const idle = (): TimerHandle =>
      this.clock.setTimeout(() => {
        this.logger.debug('closing an idle DNS TCP connection', { peer: sock.remoteAddress })
        this.closeConnection(sock)
      }, this.config.tcpIdleMs)
    this.connections.set(sock, idle())
    const touch = (): void => {
      const t = this.connections.get(sock)
      if (t === undefined) return
      t.cancel()
      this.connections.set(sock, idle())
    }
    sock.on('data', (chunk) => {
      touch()
      for (const msg of reader.push(chunk)) {
        const ok = this.handle(msg, 'tcp', (reply) => {
          if (!this.connections.has(sock)) return
          touch()
          sock.write(frame(reply))
        })
        if (ok === false) return this.closeConnection(sock)
      }
    })
    sock.on('error', () => this.closeConnection(sock))
    sock.on('close', () => this.closeConnection(sock))
  }

  private closeConnection(sock: net.Socket): void {
    this.connections.get(sock)?.cancel()
    this.connections.delete(sock)
    sock.destroy()
  }

  /**
   * Handles one query message. Returns false (synchronously) when it was dropped as
   * malformed; otherwise answers through `send` once, later.
   */
  private handle(msg: Buffer, transport: Transport, send: (reply: Buffer) => void): false | Promise<void> {
    const query = parseQuery(msg)
    if (typeof query === 'string') {
      this.logger.debug('dropped a malformed DNS query', { reason: query, transport })
      this.drop('malformed')
      return false
    }
    const zone = this.matcher.match(query.question.name)
    const label = zone?.zone ?? UPSTREAM_ZONE_LABEL
    if (this.inFlight >= this.config.maxInFlight) {
      this.drop('overload')
      this.metrics.queries.inc({ zone: label, result: 'refused' })
      send(errorReply(query.packet, RCODE.refused))
      return Promise.resolve()
    }
    this.inFlight++
    const started = this.clock.monotonic()
    const epoch = this.epoch
    return this.resolve(query, zone, transport)
      .catch((e): Outcome => {
        this.logger.warn('DNS query failed', { err: errorMessage(e) })
        return { reply: errorReply(query.packet, RCODE.servFail), result: 'servfail' }
      })
      .then((outcome) => {
        this.inFlight--
        if (epoch !== this.epoch) return
        this.metrics.queries.inc({ zone: label, result: outcome.result })
        this.metrics.duration.observe({ zone: label }, (this.clock.monotonic() - started) / 1000)
        try {
          send(outcome.reply)
        } catch (e) {
          this.logger.warn('cannot send a DNS answer', { err: errorMessage(e), transport })
        }
      })
  }

  /** Forwards `query` to the servers of `zone` (or upstream) in order within the time budget. */
  private async resolve(query: ParsedQuery, zone: DnsZone | undefined, transport: Transport): Promise<Outcome> {
    const servers = zone?.servers ?? this.config.upstream
    if (servers.length === 0) return { reply: errorReply(query.packet, RCODE.refused), result: 'refused' }
    const question = forwardQuestion(query.question, zone)
    const deadline = this.clock.monotonic() + this.config.timeoutMs
    let last: ExchangeResult = { ok: false, kind: 'timeout', detail: 'no time left' }
    for (let i = 0; i < servers.length; i++) {
      const remaining = deadline - this.clock.monotonic()
      if (remaining <= 0) break
      last = await this.upstream.exchange({
        server: servers[i]!,
        transport,
        question,
        timeoutMs: Math.max(1, Math.floor(remaining / (servers.length - i))),
        encode: (id) => encode({ ...query.packet, id, questions: [question] }),
      })
      if (last.ok) break
      this.logger.debug('DNS server attempt failed', { zone: zone?.zone, kind: last.kind, detail: last.detail })
    }
    if (!last.ok) {
      return {
        reply: errorReply(query.packet, RCODE.servFail),
        result: last.kind === 'timeout' ? 'timeout' : 'servfail',
      }
    }
    return this.answer(query, zone, transport, last.answer, last.raw)
  }

  /**
   * The client's answer from the server's: renamed and translated, id restored, truncated to
   * fit UDP; SERVFAIL when renaming made it longer than any DNS message may be.
   */
  private answer(
    q: ParsedQuery,
    zone: DnsZone | undefined,
    transport: Transport,
    a: DecodedPacket,
    raw: Buffer,
  ): Outcome {
    let reply: Buffer
    if (zone !== undefined && needsRewrite(zone)) {
      a.id = q.packet.id
      rewriteAnswer(a, q.question, zone)
      reply = encode(a)
    } else {
      reply = Buffer.from(raw)
      reply.writeUInt16BE(q.packet.id ?? 0, 0)
      a.id = q.packet.id
      a.questions = [q.question]
    }
    if (reply.length > MAX_TCP_MESSAGE) return { reply: errorReply(q.packet, RCODE.servFail), result: 'servfail' }
    if (transport === 'udp' && reply.length > q.udpSize) return { reply: truncatedReply(a), result: 'truncated' }
    if (a.flag_tc) return { reply, result: 'truncated' }
    return { reply, result: resultOf((a.flags ?? 0) & 0xf) }
  }

  private drop(reason: DnsDropReason): void {
    this.metrics.dropped.inc({ reason })
  }
}

/** The result label of a server's response code: NOERROR, NXDOMAIN, REFUSED, anything else servfail. */
function resultOf(rcode: number): DnsResult {
  if (rcode === 0) return 'ok'
  if (rcode === 3) return 'nxdomain'
  if (rcode === 5) return 'refused'
  return 'servfail'
}

/** Attempts at finding a port free for both UDP and TCP when the configured port is 0. */
const PORT_ZERO_ATTEMPTS = 16

/** Binds UDP, then TCP on the same port; see {@link DnsForwarder.start}. */
async function bindBoth(
  address: string,
  port: number,
  onConnection: (sock: net.Socket) => void,
): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4')
    try {
      await bindUdp(udp, address, port)
    } catch (e) {
      udp.close()
      throw bindError(address, port, 'UDP', e)
    }
    const udpPort = udp.address().port
    const tcp = net.createServer(onConnection)
    try {
      await listenTcp(tcp, address, udpPort)
      return { udp, tcp }
    } catch (e) {
      udp.close()
      tcp.close()
      const inUse = (e as { code?: unknown }).code === 'EADDRINUSE'
      if (port !== 0 || !inUse || attempt >= PORT_ZERO_ATTEMPTS) throw bindError(address, udpPort, 'TCP', e)
    }
  }
}

function bindUdp(sock: dgram.Socket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject)
    sock.bind({ address, port, exclusive: true }, () => {
      sock.off('error', reject)
      resolve()
    })
  })
}

function listenTcp(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function bindError(address: string, port: number, proto: string, cause: unknown): DnsError {
  return new DnsError(
    DNS_ERROR_CODES.bind,
    `cannot bind the DNS forwarder to ${proto} ${address} port ${port}: ${errorMessage(cause)}; ` +
      'choose a free port or a local address (ports below 1024 need CAP_NET_BIND_SERVICE)',
    { cause },
  )
}
