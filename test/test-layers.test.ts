// The layer rules of scripts/test-layers.mjs: every test file has a layer, and no unit file
// (nor a test helper it imports) needs root, namespaces, a Testbed or a redis-server, so
// `npm run test:unit` runs anywhere without root.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface LayersModule {
  LAYERS: string[]
  layerOf: (rel: string) => string
  sourcePathOf: (rel: string) => string
  parseLayers: (values: string[]) => string[]
}
const layers = (await import(pathToFileURL(join(ROOT, 'scripts', 'test-layers.mjs')).href)) as LayersModule

/** Source test files (`*.test.ts`) below the test directories, relative to the root. */
function sourceTests(): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name === 'dist') continue
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.test.ts')) out.push(relative(ROOT, p))
    }
  }
  for (const group of ['libs', 'apps']) {
    for (const ws of readdirSync(join(ROOT, group)))
      if (existsSync(join(ROOT, group, ws, 'test'))) walk(join(ROOT, group, ws, 'test'))
  }
  walk(join(ROOT, 'test'))
  return out
}

/** What a unit test must not do (each needs root or a daemon). */
const NEEDS_MORE: Array<[RegExp, string]> = [
  [/getuid\s*\?*\.?\(/, 'checks for root'],
  [/Testbed\.(?:create|removeLeftovers)\(|new LocalMesh\(/, 'uses the namespace testbed'],
  [/from '\.\/netns\.js'|engineSuite\(|mustCreateNetns\(/, 'uses network namespaces'],
  [/'netns',\s*'(?:add|exec)'|ip netns (?:add|exec)/, 'runs ip netns'],
  [/startRedisServer\(|mustRedis\(|spawn\w*\(\s*'redis-server'/, 'starts a redis-server'],
  [/Harness\.start\(|new ControllerProc\(/, 'starts controller processes'],
  [/'demo',\s*'--once'/, 'runs `vpcmesh demo` (root, namespaces)'],
]

/** The file and the test helpers it imports (relative imports that stay outside src/), transitively. */
function withHelpers(rel: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file) || !existsSync(join(ROOT, file))) return
    seen.add(file)
    const text = readFileSync(join(ROOT, file), 'utf8')
    for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) {
      const dep = relative(ROOT, resolve(dirname(join(ROOT, file)), `${m[1] as string}.ts`))
      if (!dep.split('/').includes('src')) visit(dep)
    }
  }
  visit(rel)
  return [...seen]
}

test('compiled and source paths map to the same layer', () => {
  assert.equal(layers.sourcePathOf('libs/tun/dist/test/netns.test.js'), 'libs/tun/test/netns.test.ts')
  assert.equal(layers.sourcePathOf('test/dist/e2e/mesh.test.js'), 'test/e2e/mesh.test.ts')
  assert.equal(layers.layerOf('test/dist/e2e/mesh.test.js'), 'e2e')
  assert.equal(layers.layerOf('libs/linuxnet/dist/test/linux-router.netns.test.js'), 'e2e')
  assert.equal(layers.layerOf('test/dist/integration/tls.test.js'), 'integration')
  assert.equal(layers.layerOf('apps/controller/dist/test/api.test.js'), 'service')
  assert.equal(layers.layerOf('libs/cidr/dist/test/table.test.js'), 'unit')
})

test('--layer takes repeated flags and comma lists; none means every layer', () => {
  assert.deepEqual(layers.parseLayers([]), ['unit', 'service', 'integration', 'e2e'])
  assert.deepEqual(layers.parseLayers(['e2e,unit']), ['unit', 'e2e'])
  assert.deepEqual(layers.parseLayers(['service', 'integration']), ['service', 'integration'])
  assert.throws(() => layers.parseLayers(['units']), /unknown layer "units"/)
})

test('every layer has test files, and no unit test needs root, namespaces or a daemon', (t) => {
  const files = sourceTests()
  const by = new Map<string, string[]>()
  for (const f of files) by.set(layers.layerOf(f), [...(by.get(layers.layerOf(f)) ?? []), f])
  t.diagnostic([...by].map(([l, fs]) => `${l}: ${fs.length}`).join(', '))
  for (const l of layers.LAYERS) assert.ok((by.get(l)?.length ?? 0) > 0, `no test file in layer ${l}`)
  const problems: string[] = []
  for (const f of by.get('unit') ?? []) {
    for (const h of withHelpers(f)) {
      const text = readFileSync(join(ROOT, h), 'utf8')
      for (const [re, what] of NEEDS_MORE)
        if (re.test(text))
          problems.push(`${f}${h === f ? '' : ` (via ${h})`} ${what}: give it a layer in scripts/test-layers.mjs`)
    }
  }
  assert.deepEqual(problems, [])
})

test('the other layers do use what puts them there (no rule matches a unit test by mistake)', () => {
  const misplaced: string[] = []
  for (const f of sourceTests()) {
    const l = layers.layerOf(f)
    if (l === 'unit') continue
    const needs = withHelpers(f).some((h) => NEEDS_MORE.some(([re]) => re.test(readFileSync(join(ROOT, h), 'utf8'))))
    if (!needs) misplaced.push(`${f} (${l})`)
  }
  assert.deepEqual(misplaced, [])
})
