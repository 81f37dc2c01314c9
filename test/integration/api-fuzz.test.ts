/**
 * API fuzzer (docs/testing.md, "Property and protocol fuzzing"), driven by the controller's own
 * OpenAPI document: for every route and method, schema-valid bodies, broken fields, hostile
 * values, duplicate JSON keys, malformed text, oversize bodies, wrong content types and
 * missing or wrong auth, against a real controller and redis-server. Asserts no 5xx (but 503
 * with the store code while Redis is stopped), every 4xx carries a stable code, the process
 * never dies, and the state is consistent afterwards. Bounded by count and time; the seed is
 * printed with every failure (`VPCMESH_TEST_SEED` replays it).
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { findOverlaps, parsePrefix } from '@vpcmesh/cidr'
import { ListVpcsResponse } from '@vpcmesh/protocol'
import { ADMIN_TOKEN, Harness } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'
import { atBoundary, breakOne, hostile, type Operation, operationsOf, valid } from './openapi-arbitrary.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : Date.now() % 2 ** 31
const REQUESTS_UP = 1600
const REQUESTS_DOWN = 300
const REQUESTS_BACK = 100
/** Wall-clock cap of all fuzz phases together, ms. */
const TIME_CAP_MS = 150_000
const PARALLEL = 4
const STORE_CODE = 'VPCMESH_ERR_STORE_UNAVAILABLE'
const CODE = /^VPCMESH_ERR_[A-Z0-9_]+$/

/** How one request is built: everything random except ids of VPCs that exist at send time. */
interface Spec {
  op: number
  /** Replaces the documented method sometimes (routes that do not take it). */
  method: string | undefined
  id: { kind: 'existing'; pick: number } | { kind: 'value'; text: string }
  query: string | undefined
  auth: string | undefined
  contentType: string | undefined
  body: { kind: 'text'; text: string } | { kind: 'none' }
}

/** One answer, kept for the failure message. */
interface Answer {
  spec: string
  status: number
  body: string
}

let h: Harness
let ops: Operation[] = []
const deadline = Date.now() + TIME_CAP_MS
const createdIds: string[] = []
/** VPCs that must exist now: created (201) and not deleted (204) since. */
const live = new Set<string>()

before(async () => {
  h = await Harness.start(1, { VPCMESH_RATE_LIMIT_PER_MIN: '0', VPCMESH_LOG_LEVEL: 'error' })
  const r = await fetch(`${h.controllers[0]!.url}/docs/json`)
  assert.equal(r.status, 200)
  ops = operationsOf(await r.json())
})
after(async () => {
  await h.stop()
})

/** Raw body texts for operation `op`: valid, broken, hostile, duplicate keys, malformed, oversize. */
function bodyText(op: Operation): fc.Arbitrary<Spec['body']> {
  const schema = op.body ?? { type: 'object' }
  const good = valid(schema)
  const text = (t: fc.Arbitrary<string>) => t.map((x) => ({ kind: 'text' as const, text: x }))
  return fc.oneof(
    { weight: 6, arbitrary: text(good.map((v) => JSON.stringify(v))) },
    { weight: 6, arbitrary: text(good.chain(breakOne).map((v) => JSON.stringify(v))) },
    { weight: 3, arbitrary: text(atBoundary(schema).map((v) => JSON.stringify(v))) },
    { weight: 2, arbitrary: text(hostile.map((v) => JSON.stringify(v) ?? 'null')) },
    {
      weight: 2,
      arbitrary: text(
        fc.tuple(good, hostile).map(([v, junk]) => {
          // Duplicate keys: JSON.parse keeps the last, a sloppy validator might check the first.
          const s = JSON.stringify(v)
          const key = Object.keys(v as object)[0] ?? 'name'
          return `${s.slice(0, -1)}${s.length > 2 ? ',' : ''}"${key}":${JSON.stringify(junk) ?? 'null'}}`
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: text(
        fc.oneof(
          good.chain((v) => fc.nat().map((n) => JSON.stringify(v).slice(0, n % (JSON.stringify(v).length + 1)))),
          fc.constantFrom(
            '',
            '{',
            '{"name":',
            '\ufeff{}',
            '{"cidrs":[1e999]}',
            '{"masquerade":1e999}',
            `{"name":${'9'.repeat(400)}}`,
            '{"__proto__":{"isAdmin":true}}',
            '{"constructor":{"prototype":{"x":1}}}',
            '[]',
            'null',
            'not json',
            '{"name":"a\\ud800"}',
          ),
          fc.string({ unit: 'binary', maxLength: 80 }),
        ),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.constant({ kind: 'text' as const, text: JSON.stringify({ name: 'x'.repeat(70_000) }) }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
  )
}

/** Every random choice of one request. */
function specArb(): fc.Arbitrary<Spec> {
  // Deleting a VPC is made rarer than the rest, so VPCs live long enough to be patched and
  // routed; creating one more common, so enough get through the random auth, media type and
  // body choices (most fail one of them) whatever the number of other operations.
  const weightOf = (o: Operation): number =>
    o.method === 'DELETE' && o.path === '/v1/vpcs/{id}' ? 1 : o.method === 'POST' && o.path === '/v1/vpcs' ? 12 : 4
  const pickOp = fc.oneof(
    ...ops.map((o, i) => ({
      weight: weightOf(o),
      arbitrary: fc.constant(i),
    })),
  )
  return pickOp.chain((op) =>
    fc.record(
      {
        op: fc.constant(op),
        method: fc.oneof(
          { weight: 20, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'POST', 'OPTIONS', 'HEAD', 'GET') },
        ),
        id: fc.oneof(
          { weight: 6, arbitrary: fc.nat().map((pick) => ({ kind: 'existing' as const, pick })) },
          {
            weight: 3,
            arbitrary: fc
              .oneof(
                fc.stringMatching(/^vpc_[0-9a-f]{12}$/),
                fc.constantFrom(
                  'VPC_000000000000',
                  'vpc_',
                  '..',
                  '%2e%2e',
                  '%00',
                  'vpc_00000000000g',
                  'x'.repeat(600),
                  '%E0%A4%A',
                ),
                fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).map(encodeURIComponent),
              )
              .map((text) => ({ kind: 'value' as const, text })),
          },
        ),
        query: fc.option(
          fc.oneof(
            valid({ type: 'string' }, 'cidr').map(String),
            fc.string({ maxLength: 60 }),
            fc.constant('a'.repeat(5000)),
          ),
          { freq: 4 },
        ),
        auth: fc.oneof(
          { weight: 12, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              undefined,
              'Bearer',
              'Bearer ',
              `bearer ${ADMIN_TOKEN}`,
              `Bearer ${ADMIN_TOKEN}x`,
              `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
              `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
              'Bearer \u00e9\u00e8',
              `Bearer ${'A'.repeat(8000)}`,
            ),
          },
        ),
        contentType: fc.oneof(
          { weight: 10, arbitrary: fc.constant('application/json') },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              undefined,
              'application/json; charset=utf-8',
              'APPLICATION/JSON',
              'application/json; charset=utf-16',
              'text/plain',
              'application/x-www-form-urlencoded',
              'multipart/form-data; boundary=x',
              'application/octet-stream',
              'application/json, text/plain',
              'application/vnd.api+json',
            ),
          },
        ),
        body: bodyText(ops[op]!),
      },
      { noNullPrototype: true },
    ),
  )
}

/** Sends one request; returns its answer. Never throws (a network error is status 0). */
async function send(spec: Spec): Promise<Answer> {
  const op = ops[spec.op]!
  const method = spec.method ?? op.method
  const id =
    spec.id.kind === 'existing'
      ? (createdIds[spec.id.pick % Math.max(1, createdIds.length)] ?? 'vpc_000000000000')
      : spec.id.text
  let path = op.path.replace('{id}', id)
  if (spec.query !== undefined) path += `?cidr=${encodeURIComponent(spec.query)}`
  const headers: Record<string, string> = {}
  if (spec.auth !== undefined) headers.authorization = spec.auth
  if (spec.contentType !== undefined) headers['content-type'] = spec.contentType
  const hasBody = spec.body.kind === 'text' && method !== 'GET' && method !== 'HEAD'
  const desc = `${method} ${path.slice(0, 200)} auth=${String(spec.auth).slice(0, 40)} ct=${String(spec.contentType)} body=${
    spec.body.kind === 'text' ? JSON.stringify(spec.body.text.slice(0, 300)) : 'none'
  }`
  try {
    const r = await fetch(`${h.controllers[0]!.url}${path}`, {
      method,
      headers,
      body: hasBody && spec.body.kind === 'text' ? Buffer.from(spec.body.text) : undefined,
      signal: AbortSignal.timeout(10_000),
    })
    const body = await r.text()
    if (r.status === 201 && method === 'POST' && op.path === '/v1/vpcs') {
      const created = JSON.parse(body).vpc?.id
      if (typeof created === 'string') {
        createdIds.push(created)
        live.add(created)
      }
    }
    if (r.status === 204 && method === 'DELETE' && op.path === '/v1/vpcs/{id}') live.delete(id)
    return { spec: desc, status: r.status, body }
  } catch (e) {
    return { spec: desc, status: 0, body: String(e) }
  }
}

/** Sends `count` random requests, `PARALLEL` at a time, until done or the time cap; returns the answers. */
async function fuzz(count: number, seed: number): Promise<Answer[]> {
  const specs = fc.sample(specArb(), { numRuns: count, seed })
  const answers: Answer[] = []
  let next = 0
  const worker = async () => {
    while (next < specs.length && Date.now() < deadline) answers.push(await send(specs[next++]!))
  }
  await Promise.all(Array.from({ length: PARALLEL }, worker))
  return answers
}

/** The failures among `answers` under `ok`, as text for an assertion message. */
function failures(answers: Answer[], ok: (a: Answer) => string | undefined): string {
  const bad = answers.flatMap((a) => {
    const why = ok(a)
    return why === undefined ? [] : [`${why}: ${a.status} ${a.body.slice(0, 200)} <- ${a.spec}`]
  })
  return bad.length === 0 ? '' : `seed ${SEED}: ${bad.length} bad answers:\n${bad.slice(0, 10).join('\n')}`
}

/** Why an answer with Redis up is wrong, or undefined. */
function upProblem(a: Answer): string | undefined {
  if (a.status === 0) return 'no answer'
  if (a.status >= 500) return '5xx'
  if (a.status >= 400 && !a.spec.startsWith('HEAD ')) {
    let code: unknown
    try {
      code = JSON.parse(a.body).code
    } catch {
      return '4xx body is not JSON'
    }
    if (typeof code !== 'string' || !CODE.test(code)) return '4xx without a stable code'
  }
  return undefined
}

async function alive(): Promise<void> {
  const pid = h.controllers[0]!.pid
  assert.ok(pid !== undefined)
  process.kill(pid, 0)
  const r = await fetch(`${h.controllers[0]!.url}/healthz`)
  assert.equal(r.status, 200, 'the controller answers /healthz')
}

test('fuzzed requests with Redis up: no 5xx, every 4xx has a stable code, some requests succeed', async () => {
  const answers = await fuzz(REQUESTS_UP, SEED)
  assert.equal(failures(answers, upProblem), '')
  const ok = answers.filter((a) => a.status >= 200 && a.status < 300).length
  assert.ok(
    ok >= 50,
    `seed ${SEED}: only ${ok} of ${answers.length} requests succeeded; the fuzzer is not reaching the handlers`,
  )
  assert.ok(createdIds.length >= 3, `seed ${SEED}: only ${createdIds.length} VPCs created`)
  assert.ok(answers.length >= REQUESTS_UP / 2, `seed ${SEED}: time cap hit after ${answers.length} requests`)
  await alive()
})

test('fuzzed requests with Redis stopped: only 503 with the store code, never another 5xx', async () => {
  await h.redis.stop()
  const answers = await fuzz(REQUESTS_DOWN, SEED + 1)
  const problem = (a: Answer): string | undefined => {
    if (a.status === 503 && a.spec.startsWith('HEAD ')) return undefined
    if (a.status === 503) return a.body.includes(`"code":"${STORE_CODE}"`) ? undefined : '503 without the store code'
    return upProblem(a)
  }
  assert.equal(failures(answers, problem), '')
  assert.ok(
    answers.some((a) => a.status === 503),
    `seed ${SEED}: no request reached the store while it was down`,
  )
  await alive()
})

test('after Redis is back: requests succeed again and the state is consistent', async () => {
  await h.restartRedis()
  await awaitValue(
    'the controller is ready again',
    async () => (await fetch(`${h.controllers[0]!.url}/readyz`)).status === 200,
    20_000,
  )
  const answers = await fuzz(REQUESTS_BACK, SEED + 2)
  assert.equal(failures(answers, upProblem), '')
  await alive()
  // Deletes are fuzzed too: two more VPCs (in 100.64.0.0/10, which the fuzzer never uses) make
  // sure the checks below see a non-empty registry.
  for (const n of [1, 2]) live.add((await h.mustCreateVpc(`fuzz-final-${n}`, [`100.64.${n}.0/24`])).id)

  const list = await h.api('GET', '/v1/vpcs')
  assert.equal(list.status, 200)
  const parsed = ListVpcsResponse.safeParse(list.body)
  assert.ok(parsed.success, `seed ${SEED}: list does not match its schema: ${JSON.stringify(parsed.error?.issues)}`)
  const vpcs = parsed.data.vpcs
  assert.deepEqual(
    vpcs.map((v) => v.id).sort(),
    [...live].sort(),
    `seed ${SEED}: the list is not the VPCs created and not deleted`,
  )
  assert.ok(vpcs.length > 0, `seed ${SEED}: no VPC survived the fuzz`)
  for (const v of vpcs) {
    const one = await h.api('GET', `/v1/vpcs/${v.id}`)
    assert.equal(one.status, 200, `seed ${SEED}: ${v.id} is listed but GET answers ${one.status}`)
    assert.deepEqual(one.body.vpc, v)
  }
  const names = vpcs.map((v) => v.name)
  assert.equal(new Set(names).size, names.length, `seed ${SEED}: duplicate names ${names.join(',')}`)
  // The controller refuses overlaps between VPCs and within one (CONTRIBUTING.md, libs/cidr).
  const prefixes = vpcs.flatMap((v) => [...v.cidrs, ...v.routes].map((c) => parsePrefix(c)))
  const overlaps = findOverlaps(prefixes, []).map((o) => `${o.candidate} ${o.existing}`)
  assert.deepEqual(overlaps, [], `seed ${SEED}: registered prefixes overlap`)
  const status = await h.api('GET', '/v1/status')
  assert.equal(status.status, 200)
  assert.equal(status.body.version, list.body.version)
})
