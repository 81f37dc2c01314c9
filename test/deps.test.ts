// Import-direction and declared-dependency check (tailscale tstest/deptest); the rules are
// described in CONTRIBUTING.md, Layers and import rules.
// The policy is data below; the parser and checker are in ./lib/imports.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import {
  checkWorkspaces,
  loadWorkspaces,
  matchesPath,
  parseImports,
  RULES,
  type Policy,
  type RuleId,
  type Violation,
  type Workspace,
} from './lib/imports.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

const FASTIFY_ONLY = ['apps/controller', 'apps/agent/src/status/']
const FASTIFY_WHY = 'HTTP serving lives in the controller and the agent status server'
const ADDON_WHY = 'the native addon is loaded in exactly one place'

/** Where third-party packages may be imported (the table in CONTRIBUTING.md). */
const CONFINED: Policy['confined'] = {
  fastify: { only: FASTIFY_ONLY, reason: FASTIFY_WHY },
  '@fastify/*': { only: FASTIFY_ONLY, reason: FASTIFY_WHY },
  'fastify-type-provider-zod': { only: FASTIFY_ONLY, reason: FASTIFY_WHY },
  ws: {
    only: ['apps/controller/src/session/', 'apps/agent/src/control/'],
    reason: 'WebSockets carry the control channel only: the controller hub and the agent control client',
  },
  ioredis: {
    only: ['apps/controller/src/state/', 'apps/controller/src/session/redis-probe-bus.ts'],
    reason:
      'Redis stays behind the Store interface; the explain probe relay is pub/sub between replicas behind its own ProbeBus interface',
  },
  'prom-client': {
    only: ['libs/metrics/src/prometheus.ts'],
    reason: 'everything else uses the Metrics interface over a caller-supplied registry',
  },
  zod: {
    only: ['libs/protocol', 'apps/*/src/config.ts', 'apps/controller/src/routes/', 'apps/controller/src/app.ts'],
    reason: 'schemas are the wire contract (libs/protocol), config parsed at the edge, or route typing',
  },
  pino: { only: ['libs/common/src/pino-logger.ts'], reason: 'everything else logs through the Logger interface' },
  'node-addon-api': { only: ['libs/tun/src/native.ts'], reason: ADDON_WHY },
  '*.node': { only: ['libs/tun/src/native.ts'], reason: ADDON_WHY },
}

const NO_PACKETS = 'it never touches packets or the host network'

/** Per-workspace forbidden imports, each with its reason. */
const FORBIDDEN: Policy['forbidden'] = {
  'libs/*': {
    fastify: 'libraries run without the HTTP stack and Redis',
    '@fastify/*': 'libraries run without the HTTP stack and Redis',
    'fastify-type-provider-zod': 'libraries run without the HTTP stack and Redis',
    ws: 'libraries run without the HTTP stack and Redis',
    ioredis: 'libraries run without the HTTP stack and Redis',
  },
  'libs/common': { '@vpcmesh/*': 'common is the leaf every workspace builds on' },
  'libs/protocol': { '@vpcmesh/*': 'the wire contract imports only zod (tailscale tailcfg imports only leaves)' },
  'libs/dataplane': {
    '@vpcmesh/protocol': 'the data plane takes a plain DataplaneConfig, never wire types',
    '@vpcmesh/linuxnet': 'routes and firewall belong to the agent engine, not the packet path',
    'prom-client': 'the data plane sees only the Metrics interface',
  },
  'libs/linuxnet': {
    '@vpcmesh/dataplane': 'host network programming is independent of the packet path',
    '@vpcmesh/protocol': 'linuxnet takes a plain RouterConfig, never wire types',
  },
  'apps/cli': {
    ws: 'the CLI talks REST only',
    ioredis: 'the CLI talks REST only',
    '@vpcmesh/dataplane': `the CLI is an API client: ${NO_PACKETS}`,
    '@vpcmesh/tun': `the CLI is an API client: ${NO_PACKETS}`,
    '@vpcmesh/linuxnet': `the CLI is an API client: ${NO_PACKETS}`,
  },
  'apps/agent': { ioredis: 'agents never talk to Redis' },
  'apps/controller': {
    '@vpcmesh/tun': `the controller ${NO_PACKETS}`,
    '@vpcmesh/dataplane': `the controller ${NO_PACKETS}`,
    '@vpcmesh/linuxnet': `the controller ${NO_PACKETS}`,
  },
}

const POLICY: Policy = { confined: CONFINED, forbidden: FORBIDDEN }

let tree: { workspaces: Workspace[]; violations: Violation[] } | undefined
function realTree(): { workspaces: Workspace[]; violations: Violation[] } {
  if (tree === undefined) {
    const workspaces = loadWorkspaces(ROOT)
    tree = { workspaces, violations: checkWorkspaces(workspaces, POLICY) }
  }
  return tree
}

test('tree: the workspaces and their sources are found', () => {
  const { workspaces } = realTree()
  const names = workspaces.map((w) => w.name)
  for (const n of ['@vpcmesh/common', '@vpcmesh/metrics']) assert.ok(names.includes(n), `${n} not found in ${ROOT}`)
  const metrics = workspaces.find((w) => w.name === '@vpcmesh/metrics')
  assert.ok(metrics?.files.some((f) => f.path === 'libs/metrics/src/prometheus.ts'))
  assert.ok(
    workspaces.every((w) => w.files.every((f) => !f.path.includes('/dist/') && !f.path.includes('/node_modules/'))),
  )
})

for (const rule of Object.keys(RULES) as RuleId[]) {
  test(`tree: ${rule}: ${RULES[rule]}`, () => {
    const found = realTree()
      .violations.filter((v) => v.rule === rule)
      .map((v) => v.message)
    assert.deepEqual(found, [], `\n${found.join('\n')}\n`)
  })
}

test('policy: every entry has a reason and names folders under libs/ or apps/', () => {
  for (const [pkg, rule] of Object.entries(CONFINED)) {
    assert.ok(rule.reason.trim() !== '' && rule.only.length > 0, pkg)
    for (const p of rule.only) assert.match(p, /^(libs|apps)\//, `${pkg}: ${p}`)
  }
  for (const [ws, packages] of Object.entries(FORBIDDEN)) {
    assert.match(ws, /^(libs|apps)\//)
    for (const [pkg, reason] of Object.entries(packages)) assert.ok(reason.trim() !== '', `${ws}: ${pkg}`)
  }
})

test('policy: every path an entry allows names existing sources (a stale entry hides nothing)', () => {
  const files = realTree().workspaces.flatMap((w) => w.files.map((f) => f.path))
  const stale = Object.entries(CONFINED).flatMap(([pkg, rule]) =>
    rule.only.filter((p) => !files.some((f) => matchesPath(p, f))).map((p) => `${pkg}: ${p} matches no source file`),
  )
  const workspaces = realTree().workspaces.map((w) => w.dir)
  for (const ws of Object.keys(FORBIDDEN)) {
    if (!workspaces.some((d) => matchesPath(ws, d))) stale.push(`FORBIDDEN: ${ws} matches no workspace`)
  }
  assert.deepEqual(stale, [], `\n${stale.join('\n')}\nremove or fix the entry in test/deps.test.ts\n`)
})

test('parser: finds every import form and ignores comments and strings', () => {
  const src = [
    "import a from 'pkg-a'",
    "import type { B } from 'pkg-b'",
    "import { type C } from 'pkg-c'",
    "import 'pkg-side-effect'",
    'import {',
    '  d,',
    '  e',
    "} from '@scope/pkg-d/sub'",
    "export { f } from './f.js'",
    "export * from 'pkg-g'",
    "import h = require('pkg-h')",
    "import { createRequire } from 'node:module'",
    'const req = createRequire(import.meta.url)',
    "const addon = req('../build/Release/x.node') as unknown",
    "const lazy = await import('pkg-i')",
    "type J = import('pkg-j').J",
    "const p = req.resolve('pkg-k')",
    "// import x from 'in-a-comment'",
    "/* export * from 'in-a-block-comment' */",
    'const s = "import y from \'in-a-string\'"',
    "const t = `export * from 'in-a-template' ${a}`",
    "const r = /['\"]import z from 'in-a-regex'/",
    'const dyn = await import(s)',
  ].join('\n')
  const found = parseImports('x.ts', src).map((i) => `${i.line} ${i.kind}${i.typeOnly ? ' type' : ''} ${i.specifier}`)
  assert.deepEqual(found, [
    '1 import pkg-a',
    '2 import type pkg-b',
    '3 import type pkg-c',
    '4 import pkg-side-effect',
    '8 import @scope/pkg-d/sub',
    '9 export ./f.js',
    '10 export pkg-g',
    '11 require pkg-h',
    '12 import node:module',
    '14 require ../build/Release/x.node',
    '15 dynamic pkg-i',
    '16 import-type type pkg-j',
    '17 require pkg-k',
  ])
})

test('path patterns: a folder matches what is below it, * stays within one segment', () => {
  assert.ok(matchesPath('apps/controller', 'apps/controller/src/app.ts'))
  assert.ok(matchesPath('apps/agent/src/status/', 'apps/agent/src/status/server.ts'))
  assert.ok(!matchesPath('apps/agent/src/status/', 'apps/agent/src/statusbar.ts'))
  assert.ok(matchesPath('apps/*/src/config.ts', 'apps/cli/src/config.ts'))
  assert.ok(!matchesPath('apps/*/src/config.ts', 'apps/cli/src/sub/config.ts'))
  assert.ok(matchesPath('libs/*', 'libs/metrics'))
  assert.ok(!matchesPath('libs/metrics/src/prometheus.ts', 'libs/metrics/src/prometheus.tsx'))
})

/** Builds an in-memory workspace; `files` maps paths inside it to source text. */
function fake(dir: string, name: string, files: Record<string, string>, m: Partial<Workspace> = {}): Workspace {
  return {
    dir,
    name,
    kind: dir.startsWith('libs/') ? 'lib' : 'app',
    dependencies: [],
    devDependencies: [],
    references: [],
    ...m,
    files: Object.entries(files).map(([p, text]) => ({ path: `${dir}/${p}`, text })),
  }
}

test('self-check: each rule reports a synthetic violation, and allowed imports pass', () => {
  const common = fake('libs/common', '@vpcmesh/common', { 'src/index.ts': "import { x } from './x.js'" })
  const controller = fake(
    'apps/controller',
    '@vpcmesh/controller',
    {
      'src/state/redis-store.ts': "import Redis from 'ioredis'",
      'src/main.ts': "import { Redis } from 'ioredis'\nimport { tun } from '@vpcmesh/tun'",
      'test/store.test.ts': "import Redis from 'ioredis'",
    },
    { dependencies: ['ioredis', '@vpcmesh/tun'], references: ['libs/tun'] },
  )
  const tun = fake('libs/tun', '@vpcmesh/tun', {
    'src/native.ts':
      "const require = createRequire(import.meta.url)\nconst a = require('../native/build/Release/tun.node')",
    'src/device.ts': "export const b = require('../native/build/Release/tun.node')",
  })
  const agent = fake(
    'apps/agent',
    '@vpcmesh/agent',
    {
      'src/main.ts': "import { c } from '@vpcmesh/controller'\nimport { z } from 'zod'",
      'src/config.ts': "import { z } from 'zod'",
    },
    { dependencies: ['@vpcmesh/controller', 'zod'], references: ['apps/controller'] },
  )
  const lib = fake(
    'libs/fake',
    '@vpcmesh/fake',
    {
      'src/app.ts': "import { a } from '@vpcmesh/controller'",
      'src/pad.ts': "import pad from 'left-pad'",
      'src/fs.ts': "import { readFile } from 'fs'",
      'src/clock.ts': "import { FakeClock } from '@vpcmesh/common/testing'",
      'src/clock-fake.ts': "import { naive } from './testing/naive.js'",
      'src/escape.ts': "import { x } from '../../../apps/agent/src/main.js'",
      'src/http.ts': "import type { FastifyInstance } from 'fastify'",
      'src/testing/naive.ts': "import { FakeClock } from '@vpcmesh/common/testing'\nimport Fastify from 'fastify'",
      'test/http.test.ts': "import Fastify from 'fastify'\nimport { n } from '../src/testing/naive.js'",
    },
    { dependencies: ['@vpcmesh/common'], devDependencies: ['fastify'], references: ['libs/common'] },
  )
  const noRef = fake(
    'libs/noref',
    '@vpcmesh/noref',
    { 'src/index.ts': "export { x } from '@vpcmesh/common'" },
    { dependencies: ['@vpcmesh/common'] },
  )

  const got = checkWorkspaces([common, controller, tun, agent, lib, noRef], POLICY)
    .map((v) => `${v.rule} ${v.file}:${v.line} ${v.specifier}`)
    .sort()
  assert.deepEqual(got, [
    'confined apps/agent/src/main.ts:2 zod',
    'confined apps/controller/src/main.ts:1 ioredis',
    'confined libs/fake/src/http.ts:1 fastify',
    'confined libs/tun/src/device.ts:1 ../native/build/Release/tun.node',
    'direction apps/agent/src/main.ts:1 @vpcmesh/controller',
    'direction libs/fake/src/app.ts:1 @vpcmesh/controller',
    'escape libs/fake/src/escape.ts:1 ../../../apps/agent/src/main.js',
    'forbidden apps/controller/src/main.ts:2 @vpcmesh/tun',
    'forbidden libs/fake/src/http.ts:1 fastify',
    'forbidden libs/fake/src/testing/naive.ts:2 fastify',
    'forbidden libs/fake/test/http.test.ts:1 fastify',
    'reference libs/fake/src/app.ts:1 @vpcmesh/controller',
    'reference libs/noref/src/index.ts:1 @vpcmesh/common',
    'testing libs/fake/src/clock-fake.ts:1 ./testing/naive.js',
    'testing libs/fake/src/clock.ts:1 @vpcmesh/common/testing',
    'undeclared libs/fake/src/app.ts:1 @vpcmesh/controller',
    'undeclared libs/fake/src/fs.ts:1 fs',
    'undeclared libs/fake/src/http.ts:1 fastify',
    'undeclared libs/fake/src/pad.ts:1 left-pad',
  ])
})

test('self-check: messages name the file, line, import, reason and rule', () => {
  const lib = fake(
    'libs/fake',
    '@vpcmesh/fake',
    { 'src/a.ts': "\nimport { WebSocket } from 'ws'" },
    { dependencies: ['ws'] },
  )
  const [confined, forbidden] = checkWorkspaces([lib], POLICY).map((v) => v.message)
  assert.equal(
    confined,
    "libs/fake/src/a.ts:2: import 'ws': 'ws' is allowed only in apps/controller/src/session/, apps/agent/src/control/: " +
      `${CONFINED.ws?.reason ?? ''} [confined: ${RULES.confined}]`,
  )
  assert.equal(
    forbidden,
    "libs/fake/src/a.ts:2: import 'ws': libs/* must not import ws: libraries run without the HTTP stack and Redis " +
      `[forbidden: ${RULES.forbidden}]`,
  )
})
