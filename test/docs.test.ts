// docs/*.md ↔ code (see CONTRIBUTING.md, Errors and Add a metric; fastify test/internals/errors.test.js):
// - errors.md lists exactly the VPCMESH_ERR_* codes the sources define, with the HTTP status and
//   retryable flag of the controller's ERROR_REGISTRY;
// - metrics.md lists exactly the metrics the code registers, with type and labels. The
//   controller's are read from a real buildApp() with a recording Metrics (the public path);
//   every other registration is read from the sources (static scan of
//   `x.counter/gauge/histogram({ name: '…' })` calls), so agent metrics are covered as they land;
// - protocol.md and api.md name every message, close code, protocol version and route.
// Parsers and comparisons live in ./lib/docs-*.ts; the self-checks at the end prove they fail.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DNS_ERROR_CODES, ROUTE_TABLE_ERROR_CODES } from '@vpcmesh/agent'
import { CIDR_ERROR_CODES, CidrError } from '@vpcmesh/cidr'
import { ApiCallError as CliApiError, CliError, CliErrorCode, UnreachableError } from '@vpcmesh/cli'
import { ConfigError, ERROR_REGISTRY } from '@vpcmesh/controller'
import { DATAPLANE_ERROR_CODES, DataplaneError } from '@vpcmesh/dataplane'
import { LINUXNET_ERROR_CODES, LinuxNetError } from '@vpcmesh/linuxnet'
import { TUN_ERROR_CODES } from '@vpcmesh/tun'
import { MetricsError, MetricsErrorCode, prometheusMetrics } from '@vpcmesh/metrics'
import { AgentMessage, CloseCode, ControllerMessage, PROTOCOL_VERSION, WireErrorCode } from '@vpcmesh/protocol'
import {
  findErrorCodes,
  findMetricRegistrations,
  listSourceFiles,
  type MetricRegistration,
} from './lib/docs-sources.js'
import {
  checkErrorCodes,
  checkErrorDoc,
  checkErrorRegistry,
  checkMetricDoc,
  codeSpan,
  parseErrorDoc,
  parseMetricDoc,
  rowsOf,
} from './lib/docs-tables.js'
import { buildController, openApiRoutes, routeTable, type BuiltController } from './lib/docs-controller.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const doc = (name: string): string => readFileSync(`${ROOT}docs/${name}`, 'utf8')
const list = (problems: string[]): string => `\n  ${problems.join('\n  ')}\n`

const sources = listSourceFiles(ROOT)
const scan = findErrorCodes(sources)
const metricScan = findMetricRegistrations(sources)

let built: BuiltController | undefined
async function controller(): Promise<BuiltController> {
  built ??= await buildController()
  return built
}
after(async () => {
  await built?.app.close()
})

// ─── errors.md ──────────────────────────────────────────────────────────────────────────

test('sources: the scan sees production sources only, and finds every exported code table', () => {
  assert.ok(
    sources.some((f) => f.path === 'apps/controller/src/errors.ts'),
    'controller sources not found',
  )
  assert.ok(sources.every((f) => !/\/(dist|node_modules|test)\/|\.test\.ts$|\.d\.ts$/.test(f.path)))
  const exported = [
    ...Object.values(WireErrorCode),
    ...Object.values(CIDR_ERROR_CODES),
    ...Object.values(MetricsErrorCode),
    ...Object.values(CliErrorCode),
    ...Object.values(LINUXNET_ERROR_CODES),
    ...Object.values(DATAPLANE_ERROR_CODES),
    ...Object.values(TUN_ERROR_CODES),
    ...Object.values(ROUTE_TABLE_ERROR_CODES),
    ...Object.values(DNS_ERROR_CODES),
    new ConfigError([]).code,
  ]
  const missed = exported.filter((c) => !scan.codes.has(c))
  assert.deepEqual(missed, [], 'the source scan misses codes that packages export')
})

test('sources: every exported code table has the one shape: a frozen object from a camelCase name to a code', () => {
  const tables = {
    WireErrorCode,
    CIDR_ERROR_CODES,
    MetricsErrorCode,
    CliErrorCode,
    LINUXNET_ERROR_CODES,
    DATAPLANE_ERROR_CODES,
    TUN_ERROR_CODES,
    ROUTE_TABLE_ERROR_CODES,
    DNS_ERROR_CODES,
  }
  for (const [name, table] of Object.entries(tables)) {
    assert.ok(Object.isFrozen(table), `${name} is not frozen`)
    for (const [key, code] of Object.entries(table)) {
      assert.match(key, /^[a-z][A-Za-z0-9]*$/, `${name}.${key} is not camelCase`)
      assert.match(code, /^VPCMESH_ERR_[A-Z0-9_]+$/, `${name}.${key} is not a code`)
    }
  }
  assert.ok(Object.isFrozen(CloseCode), 'CloseCode is not frozen')
})

test('sources: error codes are written as literals, never built at run time', () => {
  assert.deepEqual(scan.dynamic, [], list(scan.dynamic))
})

test('errors.md: every code in the sources is documented, and every documented code exists', () => {
  const problems = checkErrorCodes(doc('errors.md'), scan.codes)
  assert.deepEqual(problems, [], list(problems))
})

test('errors.md: HTTP status and retryable of every API code match ERROR_REGISTRY', () => {
  const problems = checkErrorRegistry(doc('errors.md'), ERROR_REGISTRY)
  assert.deepEqual(problems, [], list(problems))
  assert.ok(Object.keys(ERROR_REGISTRY).length > 0)
})

test('errors.md: wire codes outside the registry are documented as WebSocket codes', () => {
  const rows = new Map(parseErrorDoc(doc('errors.md')).rows.map((r) => [r.code, r]))
  for (const code of Object.values(WireErrorCode)) {
    if (ERROR_REGISTRY[code] !== undefined) continue
    assert.match(rows.get(code)?.source ?? '', /WebSocket/, `${code} is only sent on the WebSocket; say so in Source`)
  }
})

test('errors.md: retryable flags of library and CLI errors match what their classes set', () => {
  const rows = new Map(parseErrorDoc(doc('errors.md')).rows.map((r) => [r.code, r.retryable]))
  const actual: Array<{ code: string; retryable: boolean }> = [
    ...Object.values(CIDR_ERROR_CODES).map((c) => new CidrError(c, 'x')),
    ...Object.values(MetricsErrorCode).map((c) => new MetricsError(c, 'x')),
    ...Object.values(LINUXNET_ERROR_CODES).map((c) => new LinuxNetError(c, 'x')),
    ...Object.values(DATAPLANE_ERROR_CODES).map((c) => new DataplaneError(c, 'x')),
    new CliError('x'),
    new UnreachableError('http://127.0.0.1:1', 'x'),
    new CliApiError(CliErrorCode.badResponse, 'x', { status: 200 }),
  ]
  for (const e of actual) {
    if (ERROR_REGISTRY[e.code] !== undefined) continue
    assert.equal(
      rows.get(e.code),
      e.retryable,
      `${e.code}: docs/errors.md says ${String(rows.get(e.code))}, the class sets ${String(e.retryable)}`,
    )
  }
})

test('errors.md and protocol.md: every WebSocket close code has a row', () => {
  for (const [file, header] of [
    ['errors.md', ['Close code', 'Name', 'Error code sent before', 'Sent when', 'Agent should']],
    ['protocol.md', ['Close code', 'Name', 'Meaning']],
  ] as const) {
    const rows = new Map(rowsOf(doc(file), header).map((r) => [Number(r.cells[0]), codeSpan(r.cells[1] ?? '')]))
    for (const [name, value] of Object.entries(CloseCode)) {
      assert.equal(rows.get(value), name, `docs/${file}: close code ${value} should have a row naming \`${name}\``)
    }
  }
})

test('docs/*.md: every error code mentioned anywhere exists in the sources', () => {
  const problems: string[] = []
  for (const file of ['architecture.md', 'protocol.md', 'api.md', 'metrics.md']) {
    doc(file)
      .split('\n')
      .forEach((l, i) => {
        for (const m of l.matchAll(/VPCMESH_ERR_[A-Z0-9_]+/g))
          if (!scan.codes.has(m[0])) problems.push(`docs/${file}:${i + 1}: ${m[0]} does not exist`)
      })
  }
  assert.deepEqual(problems, [], list(problems))
})

// ─── metrics.md ─────────────────────────────────────────────────────────────────────────

/** The controller's registrations from buildApp, plus any other registration found in the sources. */
async function registeredMetrics(): Promise<MetricRegistration[]> {
  const real = (await controller()).metrics.registrations
  const names = new Set(real.map((m) => m.name))
  return [...real, ...metricScan.metrics.filter((m) => !names.has(m.name))]
}

test('metrics: the controller registers its metrics through the injected Metrics', async () => {
  const { metrics } = await controller()
  assert.ok(metrics.registrations.length > 0, 'buildApp registered no metrics')
  assert.deepEqual(metrics.registrations.map((m) => m.name).sort(), metrics.listNames())
})

test('metrics: the source scan reads the controller registrations exactly as buildApp makes them', async () => {
  assert.deepEqual(metricScan.problems, [], list(metricScan.problems))
  const fromScan = metricScan.metrics
    .filter((m) => m.where.startsWith('apps/controller/'))
    .map((m) => `${m.name} ${m.kind} [${m.labels.join(',')}]`)
    .sort()
  const fromApp = (await controller()).metrics.registrations
    .map((m) => `${m.name} ${m.kind} [${m.labels.join(',')}]`)
    .sort()
  assert.deepEqual(fromScan, fromApp)
})

test('metrics.md: lists exactly the registered metrics, with their type and labels', async () => {
  const problems = checkMetricDoc(doc('metrics.md'), await registeredMetrics())
  assert.deepEqual(problems, [], list(problems))
})

test('metrics.md: Node default process metrics are exported beside ours, and never listed as ours', async () => {
  const m = prometheusMetrics({ collectDefault: true })
  const body = (await m.render()).body
  assert.match(body, /^process_\w+/m)
  assert.match(body, /^nodejs_\w+/m)
  assert.deepEqual(m.listNames(), [])
  const rows = parseMetricDoc(doc('metrics.md')).rows
  assert.ok(rows.every((r) => r.name.startsWith('vpcmesh_')))
  assert.match(doc('metrics.md'), /process_/)
  assert.match(doc('metrics.md'), /nodejs_/)
})

// ─── protocol.md ────────────────────────────────────────────────────────────────────────

test('protocol.md: the catalogue lists every message with its direction and fields', () => {
  const rows = new Map(
    rowsOf(doc('protocol.md'), ['Message', 'Direction', 'Fields', 'Meaning']).map((r) => [
      codeSpan(r.cells[0] ?? ''),
      r.cells,
    ]),
  )
  const fromAgent = new Map<string, string[]>(
    AgentMessage.options.map((o) => [o.shape.type.value, Object.keys(o.shape)]),
  )
  const fromController = new Map<string, string[]>(
    ControllerMessage.options.map((o) => [o.shape.type.value, Object.keys(o.shape)]),
  )
  const types = new Set([...fromAgent.keys(), ...fromController.keys()])
  for (const type of types) {
    const cells = rows.get(type)
    assert.ok(cells !== undefined, `docs/protocol.md: no catalogue row for \`${type}\``)
    const want =
      fromAgent.has(type) && fromController.has(type)
        ? 'both'
        : fromAgent.has(type)
          ? 'agent → controller'
          : 'controller → agent'
    assert.equal(cells[1], want, `docs/protocol.md: direction of ${type}`)
    const fields = new Set([...(fromAgent.get(type) ?? []), ...(fromController.get(type) ?? [])])
    for (const f of fields)
      if (f !== 'type')
        assert.ok((cells[2] ?? '').includes(`\`${f}\``), `docs/protocol.md: ${type} row does not name field \`${f}\``)
  }
  for (const documented of rows.keys())
    assert.ok(
      documented !== undefined && types.has(documented),
      `docs/protocol.md: \`${String(documented)}\` is not a message`,
    )
})

test('protocol.md: the version history mirrors libs/protocol/src/version.ts', () => {
  const source = readFileSync(`${ROOT}libs/protocol/src/version.ts`, 'utf8')
  const history = [...source.matchAll(/^\s*\*\s*-\s*(\d+)\s*\((\d{4}-\d{2}-\d{2})\)/gm)].map((m) => `${m[1]} ${m[2]}`)
  const rows = rowsOf(doc('protocol.md'), ['Version', 'Date', 'Change']).map((r) => `${r.cells[0]} ${r.cells[1]}`)
  assert.ok(history.length > 0, 'no history lines found in version.ts')
  assert.deepEqual(rows, history)
  assert.equal(Math.max(...rows.map((r) => Number(r.split(' ')[0]))), PROTOCOL_VERSION)
})

// ─── api.md ─────────────────────────────────────────────────────────────────────────────

test('api.md: every route the controller serves is documented, and every documented route exists', async () => {
  const { app } = await controller()
  const served = routeTable(app)
  assert.ok(served.length > 0, 'could not read the controller routes')
  for (const r of openApiRoutes(app)) assert.ok(served.includes(r), `${r} is in OpenAPI but not in the route table`)
  const documented = rowsOf(doc('api.md'), ['Method', 'Path', 'Auth', 'Purpose']).map(
    (r) => `${r.cells[0] ?? ''} ${codeSpan(r.cells[1] ?? '') ?? r.cells[1] ?? ''}`,
  )
  assert.deepEqual([...documented].sort(), served)
})

test('api.md: every environment variable the controller reads is documented, and no other', () => {
  const config = readFileSync(`${ROOT}apps/controller/src/config.ts`, 'utf8')
  const read = new Set([...config.matchAll(/\b(VPCMESH_(?!ERR_)[A-Z0-9_]+|REDIS_URL)\b/g)].map((m) => m[1] ?? ''))
  const documented = rowsOf(doc('api.md'), ['Variable', 'Flag', 'Default', 'Meaning']).map(
    (r) => codeSpan(r.cells[0] ?? '') ?? r.cells[0] ?? '',
  )
  assert.ok(read.has('VPCMESH_ADMIN_TOKEN') && read.has('REDIS_URL'), 'config.ts scan found nothing')
  assert.deepEqual([...documented].sort(), [...read].sort())
})

// ─── self-checks: the comparisons do fail ───────────────────────────────────────────────

const ERR_HEAD = '| Code | Source | HTTP | Retryable | Meaning | What to do |\n| --- | --- | --- | --- | --- | --- |\n'

test('self-check: checkErrorDoc reports a missing code, a stale code, and registry mismatches', () => {
  const defined = new Map([
    ['VPCMESH_ERR_A', ['x.ts:1']],
    ['VPCMESH_ERR_B', ['y.ts:2']],
    ['VPCMESH_ERR_WS_C', ['z.ts:3']],
  ])
  const registry = { VPCMESH_ERR_A: { status: 409, retryable: false }, VPCMESH_ERR_B: { status: 503, retryable: true } }
  const good =
    ERR_HEAD +
    '| `VPCMESH_ERR_A` | REST | 409 | no | m | d |\n| `VPCMESH_ERR_B` | REST | 503 | yes | m | d |\n| `VPCMESH_ERR_WS_C` | WebSocket | — | no | m | d |\n'
  assert.deepEqual(checkErrorDoc(good, defined, registry), [])

  const bad =
    ERR_HEAD +
    '| `VPCMESH_ERR_A` | REST | 400 | yes | m | d |\n| `VPCMESH_ERR_WS_C` | WebSocket | 400 | no | m | d |\n' +
    '| `VPCMESH_ERR_GONE` | REST | — | no | m | d |\nSee also VPCMESH_ERR_TYPO.\n'
  const p = checkErrorDoc(bad, defined, registry).join('\n')
  assert.match(p, /VPCMESH_ERR_B \(defined at y\.ts:2\) is missing from docs\/errors\.md/)
  assert.match(p, /documents VPCMESH_ERR_GONE, which no source/)
  assert.match(p, /names VPCMESH_ERR_TYPO, which no source defines/)
  assert.match(p, /VPCMESH_ERR_A HTTP is 400, ERROR_REGISTRY says 409/)
  assert.match(p, /VPCMESH_ERR_A Retryable is yes, ERROR_REGISTRY says no/)
  assert.match(p, /VPCMESH_ERR_B is in ERROR_REGISTRY but has no row/)
  assert.match(p, /VPCMESH_ERR_WS_C has HTTP 400 but is not in ERROR_REGISTRY/)
})

test('self-check: parseErrorDoc reports malformed and duplicate rows', () => {
  const md =
    ERR_HEAD +
    '| VPCMESH_ERR_A | REST | 409 | no | m | d |\n| `VPCMESH_ERR_B` | REST | 4xx | maybe | m | d |\n| `VPCMESH_ERR_B` | REST | 400 | no |  | d |\n'
  const p = parseErrorDoc(md).problems.join('\n')
  assert.match(p, /first cell must be a code in backticks/)
  assert.match(p, /HTTP must be a status or —, got "4xx"/)
  assert.match(p, /Retryable must be yes or no, got "maybe"/)
  assert.match(p, /VPCMESH_ERR_B is documented twice/)
  assert.match(p, /needs a source, a meaning and what to do/)
})

test('self-check: checkMetricDoc reports missing, stale, mistyped, mislabelled and misnamed metrics', () => {
  const head = '| Metric | Type | Labels | Meaning |\n| --- | --- | --- | --- |\n'
  const reg = (name: string, kind: MetricRegistration['kind'], labels: string[] = []): MetricRegistration => ({
    name,
    kind,
    labels,
    where: 'code.ts:1',
  })
  const registered = [
    reg('vpcmesh_x_requests_total', 'counter', ['route', 'method']),
    reg('vpcmesh_x_peers', 'gauge'),
    reg('vpcmesh_x_rtt_seconds', 'histogram'),
  ]
  const good =
    head +
    '| `vpcmesh_x_requests_total` | counter | `method`, `route` | m |\n| `vpcmesh_x_peers` | gauge | — | m |\n| `vpcmesh_x_rtt_seconds` | histogram | — | m |\n'
  assert.deepEqual(checkMetricDoc(good, registered), [])

  const bad =
    head +
    '| `vpcmesh_x_requests_total` | counter | `route` | m |\n| `vpcmesh_x_peers` | counter | — | m |\n' +
    '| `vpcmesh_x_old_total` | gauge | — | m |\n| `other_thing` | counter | nope | m |\n'
  const p = checkMetricDoc(bad, registered).join('\n')
  assert.match(p, /vpcmesh_x_rtt_seconds \(histogram, registered at code\.ts:1\) is missing from docs\/metrics\.md/)
  assert.match(p, /vpcmesh_x_requests_total labels are \[route\] in the doc, \[method, route\] in code/)
  assert.match(p, /vpcmesh_x_peers is documented as counter, registered as gauge/)
  assert.match(p, /counter vpcmesh_x_peers must end in _total/)
  assert.match(p, /vpcmesh_x_old_total is documented but no code registers it/)
  assert.match(p, /gauge vpcmesh_x_old_total must not end in _total/)
  assert.match(p, /other_thing must be named vpcmesh_/)
  assert.match(p, /Labels must be/)
})

test('self-check: the source scans find codes and metrics in code, not in comments or longer strings', () => {
  const files = [
    {
      path: 'libs/x/src/errors.ts',
      text: [
        '// VPCMESH_ERR_IN_COMMENT',
        '/** throws VPCMESH_ERR_IN_DOC */',
        "export const A = 'VPCMESH_ERR_X_LITERAL'",
        "export const B = { VPCMESH_ERR_X_KEY: 'text' }",
        "const msg = 'see VPCMESH_ERR_IN_TEXT for details'",
        'const dyn = `VPCMESH_ERR_${area}`',
        "m.counter({ name: 'vpcmesh_x_a_total', help: 'h', labelNames: ['b', 'a'] })",
        "m.gauge({ name: 'vpcmesh_x_b', help: 'h', collect: (g) => { g.set(1) } })",
        "m.histogram({ name: `vpcmesh_x_${n}_seconds`, help: 'h' })",
        "m.counter({ name: 'vpcmesh_x_c_total', help: 'h', labelNames: LABELS })",
      ].join('\n'),
    },
  ]
  const codes = findErrorCodes(files)
  assert.deepEqual([...codes.codes.keys()].sort(), ['VPCMESH_ERR_X_KEY', 'VPCMESH_ERR_X_LITERAL'])
  assert.equal(codes.dynamic.length, 1)
  const metrics = findMetricRegistrations(files)
  assert.deepEqual(
    metrics.metrics.map((m) => `${m.name} ${m.kind} ${m.labels.join(',')} ${m.where}`),
    ['vpcmesh_x_a_total counter a,b libs/x/src/errors.ts:7', 'vpcmesh_x_b gauge  libs/x/src/errors.ts:8'],
  )
  assert.equal(metrics.problems.length, 2)
})
