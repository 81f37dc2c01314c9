/**
 * WebSocket fuzzer (docs/testing.md, "Property and protocol fuzzing"): hello, ack and other
 * frames from unauthenticated and from enrolled clients against a real controller: random
 * bytes, truncated JSON, wrong types, huge numbers, oversize and binary frames. Asserts the
 * controller closes with a documented close code (libs/protocol/src/errors.ts, plus 1009 and
 * 1007 of the WebSocket layer, docs/errors.md) or ignores the frame and stays responsive, never crashes,
 * keeps a well-behaved agent up to date, and its memory does not run away. Bounded by count
 * and time; the seed is printed with every failure (`VPCMESH_TEST_SEED` replays it).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { CloseCode, MAX_FRAME_BYTES } from '@vpcmesh/protocol'
import { Harness } from './harness.js'
import { breakOne, hostile } from './openapi-arbitrary.js'
import { RawConn } from './raw-ws.js'
import { SimAgent } from './sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : Date.now() % 2 ** 31
const UNAUTH_CONNS = 600
const AUTH_CONNS = 300
const PARALLEL = 4
/** Wall-clock cap of the fuzz loops together, ms. */
const TIME_CAP_MS = 120_000
/** RSS growth allowed between the end of the warm-up batch and the end of the fuzz. */
const RSS_GROWTH_LIMIT = 128 * 1024 * 1024
/** Close codes a fuzzed connection may end with while Redis is up: documented, not a failure of the controller. */
const ALLOWED = new Set<number>(
  [...Object.values(CloseCode), 1007, 1009].filter((c) => c !== CloseCode.internalError && c !== CloseCode.goingAway),
)

/** One frame to send: text or binary. */
interface Frame {
  data: string | Buffer
  binary: boolean
}

let h: Harness
let good: SimAgent
/** One enrolled VPC per worker: key and credential for authenticated fuzz connections. */
const enrolled: Array<{ vpcId: string; credential: string; publicKey: string; gateway: string }> = []
let changes = 0
const deadline = Date.now() + TIME_CAP_MS

before(async () => {
  h = await Harness.start(1, {
    VPCMESH_RATE_LIMIT_PER_MIN: '0',
    VPCMESH_HELLO_RATE_PER_S: '100000',
    VPCMESH_HELLO_BURST: '1000000',
    VPCMESH_UNAUTH_PER_ADDRESS: '1000',
    VPCMESH_LOG_LEVEL: 'error',
  })
  const a = await h.mustCreateVpc('good', ['10.1.0.0/16'])
  good = new SimAgent()
  await good.connect(h.controllers[0]!.wsUrl, a.joinToken)
  await awaitValue('the good agent has its first map', () => good.version > 0)
  for (let i = 0; i < PARALLEL; i++) {
    const v = await h.mustCreateVpc(`fuzzed-${i}`, [`10.${10 + i}.0.0/16`])
    const s = new SimAgent()
    await s.connect(h.controllers[0]!.wsUrl, v.joinToken)
    await awaitValue(`fuzzed-${i} enrolled`, () => s.credential !== undefined && s.version > 0)
    enrolled.push({ vpcId: v.id, credential: s.credential!, publicKey: s.publicKey, gateway: s.gatewayId! })
    s.close()
    await s.awaitClosed()
  }
  await h.mustCreateVpc('churn', ['10.99.0.0/16'])
})
after(async () => {
  good?.terminate()
  await h.stop()
})

const key = randomBytes(32).toString('base64')
const joinHello = {
  type: 'hello',
  protocol: 1,
  agentVersion: 'fuzz',
  auth: { kind: 'join', token: `vmj_${'a'.repeat(40)}` },
  publicKey: key,
  lastVersion: 0,
}
const hugeNumber = fc.constantFrom(
  '1e999',
  '-1',
  '0.5',
  '1e308',
  '18446744073709551616',
  '9007199254740993',
  '-0',
  '1e-320',
)

/** Fuzzed frames; `hello` is the client's valid hello (mutated into bad ones). */
function frameArb(hello: object): fc.Arbitrary<Frame> {
  const text = (a: fc.Arbitrary<string>) => a.map((data) => ({ data, binary: false }))
  const helloText = JSON.stringify(hello)
  return fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((b) => ({ data: Buffer.from(b), binary: true })),
    text(fc.string({ unit: 'binary', maxLength: 200 })),
    text(fc.nat({ max: helloText.length - 1 }).map((n) => helloText.slice(0, n))),
    text(breakOne(hello).map((v) => JSON.stringify(v))),
    text(
      breakOne(hello)
        .chain(breakOne)
        .map((v) => JSON.stringify(v)),
    ),
    text(
      fc
        .tuple(fc.constantFrom('protocol', 'lastVersion'), hugeNumber)
        .map(([k, n]) => helloText.replace(`"${k}":${String((hello as Record<string, unknown>)[k])}`, `"${k}":${n}`)),
    ),
    text(hugeNumber.map((n) => `{"type":"ack","version":${n}}`)),
    text(fc.oneof(fc.nat(), hostile).map((version) => JSON.stringify({ type: 'ack', version }))),
    text(fc.oneof(fc.nat(), hostile).map((id) => JSON.stringify({ type: 'ping', id }))),
    text(hostile.map((peers) => JSON.stringify({ type: 'status', peers }))),
    text(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v))),
    fc.constant({ data: Buffer.from(helloText), binary: true }),
    // Text frames that are not UTF-8 (the ws layer closes with 1007).
    fc
      .uint8Array({ minLength: 1, maxLength: 40 })
      .map((b) => ({ data: Buffer.from([0x7b, 0xc3, ...b, 0xff]), binary: false })),
    text(fc.constant(`{"type":"hello","type":"ack","version":1,${helloText.slice(1)}`)),
  )
}

/** Opens a connection; for `auth`, sends the enrolled hello and waits for the first map. */
async function open(auth?: (typeof enrolled)[number]): Promise<RawConn> {
  const c = await RawConn.open(h.controllers[0]!.wsUrl, '127.0.0.1')
  assert.ok(c.open, `seed ${SEED}: upgrade refused: ${JSON.stringify(c.refused)}`)
  if (auth !== undefined) {
    c.send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'fuzz',
      auth: { kind: 'credential', vpcId: auth.vpcId, credential: auth.credential, gateway: auth.gateway },
      publicKey: auth.publicKey,
      lastVersion: 0,
    })
    await awaitValue(`seed ${SEED}: enrolled fuzz client gets its map`, () =>
      c.frames.some((f) => f.type === 'snapshot'),
    )
  }
  return c
}

/**
 * Sends `frames`, then a ping as a probe: the controller must close with an allowed code or,
 * having ignored the frames, answer the ping. Returns how the connection ended.
 */
async function fuzzOne(c: RawConn, frames: Frame[], probeId: number): Promise<'closed' | 'answered'> {
  for (const f of frames) if (c.open) c.ws.send(f.data, { binary: f.binary })
  c.send({ type: 'ping', id: probeId })
  const how = await awaitValue(
    `seed ${SEED}: close or pong after ${JSON.stringify(frames.map((f) => f.data.toString().slice(0, 120)))}`,
    () =>
      c.closeCode !== undefined ? 'closed' : c.frames.some((f) => f.type === 'pong' && f.id === probeId) && 'answered',
    10_000,
  )
  if (how === 'closed')
    assert.ok(
      ALLOWED.has(c.closeCode!),
      `seed ${SEED}: close code ${c.closeCode} is not documented; frames ${JSON.stringify(
        frames.map((f) => f.data.toString().slice(0, 200)),
      )}`,
    )
  return how
}

/** Changes the registry and waits until the good agent holds the new version. */
async function churnAndCheckGood(): Promise<void> {
  const list = await h.api('GET', '/v1/vpcs')
  const churn = list.body.vpcs.find((v: { name: string }) => v.name === 'churn')
  const r = await h.api('PATCH', `/v1/vpcs/${churn.id}`, { cidrs: [`10.99.${changes++ % 200}.0/24`] })
  assert.equal(r.status, 200, JSON.stringify(r.body))
  const version = (await h.api('GET', '/v1/vpcs')).body.version as number
  await good.awaitVersion(version)
  assert.equal(good.closeCode, undefined, 'the good agent stays connected')
}

function rss(): number {
  const status = readFileSync(`/proc/${h.controllers[0]!.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
}

/** Runs `count` fuzz connections, PARALLEL at a time, churning the registry between rounds. */
async function run(count: number, seed: number, authed: boolean): Promise<Record<string, number>> {
  const tally: Record<string, number> = { closed: 0, answered: 0 }
  let next = 0
  const worker = async (w: number) => {
    const hello = authed
      ? {
          ...joinHello,
          auth: {
            kind: 'credential',
            vpcId: enrolled[w]!.vpcId,
            credential: enrolled[w]!.credential,
            gateway: enrolled[w]!.gateway,
          },
          publicKey: enrolled[w]!.publicKey,
        }
      : joinHello
    const frames = fc.sample(fc.array(frameArb(hello), { minLength: 1, maxLength: 3 }), {
      numRuns: count,
      seed: seed + w,
    })
    while (next < count && Date.now() < deadline) {
      const i = next++
      const c = await open(authed ? enrolled[w] : undefined)
      tally[await fuzzOne(c, frames[i]!, i)]!++
      c.terminate()
      if (i % 40 === 0) await churnAndCheckGood()
    }
  }
  await Promise.all(Array.from({ length: PARALLEL }, (_, w) => worker(w)))
  return tally
}

let baseline = 0

test('unauthenticated clients: fuzzed frames close with a documented code, never leave the connection open', async () => {
  const warm = await run(UNAUTH_CONNS / 4, SEED, false)
  baseline = rss()
  const rest = await run(UNAUTH_CONNS, SEED + 100, false)
  assert.equal(warm.answered! + rest.answered!, 0, `seed ${SEED}: an unauthenticated connection answered a ping`)
  assert.ok(warm.closed! + rest.closed! >= UNAUTH_CONNS / 2, `seed ${SEED}: time cap hit early`)
  await churnAndCheckGood()
})

test('enrolled clients: fuzzed hello and ack frames close with a documented code or are ignored', async () => {
  const t = await run(AUTH_CONNS, SEED + 200, true)
  assert.ok(t.closed! + t.answered! >= AUTH_CONNS / 2, `seed ${SEED}: time cap hit early`)
  assert.ok(t.closed! > 0 && t.answered! > 0, `seed ${SEED}: expected both outcomes, got ${JSON.stringify(t)}`)
  await churnAndCheckGood()
})

test('oversize frames close with 1009, just-under-limit junk with 4400, for both kinds of client', async () => {
  for (const auth of [undefined, enrolled[0]]) {
    const big = await open(auth)
    big.ws.send('x'.repeat(MAX_FRAME_BYTES + 1))
    assert.equal(await big.closed(), 1009)
    const under = await open(auth)
    under.ws.send(`{"type":"ack","version":1,"pad":"${'y'.repeat(MAX_FRAME_BYTES - 100)}"`)
    assert.equal(await under.closed(), CloseCode.badFrame)
  }
  await churnAndCheckGood()
})

test('after the fuzz: the controller is alive, the good agent current, memory bounded', async () => {
  const pid = h.controllers[0]!.pid
  assert.ok(pid !== undefined)
  process.kill(pid, 0)
  assert.equal((await fetch(`${h.controllers[0]!.url}/healthz`)).status, 200)
  await churnAndCheckGood()
  assert.equal(good.closeCode, undefined)
  const grown = rss() - baseline
  assert.ok(baseline > 0 && grown < RSS_GROWTH_LIMIT, `seed ${SEED}: RSS grew by ${grown} bytes during the fuzz`)
})
