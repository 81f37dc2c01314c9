import assert from 'node:assert/strict'
import dgram from 'node:dgram'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { isCode, pollUntil } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import { type Answer, decode, encode } from 'dns-packet'
import { parseDnsForwarderConfig } from '../src/dns/config.js'
import { DNS_RESULTS } from '../src/dns/dns-metrics.js'
import { DNS_ERROR_CODES } from '../src/dns/errors.js'
import { DnsForwarder } from '../src/dns/forwarder.js'
import { frame } from '../src/dns/tcp-framing.js'
import { answerData, mustTcpQueries, mustUdpQuery, query, rcodeOf, sendUdpRaw } from './dns/client.js'
import { FakeDnsServer } from './dns/fake-dns-server.js'
import { dropped, mustStartForwarder, queries } from './dns/harness.js'

const a = (name: string, data: string): Answer => ({ type: 'A', name, ttl: 5, data })

/** A port that was free a moment ago (for a server that refuses connections). */
async function closedPort(): Promise<number> {
  const s = net.createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

/** Open UDP and TCP handles of this process (listeners, connections, upstream sockets). */
function socketHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => /^(UDP|TCP)/.test(r)).length
}

/** A deterministic xorshift32 generator, so a failing fuzz run can be repeated. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** Independent statement of a well-formed query: QR clear, 1 question, no answers, ≤2 additionals, decodable. */
function wellFormed(buf: Buffer): boolean {
  if (buf.length < 12 || buf.length > 4096 || (buf[2]! & 0x80) !== 0) return false
  if (buf.readUInt16BE(4) !== 1 || buf.readUInt16BE(6) !== 0 || buf.readUInt16BE(8) !== 0 || buf.readUInt16BE(10) > 2) {
    return false
  }
  try {
    return decode(buf).questions?.length === 1
  } catch {
    return false
  }
}

describe('dns forwarder: failures, limits and lifecycle', () => {
  let good: FakeDnsServer
  let silent: FakeDnsServer
  let odd: FakeDnsServer

  before(async () => {
    good = await FakeDnsServer.start({ records: new Map([['ok.example', [a('ok.example', '192.0.2.1')]]]) })
    silent = await FakeDnsServer.start({
      records: new Map(),
      behaviour: new Map([
        ['slow.example', 'silent'],
        ['ok.example', 'silent'],
      ]),
    })
    odd = await FakeDnsServer.start({
      records: new Map([['spoof.example', [a('spoof.example', '192.0.2.9')]]]),
      behaviour: new Map([
        ['garbage.example', 'garbage'],
        ['fail.example', 'servfail'],
        ['spoof.example', 'spoof-first'],
      ]),
    })
  })

  after(async () => {
    await Promise.all([good.stop(), silent.stop(), odd.stop()])
  })

  test('a timeout gives SERVFAIL with the same id and question within the budget', async () => {
    const f = await mustStartForwarder({ upstream: [silent.endpoint], timeoutMs: 300 })
    try {
      const q = query('slow.example')
      const t0 = performance.now()
      const r = await mustUdpQuery(f.port, q)
      const elapsed = performance.now() - t0
      assert.equal(rcodeOf(r), 'SERVFAIL')
      assert.equal(r.id, q.id)
      assert.deepEqual(r.questions, q.questions)
      assert.ok(elapsed >= 290 && elapsed < 1300, `answered after ${elapsed} ms`)
      assert.equal(queries(f.metrics, 'upstream', 'timeout'), 1)
      assert.equal(f.forwarder.queriesInFlight, 0)
    } finally {
      await f.forwarder.stop()
    }
  })

  test('tries the next server when the first one is silent, within the same budget', async () => {
    const f = await mustStartForwarder({
      zones: [{ zone: 'example', servers: [silent.endpoint, good.endpoint] }],
      timeoutMs: 600,
    })
    try {
      const t0 = performance.now()
      const r = await mustUdpQuery(f.port, query('ok.example'))
      assert.deepEqual(answerData(r), ['192.0.2.1'])
      assert.ok(performance.now() - t0 < 600 + 300)
      assert.equal(queries(f.metrics, 'example', 'ok'), 1)
    } finally {
      await f.forwarder.stop()
    }
  })

  test('upstream errors give SERVFAIL: undecodable answer, SERVFAIL answer, refused TCP connection', async () => {
    const port = await closedPort()
    const f = await mustStartForwarder({
      zones: [{ zone: 'down.example', servers: [{ address: '127.0.0.1', port }] }],
      upstream: [odd.endpoint],
      timeoutMs: 2000,
    })
    try {
      const t0 = performance.now()
      assert.equal(rcodeOf(await mustUdpQuery(f.port, query('garbage.example'))), 'SERVFAIL')
      assert.equal(rcodeOf(await mustUdpQuery(f.port, query('fail.example'))), 'SERVFAIL')
      const [viaTcp] = await mustTcpQueries(f.port, [query('x.down.example')])
      assert.equal(rcodeOf(viaTcp!), 'SERVFAIL')
      assert.ok(performance.now() - t0 < 1500, 'errors answer at once, not at the timeout')
      assert.equal(queries(f.metrics, 'upstream', 'servfail'), 2)
      assert.equal(queries(f.metrics, 'down.example', 'servfail'), 1)
    } finally {
      await f.forwarder.stop()
    }
  })

  test('drops spoofed answers (wrong id, wrong source port, other question) and takes the real one', async () => {
    const f = await mustStartForwarder({ upstream: [odd.endpoint] })
    try {
      const r = await mustUdpQuery(f.port, query('spoof.example'))
      assert.deepEqual(answerData(r), ['192.0.2.9'])
      await pollUntil('3 spoofed drops', () => dropped(f.metrics, 'spoofed') === 3)
      assert.equal(queries(f.metrics, 'upstream', 'ok'), 1)
    } finally {
      await f.forwarder.stop()
    }
  })

  test('over maxInFlight, answers REFUSED and counts overload', async () => {
    const slow = await FakeDnsServer.start({
      records: new Map([['ok.example', [a('ok.example', '192.0.2.1')]]]),
      delayMs: 300,
    })
    const f = await mustStartForwarder({ upstream: [slow.endpoint], maxInFlight: 2 })
    try {
      const answers = await Promise.all(Array.from({ length: 5 }, () => mustUdpQuery(f.port, query('ok.example'))))
      const codes = answers.map((r) => rcodeOf(r)).sort()
      assert.deepEqual(codes, ['NOERROR', 'NOERROR', 'REFUSED', 'REFUSED', 'REFUSED'])
      assert.equal(dropped(f.metrics, 'overload'), 3)
      assert.equal(queries(f.metrics, 'upstream', 'refused'), 3)
      assert.equal(queries(f.metrics, 'upstream', 'ok'), 2)
    } finally {
      await f.forwarder.stop()
      await slow.stop()
    }
  })

  test('5,000 random datagrams: no crash, malformed ones counted, still answering', async () => {
    const f = await mustStartForwarder({ upstream: [good.endpoint] })
    try {
      const next = rng(20_261_201)
      const bufs = Array.from({ length: 5000 }, () => {
        const b = Buffer.alloc(Math.floor(next() * 600))
        for (let i = 0; i < b.length; i++) b[i] = Math.floor(next() * 256)
        return b
      })
      bufs.push(Buffer.from(encode({ ...query('ok.example'), type: 'response' })))
      bufs.push(Buffer.from(encode({ ...query('ok.example'), questions: [] })))
      const two = query('ok.example')
      two.questions = [...two.questions!, { name: 'b.example', type: 'A', class: 'IN' }]
      bufs.push(Buffer.from(encode(two)))
      bufs.push(Buffer.concat([encode(query('ok.example')), Buffer.alloc(5000)]))
      let malformed = 0
      let answered = 0
      // Batches of 50 so the kernel never overflows the socket buffer (a lost datagram is no drop of ours).
      for (let i = 0; i < bufs.length; i += 50) {
        const batch = bufs.slice(i, i + 50)
        malformed += batch.filter((b) => !wellFormed(b)).length
        answered += batch.filter((b) => wellFormed(b)).length
        await sendUdpRaw(f.port, batch)
        await pollUntil(`${malformed} malformed drops`, () => dropped(f.metrics, 'malformed') === malformed)
      }
      assert.ok(malformed >= 5000 - 5, `${malformed} malformed of ${bufs.length}`)
      const total = () => DNS_RESULTS.reduce((n, result) => n + queries(f.metrics, 'upstream', result), 0)
      await pollUntil('well-formed random queries answered', () => total() === answered)
      assert.deepEqual(answerData(await mustUdpQuery(f.port, query('ok.example'))), ['192.0.2.1'])
      assert.equal(total(), answered + 1)
    } finally {
      await f.forwarder.stop()
    }
  })

  test('a malformed query on TCP closes that connection and is counted', async () => {
    const f = await mustStartForwarder({ upstream: [good.endpoint] })
    try {
      const sock = net.connect(f.port, '127.0.0.1')
      const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()))
      sock.on('error', () => {})
      sock.write(frame(Buffer.from('not a dns message at all')))
      await closed
      assert.equal(dropped(f.metrics, 'malformed'), 1)
      const [r] = await mustTcpQueries(f.port, [query('ok.example')])
      assert.deepEqual(answerData(r!), ['192.0.2.1'])
    } finally {
      await f.forwarder.stop()
    }
  })

  test('refuses to bind a port in use with VPCMESH_ERR_DNS_BIND naming the address', async () => {
    const f = await mustStartForwarder({ upstream: [good.endpoint] })
    try {
      const config = parseDnsForwarderConfig({
        listen: { address: '127.0.0.1', port: f.port },
        upstream: [good.endpoint],
      })
      const second = new DnsForwarder(config)
      await assert.rejects(second.start(), (e: unknown) => {
        assert.ok(isCode(e, DNS_ERROR_CODES.bind))
        assert.match((e as Error).message, new RegExp(`127\\.0\\.0\\.1 port ${f.port}`))
        return true
      })
      await second.stop()
      assert.deepEqual(answerData(await mustUdpQuery(f.port, query('ok.example'))), ['192.0.2.1'])
    } finally {
      await f.forwarder.stop()
    }
  })

  test('reconfigure swaps zones on the same sockets, and rebinds when listen changes', async () => {
    const f = await mustStartForwarder({ upstream: [good.endpoint] })
    try {
      const port = f.port
      assert.equal(rcodeOf(await mustUdpQuery(port, query('x.odd.zone'))), 'NXDOMAIN')
      const zones = [{ zone: 'odd.zone', servers: [odd.endpoint] }]
      odd.zone.records.set('x.odd.zone', [a('x.odd.zone', '192.0.2.77')])
      await f.forwarder.reconfigure(
        parseDnsForwarderConfig({ listen: { address: '127.0.0.1', port: 0 }, zones, upstream: [good.endpoint] }),
      )
      assert.equal(f.forwarder.address()?.port, port, 'same listen config: not rebound')
      assert.deepEqual(answerData(await mustUdpQuery(port, query('x.odd.zone'))), ['192.0.2.77'])

      const moved = await closedPort()
      const config = parseDnsForwarderConfig({ listen: { address: '127.0.0.1', port: moved }, zones, upstream: [] })
      await f.forwarder.reconfigure(config)
      assert.equal(f.forwarder.address()?.port, moved)
      assert.deepEqual(answerData(await mustUdpQuery(moved, query('x.odd.zone'))), ['192.0.2.77'])
      assert.equal(rcodeOf(await mustUdpQuery(moved, query('ok.example'))), 'REFUSED', 'no upstream')
    } finally {
      await f.forwarder.stop()
    }
  })

  test('stop() frees the port for UDP and TCP, and cancels every timer', async () => {
    const clock = new FakeClock()
    // The three fake servers hold a UDP socket, a TCP listener and a second UDP socket each;
    // earlier tests' client sockets may still be closing.
    const baseline = 3 * 3
    await pollUntil('earlier sockets closed', () => socketHandles() === baseline)
    const f = await mustStartForwarder({ upstream: [silent.endpoint], timeoutMs: 5000, tcpIdleMs: 1000 }, clock)
    const pending = mustUdpQuery(f.port, query('slow.example'), 300).catch(() => 'no answer')
    await pollUntil('the query reaches the silent server', () => silent.seen.some((s) => s.name === 'slow.example'))
    const sock = net.connect(f.port, '127.0.0.1')
    sock.on('error', () => {})
    await new Promise<void>((resolve) => sock.on('connect', () => resolve()))
    await pollUntil('query and idle timers armed', () => clock.pending() === 2)
    await f.forwarder.stop()
    assert.equal(clock.pending(), 0)
    assert.equal(f.forwarder.address(), undefined)
    assert.equal(await pending, 'no answer')
    await pollUntil('the abandoned query left', () => f.forwarder.queriesInFlight === 0)
    assert.equal(queries(f.metrics, 'upstream', 'servfail') + queries(f.metrics, 'upstream', 'timeout'), 0)
    sock.destroy()
    await pollUntil('no socket handle left', () => socketHandles() === baseline)

    const udp = dgram.createSocket('udp4')
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind({ port: f.port, address: '127.0.0.1', exclusive: true }, resolve)
    })
    const tcp = net.createServer()
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      tcp.listen(f.port, '127.0.0.1', resolve)
    })
    await new Promise<void>((resolve) => udp.close(() => resolve()))
    await new Promise<void>((resolve) => tcp.close(() => resolve()))
  })

  test('closes an idle TCP connection after tcpIdleMs', async () => {
    const clock = new FakeClock()
    const f = await mustStartForwarder({ upstream: [good.endpoint], tcpIdleMs: 1000 }, clock)
    try {
      const sock = net.connect(f.port, '127.0.0.1')
      sock.on('error', () => {})
      const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()))
      await new Promise<void>((resolve) => sock.on('connect', () => resolve()))
      await pollUntil('idle timer armed', () => clock.pending() === 1)
      clock.advance(999)
      assert.equal(sock.destroyed, false)
      clock.advance(1)
      await closed
      assert.equal(clock.pending(), 0)
    } finally {
      await f.forwarder.stop()
    }
  })
})
