import dgram from 'node:dgram'
import net from 'node:net'
import { type DecodedPacket, type Packet, decode, encode } from 'dns-packet'
import { FrameReader, frame } from '../../src/dns/tcp-framing.js'

/** A query packet for `name`/`type`, optionally with an EDNS0 OPT record advertising `udpSize`. */
export function query(name: string, type: 'A' | 'AAAA' | 'TXT' | 'CNAME' = 'A', udpSize?: number): Packet {
  return {
    id: Math.floor(Math.random() * 65_536),
    type: 'query',
    flags: 0x0100,
    questions: [{ name, type, class: 'IN' }],
    additionals: udpSize === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: udpSize, flags: 0 } as never],
  }
}

/** Sends raw bytes over UDP to 127.0.0.1:`port`, fire and forget, from one socket. */
export async function sendUdpRaw(port: number, messages: readonly Buffer[]): Promise<void> {
  const sock = dgram.createSocket('udp4')
  for (const m of messages) await new Promise<void>((resolve) => sock.send(m, port, '127.0.0.1', () => resolve()))
  await new Promise<void>((resolve) => sock.close(() => resolve()))
}

/** Sends one query over UDP and awaits its answer (rejects after `timeoutMs`). */
export function mustUdpQuery(port: number, packet: Packet | Buffer, timeoutMs = 5000): Promise<DecodedPacket> {
  const bytes = Buffer.isBuffer(packet) ? packet : encode(packet)
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4')
    const timer = setTimeout(() => {
      sock.close()
      reject(new Error(`no UDP answer within ${timeoutMs} ms`))
    }, timeoutMs)
    sock.on('message', (msg) => {
      clearTimeout(timer)
      sock.close()
      resolve(decode(msg))
    })
    sock.send(bytes, port, '127.0.0.1')
  })
}

/** Sends every query on one TCP connection at once and awaits as many answers, in arrival order. */
export function mustTcpQueries(port: number, packets: readonly Packet[], timeoutMs = 5000): Promise<DecodedPacket[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1')
    const reader = new FrameReader()
    const out: DecodedPacket[] = []
    const timer = setTimeout(() => {
      sock.destroy()
      reject(new Error(`only ${out.length} of ${packets.length} TCP answers within ${timeoutMs} ms`))
    }, timeoutMs)
    sock.on('connect', () => sock.write(Buffer.concat(packets.map((p) => frame(encode(p))))))
    sock.on('data', (chunk) => {
      for (const m of reader.push(chunk)) out.push(decode(m))
      if (out.length >= packets.length) {
        clearTimeout(timer)
        sock.destroy()
        resolve(out)
      }
    })
    sock.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
  })
}

/** Like a stub resolver: UDP first, and TCP again when the answer is truncated. */
export async function mustResolve(port: number, packet: Packet): Promise<{ answer: DecodedPacket; viaTcp: boolean }> {
  const first = await mustUdpQuery(port, packet)
  if (!first.flag_tc) return { answer: first, viaTcp: false }
  const [answer] = await mustTcpQueries(port, [packet])
  return { answer: answer!, viaTcp: true }
}

/** The data of each answer record, in order. */
export function answerData(p: DecodedPacket): unknown[] {
  return (p.answers ?? []).map((r) => (r as { data?: unknown }).data)
}

/** The response code name (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `REFUSED`, ...) that dns-packet decodes. */
export function rcodeOf(p: DecodedPacket): string {
  return (p as { rcode?: string }).rcode ?? ''
}
