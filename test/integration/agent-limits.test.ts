import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Harness } from './harness.js'
import { RawConn } from './raw-ws.js'
import { awaitValue } from '@vpcmesh/testbed'

/** Limits of the controller under test (small, so the test reaches them quickly). */
const HELLO_TIMEOUT_MS = 1500
const PER_ADDRESS = 8
const TOTAL = 48
const BURST = 20
/** The bound this test holds admin writes and enrolments to while the hub is flooded, ms. */
const BOUND_MS = 2000
/** The flood runs at most this long and opens at most this many connections. */
const FLOOD_MS = 4000
const FLOOD_MAX_CONNECTIONS = 4000

/** A hello with a well-formed but unknown join token and a valid random key. */
function badHello(): unknown {
  return {
    type: 'hello',
    protocol: 1,
    agentVersion: 'flood',
    lastVersion: 0,
    publicKey: randomBytes(32).toString('base64'),
    auth: { kind: 'join', token: `vmj_${randomBytes(32).toString('base64url')}` },
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}

describe('agent hub limits: pre-hello timeout, connection caps, hello rate', () => {
  let h: Harness
  const conns: RawConn[] = []
  let url = ''
  const open = async (from: string): Promise<RawConn> => {
    const c = await RawConn.open(url, from)
    conns.push(c)
    return c
  }
  const closeAll = (): void => {
    for (const c of conns.splice(0)) c.terminate()
  }

  before(async () => {
    h = await Harness.start(1, {
      VPCMESH_HELLO_TIMEOUT_MS: String(HELLO_TIMEOUT_MS),
      VPCMESH_UNAUTH_PER_ADDRESS: String(PER_ADDRESS),
      VPCMESH_UNAUTH_MAX: String(TOTAL),
      VPCMESH_HELLO_RATE_PER_S: '5',
      VPCMESH_HELLO_BURST: String(BURST),
    })
    url = h.controllers[0]!.wsUrl
  })
  after(async () => {
    closeAll()
    await h.stop()
  })

  async function awaitNoPending(): Promise<void> {
    await awaitValue('no connection without hello left', async () => {
      const text = await (await fetch(`${h.controllers[0]!.url}/metrics`)).text()
      return /^vpcmesh_controller_ws_unauthenticated_connections 0$/m.test(text)
    })
  }

  test('the (N+1)th connection without hello from one address is refused with 429; other addresses still connect; a freed slot is reusable', async () => {
    for (let i = 0; i < PER_ADDRESS; i++) assert.equal((await open('127.0.0.20')).open, true, `connection ${i + 1}`)
    const extra = await open('127.0.0.20')
    assert.equal(extra.refused?.status, 429)
    assert.deepEqual(extra.refused?.body, {
      code: 'VPCMESH_ERR_CONNECT_LIMITED',
      message: extra.refused?.body.message,
      retryable: true,
    })
    assert.equal((await open('127.0.0.21')).open, true, 'another address is not affected')
    conns[0]!.terminate()
    await awaitValue('a slot of 127.0.0.20 is free again', async () => {
      const c = await open('127.0.0.20')
      if (c.open) return true
      return false
    })
    closeAll()
    await awaitNoPending()
  })

  test('the total cap: one more connection without hello than VPCMESH_UNAUTH_MAX, from a fresh address, is refused with 503', async () => {
    for (let a = 0; a < TOTAL / PER_ADDRESS; a++) {
      for (let i = 0; i < PER_ADDRESS; i++) assert.equal((await open(`127.0.3.${a + 1}`)).open, true)
    }
    const extra = await open('127.0.3.200')
    assert.equal(extra.refused?.status, 503)
    assert.equal(extra.refused?.body.code, 'VPCMESH_ERR_CONNECT_BUSY')
    closeAll()
    await awaitNoPending()
  })

  test('a connection that sends no hello is closed with 4407 after the pre-hello timeout', async () => {
    const t0 = performance.now()
    const c = await open('127.0.0.30')
    assert.equal(c.open, true)
    const code = await awaitValue('closed by the controller', () => c.closeCode, HELLO_TIMEOUT_MS + 8000)
    const waited = performance.now() - t0
    assert.equal(code, 4407)
    assert.equal(c.frames[0]?.code, 'VPCMESH_ERR_WS_HELLO_TIMEOUT')
    assert.ok(waited >= HELLO_TIMEOUT_MS - 100, `closed after ${waited.toFixed(0)} ms, before the timeout`)
  })

  test('hello rate: after the burst, hellos from one address are closed with 4429 before they are looked at', async () => {
    const codes: number[] = []
    for (let i = 0; i < BURST + 20 && !codes.includes(4429); i++) {
      const c = await open('127.0.0.40')
      c.send(badHello())
      codes.push(await c.closed())
      if (codes.at(-1) === 4429) assert.equal(c.frames[0]?.code, 'VPCMESH_ERR_WS_RATE_LIMITED')
    }
    assert.deepEqual(
      codes.slice(0, BURST),
      Array(BURST).fill(4401),
      'the burst is served (and refused as unknown tokens)',
    )
    assert.equal(codes.at(-1), 4429, codes.join(','))
    closeAll()
  })

  test(`a bounded flood of bad hellos and idle connections delays no admin write or enrolment beyond ${BOUND_MS} ms`, async () => {
    const baseline: number[] = []
    for (let i = 0; i < 10; i++) {
      const t = performance.now()
      assert.equal(
        (
          await h.api('POST', '/v1/vpcs', {
            name: `base-${i}`,
            cidrs: [`10.200.${i}.0/24`],
            endpoint: `192.0.2.1:${51820 + i}`,
          })
        ).status,
        201,
      )
      baseline.push(performance.now() - t)
    }
    const deadline = performance.now() + FLOOD_MS
    const stats = { opened: 0, hellos: 0, refusedUpgrade: 0, closes: new Map<number, number>() }
    const flooding = (): boolean => performance.now() < deadline && stats.opened < FLOOD_MAX_CONNECTIONS
    const note = (code: number): void => {
      stats.closes.set(code, (stats.closes.get(code) ?? 0) + 1)
    }
    // Idle connections from 3 addresses: keep every slot they may hold taken.
    const idler = async (from: string): Promise<void> => {
      while (flooding()) {
        stats.opened++
        const c = await RawConn.open(url, from)
        if (c.refused !== undefined) {
          stats.refusedUpgrade++
          await new Promise((resolve) => {
            setImmediate(resolve)
          })
          continue
        }
        void c.closed().then(note)
        conns.push(c)
      }
    }
    // Bad hellos from 8 loops on 2 addresses, as fast as the controller answers them: 4 loops
    // share each address, so each address outruns its hello budget (BURST, then 5/s) even when
    // the machine is busy and the loops are slow (seen: 64 hellos/s in all on a loaded box).
    const hammer = async (from: string): Promise<void> => {
      while (flooding()) {
        stats.opened++
        const c = await RawConn.open(url, from)
        if (c.refused !== undefined) {
          stats.refusedUpgrade++
          continue
        }
        stats.hellos++
        c.send(badHello())
        note(await c.closed())
      }
    }
    const flood = Promise.all([
      ...[1, 2, 3].map(async (i) => {
        await idler(`127.0.1.${i}`)
      }),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map(async (i) => {
        await hammer(`127.0.2.${1 + (i % 2)}`)
      }),
    ])
    const writes: number[] = []
    const enrolments: number[] = []
    const measure = async (): Promise<void> => {
      let i = 0
      while (performance.now() < deadline - 200) {
        const t = performance.now()
        const r = await h.api('POST', '/v1/vpcs', {
          name: `flood-${i}`,
          cidrs: [`10.${201 + (i >> 8)}.${i & 255}.0/24`],
          endpoint: `192.0.2.2:${51820 + i}`,
        })
        writes.push(performance.now() - t)
        assert.equal(r.status, 201, JSON.stringify(r.body))
        if (i % 4 === 0 && enrolments.length < 6) {
          const a = h.agent()
          const te = performance.now()
          await a.connect(url, r.body.joinToken)
          await awaitValue(
            'enrolled under the flood',
            () => a.self !== undefined || a.closeCode !== undefined,
            BOUND_MS * 5,
          )
          assert.equal(a.closeCode, undefined, `enrolment refused: ${a.closeReason}`)
          enrolments.push(performance.now() - te)
        }
        i++
      }
    }
    await measure()
    await flood
    const secs = FLOOD_MS / 1000
    const line = (xs: number[]): string =>
      `median ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`
    console.log(
      `flood: ${stats.opened} connections (${(stats.opened / secs).toFixed(0)}/s), ` +
        `${stats.hellos} bad hellos (${(stats.hellos / secs).toFixed(0)}/s), ${stats.refusedUpgrade} upgrades refused, ` +
        `closes ${JSON.stringify(Object.fromEntries(stats.closes))}`,
    )
    console.log(`admin writes (POST /v1/vpcs) without flood: ${line(baseline)}`)
    console.log(`admin writes (POST /v1/vpcs) under flood: ${line(writes)}`)
    console.log(`enrolments (connect to first map) under flood: ${line(enrolments)}`)
    assert.ok(stats.hellos >= 50, `the flood sent only ${stats.hellos} hellos`)
    assert.ok(stats.refusedUpgrade > 0, 'the idle connections reached the per-address cap')
    assert.ok((stats.closes.get(4429) ?? 0) > 0, 'the hello rate limit refused hellos')
    assert.ok(
      writes.length >= 5 && enrolments.length >= 2,
      `measured ${writes.length} writes, ${enrolments.length} enrolments`,
    )
    assert.ok(Math.max(...writes) < BOUND_MS, `admin write took ${Math.max(...writes).toFixed(0)} ms`)
    assert.ok(Math.max(...enrolments) < BOUND_MS, `enrolment took ${Math.max(...enrolments).toFixed(0)} ms`)
    closeAll()
  })
})
