// The observability files under deploy/ without a running mesh (see CONTRIBUTING.md, Add a metric):
// dashboards and alert rules name only metrics the code registers and docs/metrics.md documents;
// the Prometheus config and rules pass promtool; dashboards are well-formed for provisioning.
// The live half (every query returns data from a real mesh) is prometheus.test.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { findMetricRegistrations, listSourceFiles } from '../lib/docs-sources.js'
import { parseMetricDoc } from '../lib/docs-tables.js'
import {
  allPanels,
  checkQueryMetrics,
  dashboardQueries,
  loadDashboards,
  loadRules,
  metricNames,
  PROMETHEUS_CONFIG,
  ruleQueries,
  RULES_FILE,
  substituteVariables,
  type KnownMetric,
} from './deploy-files.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const list = (problems: string[]): string => `\n  ${problems.join('\n  ')}\n`
const dashboards = loadDashboards(ROOT)
const rules = loadRules(ROOT)
const queries = [
  ...dashboards.flatMap((d) => dashboardQueries(d.file, d.dashboard)),
  ...ruleQueries('vpcmesh.rules.yml', rules),
]
const DS_UID = '${DS_PROMETHEUS}'

function registered(): KnownMetric[] {
  const scan = findMetricRegistrations(listSourceFiles(ROOT))
  assert.deepEqual(scan.problems, [], list(scan.problems))
  return scan.metrics
}
function documented(): KnownMetric[] {
  return parseMetricDoc(readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8')).rows
}

test('deploy: three dashboards and ten alert rules are found, each with PromQL', () => {
  assert.deepEqual(
    dashboards.map((d) => d.file),
    ['agent.json', 'controller.json', 'mesh-overview.json'],
  )
  for (const { file, dashboard } of dashboards)
    assert.ok(dashboardQueries(file, dashboard).length >= 8, `${file} has too few queries`)
  assert.equal(ruleQueries('r', rules).length, 10)
})

test('deploy: every metric a dashboard or alert rule names is registered by the code and documented', () => {
  const problems = checkQueryMetrics(queries, registered(), documented())
  assert.deepEqual(problems, [], list(problems))
})

test('deploy: every agent and dataplane metric the code registers is used by some dashboard', () => {
  const used = new Set(queries.flatMap((q) => metricNames(q.expr)).map((n) => n.replace(/_(bucket|sum|count)$/, '')))
  const unused = registered()
    .filter((m) => m.name.startsWith('vpcmesh_') && !used.has(m.name))
    .map((m) => m.name)
  assert.deepEqual(unused, [], `registered but on no dashboard: ${unused.join(', ')}`)
})

test('dashboards: schemaVersion 38, unique uids and panel ids, a 24-column grid, every query on the ${DS_PROMETHEUS} data source', () => {
  const uids = new Set<string>()
  for (const { file, dashboard: d } of dashboards) {
    assert.equal(d.schemaVersion, 38, file)
    assert.match(d.uid ?? '', /^vpcmesh-[a-z-]+$/, file)
    assert.ok(!uids.has(d.uid ?? ''), `${file}: uid ${d.uid ?? ''} used twice`)
    uids.add(d.uid ?? '')
    const ds = d.templating?.list?.find((v) => v.name === 'DS_PROMETHEUS')
    assert.equal(ds?.type, 'datasource', `${file}: needs a DS_PROMETHEUS data source variable`)
    assert.equal(
      ds?.current?.value as string | undefined,
      'vpcmesh-prometheus',
      `${file}: DS_PROMETHEUS should default to the provisioned uid`,
    )
    const ids = new Set<number>()
    for (const p of allPanels(d)) {
      assert.ok(
        p.id !== undefined && !ids.has(p.id),
        `${file}: panel "${p.title ?? ''}" id ${String(p.id)} missing or repeated`,
      )
      ids.add(p.id)
      const g = p.gridPos
      assert.ok(
        g !== undefined && g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0,
        `${file}: panel "${p.title ?? ''}" gridPos`,
      )
      if (p.type === 'row') continue
      assert.ok((p.targets ?? []).length > 0, `${file}: panel "${p.title ?? ''}" has no query`)
      assert.equal(p.datasource?.uid, DS_UID, `${file}: panel "${p.title ?? ''}" data source`)
      for (const t of p.targets ?? [])
        assert.equal(t.datasource?.uid, DS_UID, `${file}: panel "${p.title ?? ''}" target ${t.refId ?? ''} data source`)
    }
  }
})

test("dashboards: the agent dashboard has a vpc variable from the agents' vpc label, and every panel is filtered by it", () => {
  const agent = dashboards.find((d) => d.file === 'agent.json')?.dashboard
  assert.ok(agent !== undefined)
  const v = agent.templating?.list?.find((x) => x.name === 'vpc')
  assert.equal(v?.type, 'query')
  const vq = dashboardQueries('agent.json', agent).find((q) => q.labelValues !== undefined)
  assert.equal(vq?.labelValues?.label, 'vpc')
  assert.match(vq?.labelValues?.match ?? '', /^vpcmesh_agent_/)
  for (const q of dashboardQueries('agent.json', agent).filter((x) => x.labelValues === undefined)) {
    assert.match(q.expr, /vpc="\$vpc"/, `${q.where} is not filtered by $vpc`)
  }
})

test("provisioning: the data source uid is the dashboards' default, and the dashboard provider loads files", () => {
  const ds = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/vpcmesh.yml'), 'utf8')) as {
    apiVersion: number
    datasources: Array<{ uid: string; type: string; url: string }>
  }
  assert.equal(ds.apiVersion, 1)
  assert.deepEqual(
    ds.datasources.map((d) => [d.uid, d.type]),
    [['vpcmesh-prometheus', 'prometheus']],
  )
  const dp = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/dashboards/vpcmesh.yml'), 'utf8')) as {
    apiVersion: number
    providers: Array<{ type: string; options: { path: string } }>
  }
  assert.equal(dp.apiVersion, 1)
  assert.equal(dp.providers[0]?.type, 'file')
  assert.ok((dp.providers[0]?.options.path ?? '') !== '')
})

test('rules: promtool check rules passes; every alert has summary, description, severity and a for', () => {
  const out = execFileSync('promtool', ['check', 'rules', join(ROOT, RULES_FILE)], { encoding: 'utf8' })
  assert.match(out, /SUCCESS: 10 rules found/)
  for (const g of rules.groups) {
    for (const r of g.rules) {
      assert.ok(r.alert !== undefined, `${g.name}: only alert rules expected`)
      assert.ok(
        (r.annotations?.summary ?? '') !== '' && (r.annotations?.description ?? '') !== '',
        `${r.alert}: summary and description`,
      )
      assert.match(r.labels?.severity ?? '', /^(warning|critical)$/, `${r.alert}: severity`)
      assert.match(r.for ?? '', /^\d+[smh]$/, `${r.alert}: for`)
    }
  }
})

test('rules: the alerts the issue asks for watch the right metrics', () => {
  const byMetric = (re: RegExp): string[] =>
    rules.groups
      .flatMap((g) => g.rules)
      .filter((r) => re.test(r.expr))
      .map((r) => r.alert ?? '')
  assert.ok(byMetric(/vpcmesh_agent_peer_up\s*==\s*0/).length === 1, 'peer down')
  assert.ok(byMetric(/vpcmesh_agent_controller_connected\s*==\s*0/).length === 1, 'agent disconnected')
  assert.ok(byMetric(/up\{job="vpcmesh-agent"\}\s*==\s*0/).length === 1, 'agent not scraped')
  assert.ok(byMetric(/vpcmesh_controller_agent_version_lag\)?\s*>\s*0/).length === 1, 'convergence lag')
  assert.ok(byMetric(/vpcmesh_agent_peer_handshake_age_seconds\s*>\s*300/).length === 1, 'stale handshake')
  assert.ok(byMetric(/rate\(vpcmesh_agent_drops_total\[/).length === 1, 'drop rate')
  assert.ok(byMetric(/rate\(vpcmesh_controller_store_errors_total\[.*>\s*0/).length === 1, 'store errors')
  assert.ok(byMetric(/up\{job="vpcmesh-controller"\}\s*==\s*0/).length === 1, 'controller down')
})

test('prometheus.yml: promtool check config passes, with the example file_sd targets loaded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-promcfg-'))
  try {
    const cfg = parse(readFileSync(join(ROOT, PROMETHEUS_CONFIG), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; file_sd_configs?: Array<{ files: string[] }> }>
      rule_files: string[]
    }
    assert.deepEqual(
      cfg.scrape_configs.map((j) => j.job_name),
      ['vpcmesh-controller', 'vpcmesh-agent'],
    )
    const agent = cfg.scrape_configs[1]
    assert.ok(agent?.file_sd_configs?.[0] !== undefined)
    agent.file_sd_configs[0].files = [join(dir, 'targets', 'agents-example.yml')]
    mkdirSync(join(dir, 'targets'))
    mkdirSync(join(dir, 'rules'))
    copyFileSync(join(ROOT, 'deploy/prometheus/targets/agents.example.yml'), join(dir, 'targets', 'agents-example.yml'))
    copyFileSync(join(ROOT, RULES_FILE), join(dir, 'rules', 'vpcmesh.rules.yml'))
    writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg))
    const out = execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' })
    assert.match(out, /SUCCESS/)
    assert.doesNotMatch(out, /WARNING|FAILED/)
    // The unmodified file too (its file_sd glob may match nothing: a warning, not an error).
    execFileSync('promtool', ['check', 'config', join(ROOT, PROMETHEUS_CONFIG)], { encoding: 'utf8', stdio: 'pipe' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('self-check: metricNames finds metrics, not functions, labels, strings, durations or variables', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.99, sum by (le, route) (rate(a_bucket{route=~"/v1/.*", x="$vpc"}[$__rate_interval])))',
    ),
    ['a_bucket'],
  )
  assert.deepEqual(
    metricNames('-sum by (vpc) (rate(b_total[5m] offset 1h)) * 8 / on(vpc) group_left(peer) c > bool 1e3'),
    ['b_total', 'c'],
  )
  assert.deepEqual(
    metricNames('label_replace(up{job="x"}, "dst", "$1", "instance", "(.*):.*") or absent(d) unless e'),
    ['d', 'e', 'up'],
  )
  assert.deepEqual(metricNames('label_values(f_gauge{a="b"}, vpc)'), ['f_gauge'])
  assert.deepEqual(metricNames('sum(g) without (peer) and ignoring(vpc) h'), ['g', 'h'])
  assert.deepEqual(metricNames('max_over_time(i[1h:1m]) # comment with j_total'), ['i'])
})

test('self-check: checkQueryMetrics reports unregistered, undocumented and bare-histogram names; allows built-ins', () => {
  const reg: KnownMetric[] = [
    { name: 'vpcmesh_x_total', kind: 'counter' },
    { name: 'vpcmesh_h_seconds', kind: 'histogram' },
    { name: 'vpcmesh_undoc', kind: 'gauge' },
  ]
  const doc: KnownMetric[] = [
    { name: 'vpcmesh_x_total', kind: 'counter' },
    { name: 'vpcmesh_h_seconds', kind: 'histogram' },
  ]
  const q = (expr: string): { where: string; expr: string } => ({ where: 'w', expr })
  assert.deepEqual(
    checkQueryMetrics(
      [
        q(
          'rate(vpcmesh_x_total[5m]) + vpcmesh_h_seconds_count + up + process_resident_memory_bytes + nodejs_heap_size_used_bytes',
        ),
        q('ALERTS{alertstate="firing"}'),
      ],
      reg,
      doc,
    ),
    [],
  )
  const got = checkQueryMetrics(
    [q('vpcmesh_typo_total'), q('vpcmesh_undoc'), q('vpcmesh_h_seconds'), q('sum(rate(x[1m]))'), q('vector(1)')],
    reg,
    doc,
  )
  assert.equal(got.length, 5, list(got))
  assert.match(got[0] ?? '', /vpcmesh_typo_total is not registered/)
  assert.match(got[1] ?? '', /vpcmesh_undoc is registered but not documented/)
  assert.match(got[2] ?? '', /it is a histogram/)
  assert.match(got[3] ?? '', /\bx is not registered/)
  assert.match(got[4] ?? '', /selects no metric/)
})

test('self-check: substituteVariables replaces every variable form and refuses unknown ones', () => {
  assert.equal(
    substituteVariables('rate(a{vpc="$vpc",b="${vpc}",c="[[vpc]]",d="${vpc:regex}"}[$__rate_interval])', {
      vpc: 'x',
      __rate_interval: '15s',
    }),
    'rate(a{vpc="x",b="x",c="x",d="x"}[15s])',
  )
  assert.throws(() => substituteVariables('a{x="$nope"}', {}), /\$nope/)
})
