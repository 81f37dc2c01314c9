// Which layer each test file belongs to (docs/testing.md, "Layers"). Used by scripts/test.mjs
// to select files and by test/test-layers.test.ts to check the classification.
//
//   unit        no root, no network namespaces, no daemons (redis-server, controller, agent):
//               in-process code with fakes; may run short-lived local tools on repository
//               files (the launcher, promtool, systemd-analyze) and bind loopback in-process.
//   service     a real redis-server child on a free loopback port, the controller app through
//               app.inject (or an in-process WebSocket server); no root.
//   integration real controller processes + real redis-server (and Sentinel) on loopback,
//               simulated agents; no root.
//   e2e         root: network namespaces, TUN devices, routes, nftables (libs/testbed, the
//               netns helpers of libs/linuxnet and libs/tun).
//
// Rules are matched against the source path of the test, relative to the repository root
// (`libs/tun/test/netns.test.ts`); the first matching rule wins; a file that matches none is
// unit. test/test-layers.test.ts fails when a unit file uses namespaces, root, a Testbed or a
// redis-server, so a new file that needs more than unit must get a rule here.

export const LAYERS = ['unit', 'service', 'integration', 'e2e']

/** [layer, pattern] pairs; `**` matches any path, `*` anything but `/`. */
export const RULES = [
  ['e2e', 'test/e2e/**'],
  ['e2e', 'test/observability/prometheus.test.ts'],
  ['e2e', '**/*.netns.test.ts'],
  ['e2e', 'libs/tun/test/netns*.test.ts'],
  ['e2e', 'libs/linuxnet/test/router-compliance.test.ts'],
  ['integration', 'test/integration/**'],
  ['service', 'apps/controller/test/agent-hello.test.ts'],
  ['service', 'apps/controller/test/api.test.ts'],
  ['service', 'apps/controller/test/api.*.test.ts'],
  ['service', 'apps/controller/test/store-errors.test.ts'],
  ['service', '**/*.service.test.ts'],
]

/** A RegExp for a rule pattern. */
function patternRe(pattern) {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*'
      i++
      if (pattern[i + 1] === '/') i++
    } else if (c === '*') re += '[^/]*'
    else re += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

const COMPILED = RULES.map(([layer, pattern]) => [layer, patternRe(pattern)])

/**
 * The source path of a compiled test file, both relative to the root: the `.ts` file where
 * the workspace's `dist/` is dropped (`libs/tun/test/netns.test.ts`, `test/e2e/mesh.test.ts`);
 * source paths pass unchanged.
 */
export function sourcePathOf(rel) {
  const p = rel.split('\\').join('/')
  const ts = p.replace(/\.js$/, '.ts')
  const m = /^(libs|apps)\/([^/]+)\/dist\/(.*)$/.exec(ts)
  if (m !== null) return `${m[1]}/${m[2]}/${m[3]}`
  if (ts.startsWith('test/dist/')) return `test/${ts.slice('test/dist/'.length)}`
  return ts
}

/** The layer of a test file (compiled or source path, relative to the repository root). */
export function layerOf(rel) {
  const src = sourcePathOf(rel)
  for (const [layer, re] of COMPILED) if (re.test(src)) return layer
  return 'unit'
}

/**
 * Parses `--layer` values (repeatable, comma lists). Throws on an unknown layer.
 * @returns the selected layers in LAYERS order; all of them when none was given
 */
export function parseLayers(values) {
  const picked = new Set()
  for (const v of values) {
    for (const l of v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '')) {
      if (!LAYERS.includes(l)) throw new Error(`unknown layer "${l}" (layers: ${LAYERS.join(', ')})`)
      picked.add(l)
    }
  }
  return picked.size === 0 ? [...LAYERS] : LAYERS.filter((l) => picked.has(l))
}
