// Every dashboard query and alert rule returns data from a real Prometheus scraping a real
// mesh (see CONTRIBUTING.md, Add a metric). Builds a 3-VPC mesh in network namespaces (Testbed + LocalMesh, the real
// controller and agents), runs Debian's prometheus in the wan namespace with a copy of
// deploy/prometheus/prometheus.yml whose targets are the mesh's (1 s intervals) and a copy of
// the rules with short `for:`, then evaluates every dashboard query and every rule expression
// through the HTTP API, and stops an agent to see VpcmeshPeerDown fire.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse, stringify } from 'yaml'
import { pollUntil } from '@vpcmesh/common'
import {
  AGENT_STATUS_PORT,
  AGENT_UDP_PORT,
  CONTROLLER_PORT,
  LocalMesh,
  Testbed,
  UNDERLAY,
  type TestbedNode,
  teardownMesh,
} from '@vpcmesh/testbed'
import {
  dashboardQueries,
  loadDashboards,
  loadRules,
  PROMETHEUS_CONFIG,
  ruleQueries,
  RULES_FILE,
  substituteVariables,
  type DeployQuery,
  type RuleFile,
} from './deploy-files.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const PROM = `http://${UNDERLAY.wanIp}:9090`
/** Values of the Grafana variables in the dashboards' queries. */
const VARIABLES = {
  vpc: 'a',
  __rate_interval: '15s',
  __interval: '15s',
  __range: '1m',
  DS_PROMETHEUS: 'vpcmesh-prometheus',
}

if (process.getuid?.() !== 0)
  throw new Error('the Prometheus test needs root (network namespaces, TUN, nftables); run as root')

/** A Prometheus API answer. */
interface Answer<T> {
  status: 'success' | 'error'
  data: T
  error?: string
  errorType?: string
}
interface Sample {
  metric: Record<string, string>
  value: [number, string]
}
interface Target {
  labels: Record<string, string>
  scrapeUrl: string
  health: string
  lastError: string
}
interface Alert {
  labels: Record<string, string>
  state: string
}
interface RuleState {
  name: string
  health: string
  lastError?: string
  type: string
}

/** Scrape config of one job, as far as the test rewrites it. */
interface ScrapeConfig {
  job_name: string
  static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }>
  file_sd_configs?: unknown
}

describe('Prometheus scrapes a real 3-VPC mesh: every dashboard query has data, the rules evaluate, peer down fires', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let prom: ChildProcess | undefined
  let promLog = ''
  let nodes: TestbedNode[] = []

  /** GET a Prometheus API path from the wan namespace; `params` are URL-encoded. */
  const api = async <T>(path: string, params: Record<string, string | string[]> = {}): Promise<Answer<T>> => {
    const args = ['curl', '-sS', '--max-time', '10', '-G']
    for (const [k, v] of Object.entries(params))
      for (const x of Array.isArray(v) ? v : [v]) args.push('--data-urlencode', `${k}=${x}`)
    const r = await tb.exec(tb.wanNs, [...args, `${PROM}${path}`], { allowFail: true })
    if (r.code !== 0) throw new Error(`curl ${path} exited ${r.code}: ${r.stderr.trim()}`)
    return JSON.parse(r.stdout) as Answer<T>
  }
  const query = async (expr: string): Promise<Answer<{ resultType: string; result: Sample[] | [number, string] }>> =>
    await api('/api/v1/query', { query: expr })
  const nonEmpty = (a: Answer<{ resultType: string; result: Sample[] | [number, string] }>): boolean =>
    a.status === 'success' &&
    (a.data.resultType === 'scalar' || (Array.isArray(a.data.result) && a.data.result.length > 0))

  const ping = async (from: TestbedNode, to: TestbedNode): Promise<void> => {
    await tb.exec(from.hostNs, ['ping', '-c', '5', '-i', '0.2', '-W', '1', to.hostIp], { allowFail: true })
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-obs-'))
    tb = await Testbed.create({
      prefix: `vmo${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
        { name: 'c', cidr: '10.3.0.0/24' },
      ],
    })
    nodes = ['a', 'b', 'c'].map((n) => tb.node(n))
    mesh = new LocalMesh(tb, {
      launcher: join(ROOT, 'bin', 'vpcmesh'),
      workDir: work,
      adminToken: 'obs-admin-token-0123456789abcdef',
    })
    await mesh.startController()
    for (const n of nodes) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken)
    await mesh.awaitConverged(45_000)

    // The production config with this mesh's targets and 1 s intervals; rules with 1 s `for:`.
    const cfg = parse(readFileSync(join(ROOT, PROMETHEUS_CONFIG), 'utf8')) as {
      global: Record<string, string>
      rule_files: string[]
      scrape_configs: ScrapeConfig[]
    }
    cfg.global = { ...cfg.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' }
    assert.deepEqual(cfg.rule_files, ['rules/vpcmesh.rules.yml'])
    cfg.rule_files = [join(work, 'prometheus', 'rules', 'vpcmesh.rules.yml')]
    const job = (name: string): ScrapeConfig => {
      const j = cfg.scrape_configs.find((x) => x.job_name === name)
      assert.ok(j !== undefined, `prometheus.yml has no job ${name}`)
      delete j.file_sd_configs
      return j
    }
    job('vpcmesh-controller').static_configs = [{ targets: [`${UNDERLAY.wanIp}:${CONTROLLER_PORT}`] }]
    job('vpcmesh-agent').static_configs = nodes.map((n) => ({
      targets: [`${n.underlayIp}:${AGENT_STATUS_PORT}`],
      labels: { vpc: n.name },
    }))
    const rules = parse(readFileSync(join(ROOT, RULES_FILE), 'utf8')) as RuleFile
    for (const r of rules.groups.flatMap((g) => g.rules)) if (r.for !== undefined) r.for = '1s'
    mkdirSync(join(work, 'prometheus', 'rules'), { recursive: true })
    writeFileSync(join(work, 'prometheus', 'prometheus.yml'), stringify(cfg))
    writeFileSync(join(work, 'prometheus', 'rules', 'vpcmesh.rules.yml'), stringify(rules))
    execFileSync('promtool', ['check', 'config', join(work, 'prometheus', 'prometheus.yml')], { stdio: 'pipe' })

    prom = tb.spawn(tb.wanNs, [
      'prometheus',
      `--config.file=${join(work, 'prometheus', 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'tsdb')}`,
      `--web.listen-address=${UNDERLAY.wanIp}:9090`,
      '--log.level=warn',
    ])
    const keep = (b: Buffer): void => {
      promLog = (promLog + b.toString()).slice(-20_000)
    }
    prom.stdout?.on('data', keep)
    prom.stderr?.on('data', keep)
    await pollUntil(
      'prometheus ready',
      async () => {
        if (prom?.exitCode !== null) throw new Error(`prometheus exited ${String(prom?.exitCode)}: ${promLog}`)
        return (
          (await tb.exec(tb.wanNs, ['curl', '-sf', '--max-time', '2', `${PROM}/-/ready`], { allowFail: true })).code ===
          0
        )
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    )
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0) {
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
      process.stderr.write(`--- prometheus\n${promLog.slice(-3000)}\n`)
    }
    // prometheus stops after the mesh: it only scrapes, and the testbed would stop it anyway
    await teardownMesh({
      mesh,
      testbed: tb,
      workDir: work,
      extra: [
        [
          'stopping prometheus',
          async () => {
            if (prom !== undefined) await tb.kill(prom)
          },
        ],
      ],
    })
  })

  test('prometheus scrapes the controller and the three agents, each agent with its vpc label', async () => {
    const targets = await pollUntil(
      'all 4 targets up',
      async () => {
        const a = await api<{ activeTargets: Target[] }>('/api/v1/targets', { state: 'active' })
        const t = a.data.activeTargets
        return t.length === 4 && t.every((x) => x.health === 'up') ? t : false
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    )
    const agents = targets
      .filter((t) => t.labels.job === 'vpcmesh-agent')
      .map((t) => `${t.labels.vpc ?? '?'} ${t.labels.instance ?? '?'}`)
      .sort()
    assert.deepEqual(
      agents,
      nodes.map((n) => `${n.name} ${n.underlayIp}:${AGENT_STATUS_PORT}`),
    )
    assert.equal(targets.filter((t) => t.labels.job === 'vpcmesh-controller').length, 1)
  })

  test('every PromQL expression of every dashboard panel returns data', async () => {
    // Traffic: pings between every pair of hosts; garbage to agent A's UDP port so drops exist
    // (the agent dashboard is evaluated for vpc="a").
    for (const from of nodes) for (const to of nodes) if (from !== to) await ping(from, to)
    const junk =
      'const s=require("dgram").createSocket("udp4");let n=50;' +
      'const f=()=>{if(n--<=0)return s.close();' +
      's.send(require("crypto").randomBytes(1+(n*7)%150),+process.argv[2],process.argv[1],f)};f()'
    for (const n of nodes) await tb.exec(tb.wanNs, [process.execPath, '-e', junk, n.underlayIp, String(AGENT_UDP_PORT)])

    const queries: DeployQuery[] = loadDashboards(ROOT).flatMap((d) => dashboardQueries(d.file, d.dashboard))
    assert.ok(queries.length >= 40, `only ${queries.length} queries found`)
    const failing = new Map<string, string>()
    for (const q of queries) failing.set(q.where, 'not evaluated')
    // Counters need two scrapes inside the 15 s window before rate() answers: poll, with a deadline.
    const deadline = Date.now() + 60_000
    while (failing.size > 0 && Date.now() < deadline) {
      for (const q of queries.filter((x) => failing.has(x.where))) {
        if (q.labelValues !== undefined) {
          const a = await api<string[]>(`/api/v1/label/${q.labelValues.label}/values`, {
            'match[]': q.labelValues.match,
          })
          if (a.status === 'success' && ['a', 'b', 'c'].every((v) => a.data.includes(v))) failing.delete(q.where)
          else
            failing.set(
              q.where,
              `label_values(${q.labelValues.match}, ${q.labelValues.label}) = ${JSON.stringify(a.data ?? a.error)}`,
            )
          continue
        }
        const expr = substituteVariables(q.expr, VARIABLES)
        const a = await query(expr)
        if (nonEmpty(a)) failing.delete(q.where)
        else
          failing.set(
            q.where,
            `${expr} → ${a.status === 'error' ? `error ${a.errorType ?? ''}: ${a.error ?? ''}` : 'empty result'}`,
          )
      }
      if (failing.size > 0) await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    assert.deepEqual(
      [...failing].map(([w, why]) => `${w}: ${why}`),
      [],
    )
  })

  test('promtool check rules passes, and every rule expression evaluates without error', async () => {
    const out = execFileSync('promtool', ['check', 'rules', join(ROOT, RULES_FILE)], { encoding: 'utf8' })
    assert.match(out, /SUCCESS/)
    for (const q of ruleQueries('vpcmesh.rules.yml', loadRules(ROOT))) {
      const a = await query(q.expr)
      assert.equal(a.status, 'success', `${q.where}: ${q.expr}: ${a.error ?? ''}`)
    }
    // Prometheus itself evaluates them (loaded from the test copy) without error.
    const rules = await pollUntil(
      'every rule evaluated once',
      async () => {
        const a = await api<{ groups: Array<{ rules: RuleState[] }> }>('/api/v1/rules')
        const all = a.data.groups.flatMap((g) => g.rules)
        return all.length === 10 && all.every((r) => r.health !== 'unknown') ? all : false
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError ?? r.health}`),
      [],
    )
  })

  test('stopping agent C fires VpcmeshPeerDown on A and B for peer c (and VpcmeshAgentDown for c)', async () => {
    const firing = async (): Promise<Alert[]> =>
      (await api<{ alerts: Alert[] }>('/api/v1/alerts')).data.alerts.filter((x) => x.state === 'firing')
    await pollUntil(
      'no peer-down alert before the agent stops',
      async () => !(await firing()).some((x) => x.labels.alertname === 'VpcmeshPeerDown'),
      { timeoutMs: 30_000, intervalMs: 500 },
    )
    await mesh.stopAgent('c')
    const alerts = await pollUntil(
      'VpcmeshPeerDown firing for peer c on a and b',
      async () => {
        const f = await firing()
        const down = f
          .filter((x) => x.labels.alertname === 'VpcmeshPeerDown' && x.labels.peer === 'c')
          .map((x) => x.labels.vpc)
          .sort()
        return down.join(',') === 'a,b' &&
          f.some((x) => x.labels.alertname === 'VpcmeshAgentDown' && x.labels.vpc === 'c')
          ? f
          : false
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    )
    assert.ok(alerts.every((x) => x.labels.severity !== undefined))
    const series = await query('ALERTS{alertname="VpcmeshPeerDown", alertstate="firing", peer="c"}')
    assert.ok(nonEmpty(series), 'ALERTS has the firing peer-down series')
  })
})
