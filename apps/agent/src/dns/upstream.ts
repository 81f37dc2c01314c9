import { randomInt } from 'node:crypto'
import dgram from 'node:dgram'
import net from 'node:net'
import type { Clock, Logger, TimerHandle } from '@vpcmesh/common'
import { type DecodedPacket, type Question, decode } from 'dns-packet'
import type { DnsEndpoint } from './config.js'
import { FrameReader, frame } from './tcp-framing.js'
import { normalizeName } from './zone-match.js'

/** How a query reaches a server: UDP datagrams on a shared socket, or one TCP connection per query. */
export type Transport = 'udp' | 'tcp'

/** What one attempt gave: the server's answer (decoded, and its bytes), or why it failed. */
export type ExchangeResult =
  | { readonly ok: true; readonly answer: DecodedPacket; readonly raw: Buffer }
  | { readonly ok: false; readonly kind: 'timeout' | 'error'; readonly detail: string }

/** One attempt of {@link UpstreamClient.exchange}. */
export interface ExchangeRequest {
  readonly server: DnsEndpoint
  readonly transport: Transport
  /** The question as sent; an answer must echo it (name case-insensitively, type and class). */
  readonly question: Question
  /** Encodes the query with the upstream id the client chose. */
  readonly encode: (id: number) => Buffer
  readonly timeoutMs: number
}

/** Injected into {@link UpstreamClient}. */
export interface UpstreamClientComponents {
  readonly clock: Clock
  readonly logger: Logger
  /** Called for each answer dropped as spoofed: unknown id, wrong source, or a question that differs. */
  readonly onSpoofed: () => void
  /**
   * The local address queries of this family are sent from, or undefined for the kernel's
   * choice. The agent sends from its listen address: an address inside its VPC, so the answer
   * of a server in another VPC comes back through the mesh.
   */
  readonly sourceFor?: (family: 4 | 6) => string | undefined
}

interface Pending {
  readonly req: ExchangeRequest
  readonly resolve: (r: ExchangeResult) => void
  readonly timer: TimerHandle
}

/**
 * Sends queries to DNS servers with ids of its own (random, unique among the UDP queries in
 * flight) and matches answers back. A UDP answer is accepted only from the address and port
 * the query went to, with the pending id and the same question; anything else is dropped and
 * reported through `onSpoofed`, and the query keeps waiting. TCP uses a new connection per
 * query. After {@link close} every pending exchange resolves as an error and nothing is open.
 */
export class UpstreamClient {
  private readonly sockets = new Map<4 | 6, dgram.Socket>()
  private readonly pending = new Map<number, Pending>()
  private readonly tcp = new Set<net.Socket>()
  private closed = false

  constructor(private readonly components: UpstreamClientComponents) {}

  /** Sends one query and waits at most `timeoutMs` for its answer; never rejects. */
  exchange(req: ExchangeRequest): Promise<ExchangeResult> {
    if (this.closed) return Promise.resolve({ ok: false, kind: 'error', detail: 'forwarder stopped' })
    return req.transport === 'udp' ? this.exchangeUdp(req) : this.exchangeTcp(req)
  }

  /** Udp queries waiting for an answer. */
  get inFlight(): number {
    return this.pending.size
  }

  /** Accepts exchanges again after {@link close} (the forwarder was started again). */
  reopen(): void {
    this.closed = false
  }

  /** Fails every pending exchange, closes the sockets and connections. Idempotent. */
  close(): void {
    this.closed = true
    for (const [id, p] of this.pending) this.finish(id, p, { ok: false, kind: 'error', detail: 'forwarder stopped' })
    for (const s of this.sockets.values()) s.close()
    this.sockets.clear()
    for (const s of this.tcp) s.destroy()
    this.tcp.clear()
  }

  private exchangeUdp(req: ExchangeRequest): Promise<ExchangeResult> {
    return new Promise((resolve) => {
      const id = this.freeId()
      const timer = this.components.clock.setTimeout(() => {
        this.finish(id, p, { ok: false, kind: 'timeout', detail: `no answer within ${req.timeoutMs} ms` })
      }, req.timeoutMs)
      const p: Pending = { req, resolve, timer }
      this.pending.set(id, p)
      let bytes: Buffer
      try {
        bytes = req.encode(id)
      } catch (e) {
        return this.finish(id, p, { ok: false, kind: 'error', detail: `cannot encode the query: ${String(e)}` })
      }
      this.socket(net.isIPv6(req.server.address) ? 6 : 4).send(bytes, req.server.port, req.server.address, (err) => {
        if (err) this.finish(id, p, { ok: false, kind: 'error', detail: err.message })
      })
    })
  }

  private finish(id: number, p: Pending, r: ExchangeResult): void {
    if (this.pending.get(id) !== p) return
    this.pending.delete(id)
    p.timer.cancel()
    p.resolve(r)
  }

  private freeId(): number {
    for (;;) {
      const id = randomInt(0, 65_536)
      if (!this.pending.has(id)) return id
    }
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family)
    if (s === undefined) {
      const sock = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
      const source = this.components.sourceFor?.(family)
      if (source !== undefined) sock.bind({ address: source, port: 0 })
      sock.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo))
      sock.on('error', (err) => this.components.logger.warn('DNS upstream socket error', { err: err.message }))
      this.sockets.set(family, sock)
      s = sock
    }
    return s
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const id = msg.length >= 12 ? msg.readUInt16BE(0) : -1
    const p = this.pending.get(id)
    if (p === undefined || rinfo.address !== p.req.server.address || rinfo.port !== p.req.server.port) {
      return this.components.onSpoofed()
    }
    const r = check(msg, id, p.req.question)
    if (r === 'spoofed') return this.components.onSpoofed()
    this.finish(id, p, r)
  }

  private exchangeTcp(req: ExchangeRequest): Promise<ExchangeResult> {
    return new Promise((resolve) => {
      const id = randomInt(0, 65_536)
      const localAddress = this.components.sourceFor?.(net.isIP(req.server.address) === 6 ? 6 : 4)
      const sock = net.connect({
        host: req.server.address,
        port: req.server.port,
        ...(localAddress === undefined ? {} : { localAddress }),
      })
      this.tcp.add(sock)
      const reader = new FrameReader()
      let done = false
      const end = (r: ExchangeResult): void => {
        if (done) return
        done = true
        timer.cancel()
        this.tcp.delete(sock)
        sock.destroy()
        resolve(r)
      }
      const timer = this.components.clock.setTimeout(() => {
        end({ ok: false, kind: 'timeout', detail: `no answer within ${req.timeoutMs} ms` })
      }, req.timeoutMs)
      sock.on('connect', () => {
        try {
          sock.write(frame(req.encode(id)))
        } catch (e) {
          end({ ok: false, kind: 'error', detail: `cannot encode the query: ${String(e)}` })
        }
      })
      sock.on('data', (chunk) => {
        const msg = reader.push(chunk)[0]
        if (msg === undefined) return
        const r = check(msg, id, req.question)
        if (r === 'spoofed') {
          this.components.onSpoofed()
          return end({ ok: false, kind: 'error', detail: 'the TCP answer does not match the query' })
        }
        end(r)
      })
      sock.on('error', (err) => end({ ok: false, kind: 'error', detail: err.message }))
      sock.on('close', () => end({ ok: false, kind: 'error', detail: 'connection closed before an answer' }))
    })
  }
}

/** Decodes an answer with the expected id; 'spoofed' when it is not an answer to `question`. */
function check(msg: Buffer, id: number, question: Question): ExchangeResult | 'spoofed' {
  if (msg.length < 12 || msg.readUInt16BE(0) !== id || (msg[2]! & 0x80) === 0) return 'spoofed'
  let answer: DecodedPacket
  try {
    answer = decode(msg)
  } catch (e) {
    return { ok: false, kind: 'error', detail: `undecodable answer: ${String(e)}` }
  }
  const q = answer.questions?.[0]
  if (answer.questions?.length !== 1 || q === undefined) return 'spoofed'
  if (normalizeName(q.name) !== normalizeName(question.name) || q.type !== question.type) return 'spoofed'
  if ((q.class ?? 'IN') !== (question.class ?? 'IN')) return 'spoofed'
  return { ok: true, answer, raw: msg }
}
