import dgram from 'node:dgram'
import net from 'node:net'
import { type Answer, type DecodedPacket, TRUNCATED_RESPONSE, decode, encode } from 'dns-packet'
import { FrameReader, frame } from '../../src/dns/tcp-framing.js'

/** The record every forged answer of 'spoof-first' carries. */
export const FORGED = (name: string): Answer => ({ type: 'A', name, ttl: 5, data: '198.51.100.66' })

/** How the fake answers a name. */
export type FakeBehaviour =
  | 'answer'
  /** Never answers. */
  | 'silent'
  /** Over UDP: an empty answer with TC set; over TCP: the full answer. */
  | 'truncate-udp'
  /** Answers with the right id but bytes that do not decode. */
  | 'garbage'
  /** Answers SERVFAIL. */
  | 'servfail'
  /** First sends forged answers (wrong id; right id from another port; another question), then the real one. */
  | 'spoof-first'

/** What the fake saw of one query. */
export interface SeenQuery {
  readonly name: string
  readonly type: string
  readonly transport: 'udp' | 'tcp'
  readonly id: number
  readonly udpSize: number | undefined
}

/** Records by name (lower-case) and behaviour for one fake zone server. */
export interface FakeZone {
  /** Answer records by question name (lower-case, no trailing dot); other names get NXDOMAIN. */
  records: Map<string, Answer[]>
  /** Authority records added to every answer (e.g. an SOA). */
  authorities?: Answer[]
  /** By name; default 'answer'. */
  behaviour?: Map<string, FakeBehaviour>
  /** Delay before answering, ms (real time). @default 0 */
  delayMs?: number
}

/**
 * A small authoritative DNS server for tests: UDP and TCP on 127.0.0.1 on the same port,
 * answering from `zone.records` with the behaviours of {@link FakeBehaviour}.
 */
export class FakeDnsServer {
  readonly seen: SeenQuery[] = []
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly conns = new Set<net.Socket>()

  private constructor(
    readonly zone: FakeZone,
    private readonly udp: dgram.Socket,
    private readonly tcp: net.Server,
    private readonly other: dgram.Socket,
    readonly port: number,
  ) {
    udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo))
    tcp.on('connection', (sock) => this.onTcp(sock))
  }

  /** Starts a fake on 127.0.0.1 with a port free for both UDP and TCP. */
  static async start(zone: FakeZone): Promise<FakeDnsServer> {
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket('udp4')
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
      const port = udp.address().port
      const tcp = net.createServer()
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject)
          tcp.listen(port, '127.0.0.1', resolve)
        })
      } catch (e) {
        udp.close()
        if (attempt > 20) throw e
        continue
      }
      const other = dgram.createSocket('udp4')
      await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve))
      return new FakeDnsServer(zone, udp, tcp, other, port)
    }
  }

  /** The endpoint to put in a forwarder configuration. */
  get endpoint(): { address: string; port: number } {
    return { address: '127.0.0.1', port: this.port }
  }

  /** Closes everything. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    for (const c of this.conns) c.destroy()
    await Promise.all([
      new Promise<void>((resolve) => this.udp.close(() => resolve())),
      new Promise<void>((resolve) => this.other.close(() => resolve())),
      new Promise<void>((resolve) => this.tcp.close(() => resolve())),
    ])
  }

  private later(fn: () => void): void {
    const ms = this.zone.delayMs ?? 0
    if (ms === 0) return fn()
    const t = setTimeout(() => {
      this.timers.delete(t)
      fn()
    }, ms)
    this.timers.add(t)
  }

  private onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const q = decode(msg)
    const behaviour = this.note(q, 'udp')
    if (behaviour === 'silent') return
    const send = (buf: Buffer, sock = this.udp): void => sock.send(buf, rinfo.port, rinfo.address)
    this.later(() => {
      if (behaviour === 'truncate-udp') return send(this.truncated(q))
      if (behaviour === 'spoof-first') {
        const forged = (p: DecodedPacket): Buffer => {
          const name = p.questions?.[0]?.name ?? ''
          return encode({ id: p.id, type: 'response', flags: 0x0500, questions: p.questions, answers: [FORGED(name)] })
        }
        send(forged({ ...q, id: ((q.id ?? 0) + 1) & 0xffff }))
        send(forged(q), this.other)
        send(forged({ ...q, questions: [{ name: 'forged.example', type: 'A', class: 'IN' }] }))
      }
      send(this.answerFor(q, behaviour))
    })
  }

  private onTcp(sock: net.Socket): void {
    this.conns.add(sock)
    sock.on('close', () => this.conns.delete(sock))
    sock.on('error', () => sock.destroy())
    const reader = new FrameReader()
    sock.on('data', (chunk) => {
      for (const msg of reader.push(chunk)) {
        const q = decode(msg)
        const behaviour = this.note(q, 'tcp')
        if (behaviour === 'silent') continue
        this.later(() => sock.write(frame(this.answerFor(q, behaviour === 'truncate-udp' ? 'answer' : behaviour))))
      }
    })
  }

  private note(q: DecodedPacket, transport: 'udp' | 'tcp'): FakeBehaviour {
    const question = q.questions?.[0]
    const name = (question?.name ?? '').toLowerCase()
    const opt = q.additionals?.find((a) => a.type === 'OPT')
    const udpSize = opt !== undefined && 'udpPayloadSize' in opt ? opt.udpPayloadSize : undefined
    this.seen.push({ name, type: question?.type ?? '', transport, id: q.id ?? 0, udpSize })
    return this.zone.behaviour?.get(name) ?? 'answer'
  }

  private answerFor(q: DecodedPacket, behaviour: FakeBehaviour): Buffer {
    if (behaviour === 'garbage') {
      const buf = Buffer.from([0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff])
      buf.writeUInt16BE(q.id ?? 0, 0)
      return buf
    }
    if (behaviour === 'servfail')
      return encode({ id: q.id, type: 'response', flags: 0x0180 | 2, questions: q.questions })
    return this.reply(q)
  }

  private reply(q: DecodedPacket): Buffer {
    const name = (q.questions?.[0]?.name ?? '').toLowerCase()
    const type = q.questions?.[0]?.type
    const records = this.zone.records.get(name)
    const answers = (records ?? []).filter((r) => r.type === type || r.type === 'CNAME')
    return encode({
      id: q.id,
      type: 'response',
      flags: 0x0400 | 0x0100 | (records === undefined ? 3 : 0),
      questions: q.questions,
      answers,
      authorities: this.zone.authorities ?? [],
      additionals: (q.additionals ?? []).filter((a) => a.type === 'OPT'),
    })
  }

  private truncated(q: DecodedPacket): Buffer {
    return encode({ id: q.id, type: 'response', flags: 0x0400 | 0x0100 | TRUNCATED_RESPONSE, questions: q.questions })
  }
}
