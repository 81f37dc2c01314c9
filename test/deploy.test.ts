// deploy/ ↔ the code. The systemd units, the Kubernetes manifests and the Dockerfile are
// checked against what the programs really accept, so a renamed flag or variable fails here
// instead of on an operator's machine:
// - every YAML file under deploy/ parses (all documents);
// - every `vpcmesh` command line (ExecStart/ExecStopPost with each documented value of their
//   variables, container command+args, exec probes and hooks, the image's ENTRYPOINT+CMD, and
//   the shell blocks of docs/operations.md, security.md, troubleshooting.md, upgrade.md,
//   api.md and the README) names a real command and only flags it accepts. Commands and flags
//   come from the `--help` output of bin/vpcmesh; a daemon that is not built falls back to its
//   *_USAGE text in the sources;
// - every environment variable set for a program is one it reads (found by running the
//   config parsers of the controller and the agent with a recording environment), or one
//   that systemd or Kubernetes expands into its command line;
// - units have the keys the design requires; manifests have the fields it requires; there is
//   one image, and the Dockerfile builds the /opt/vpcmesh layout everything runs.
// Parsers live in ./lib/deploy-*.ts; the self-checks prove the checkers reject bad input.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  checkArgs,
  daemonEnv,
  daemonUsageFromSource,
  docCommands,
  headingSlug,
  launcherEntries,
  loadCliSpec,
  parseHelpFlags,
  parserOptionsFromSource,
  runCli,
  type CliSpec,
} from './lib/deploy-cli.js'
import {
  aptPackages,
  argvOf,
  containerCommands,
  containersOf,
  execForm,
  flagValue,
  k8sVarRefs,
  loadYaml,
  parseDockerfile,
  portOf,
  programOfContainer,
  substitute,
  type ContainerRef,
  type K8sObject,
} from './lib/deploy-manifests.js'
import {
  environmentAssignments,
  execVariables,
  parseEnvFile,
  parseUnit,
  splitExec,
  value,
  values,
  type Unit,
} from './lib/deploy-systemd.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (rel: string): string => readFileSync(join(ROOT, rel), 'utf8')
const list = (problems: string[]): string => `\n  ${problems.join('\n  ')}\n`

/** The install-path convention of docs/operations.md: the repository built at /opt/vpcmesh. */
const INSTALL = '/opt/vpcmesh'
/** The launcher inside an install; it is bin/vpcmesh of the repository. */
const BIN = `${INSTALL}/bin/vpcmesh`
/** Docs whose shell blocks are checked against the CLI. */
const DOCS = [
  'docs/operations.md',
  'docs/security.md',
  'docs/troubleshooting.md',
  'docs/upgrade.md',
  'docs/api.md',
  'README.md',
]

// ─── what the programs accept ────────────────────────────────────────────────────────────

/** Help text of a daemon from its sources, for when its compiled entry cannot run. */
const usageFallback = (daemon: string): string | undefined => daemonUsageFromSource(ROOT, daemon)

let cliSpec: CliSpec | undefined
function cli(): CliSpec {
  cliSpec ??= loadCliSpec(ROOT, usageFallback)
  return cliSpec
}

/** Programs other than vpcmesh in our manifests, and the variables they read (their manuals). */
const OTHER_READERS: Record<string, { reads: string[]; why: string }> = {
  'redis-server': {
    reads: ['REDISCLI_AUTH'],
    why: 'redis-cli (the readiness probe) reads REDISCLI_AUTH; redis-server reads none',
  },
}

/** The environment variables a daemon reads (see envReadBy in ./lib/deploy-cli.ts). */
const envReadBy = async (daemon: 'controller' | 'agent'): Promise<{ names: Set<string>; source: string }> =>
  await daemonEnv(ROOT, daemon)

// ─── deploy/ as files ────────────────────────────────────────────────────────────────────

const yamlDocs = loadYaml(ROOT, 'deploy')
const k8sObjects = yamlDocs
  .filter((d) => d.file.startsWith('deploy/k8s/') && basename(d.file) !== 'kustomization.yaml')
  .map((d) => d.value as K8sObject)
  .filter((o) => o !== null && o !== undefined)
const containers = containersOf(k8sObjects)
const systemdDir = join(ROOT, 'deploy/systemd')
const unitNames = readdirSync(systemdDir)
  .filter((f) => f.endsWith('.service'))
  .sort()
const units = new Map(unitNames.map((f) => [f, parseUnit(readFileSync(join(systemdDir, f), 'utf8'))]))
const dockerfile = parseDockerfile(read('deploy/docker/Dockerfile'))

/** The deploy/systemd defaults file a unit's `EnvironmentFile=-/etc/default/NAME` installs from. */
function defaultsOf(unit: Unit): { file: string; text: string } | undefined {
  const path = value(unit, 'Service', 'EnvironmentFile')?.replace(/^-/, '')
  if (path === undefined) return undefined
  const file = `deploy/systemd/${basename(path)}.defaults`
  return existsSync(join(ROOT, file)) ? { file, text: read(file) } : { file, text: '' }
}

/** The daemon a unit runs: the word after the launcher in ExecStart. */
function daemonOf(unit: Unit): string {
  return value(unit, 'Service', 'ExecStart')?.split(/\s+/)[1] ?? ''
}

const programOf = (c: ContainerRef): string => programOfContainer(c, BIN)

function findContainer(kind: string, program: string): ContainerRef {
  const c = containers.find((x) => x.object.kind === kind && programOf(x) === program)
  assert.ok(c !== undefined, `no ${kind} container running ${program} in deploy/k8s`)
  return c
}

function service(name: string): K8sObject | undefined {
  return k8sObjects.find((o) => o.kind === 'Service' && o.metadata?.name === name)
}

// ─── YAML ────────────────────────────────────────────────────────────────────────────────

test('deploy: every YAML file parses, every document of it', () => {
  assert.ok(yamlDocs.length >= 8, `found only ${yamlDocs.length} YAML documents under deploy/`)
  const bad = yamlDocs.filter((d) => d.errors.length > 0).map((d) => `${d.file}#${d.index}: ${d.errors.join('; ')}`)
  assert.deepEqual(bad, [], list(bad))
})

// ─── the CLI itself, and the checkers ────────────────────────────────────────────────────

test("cli: the daemons' help texts list exactly the flags their parsers accept", (t) => {
  for (const daemon of ['agent', 'controller'] as const) {
    const spec = cli().commands.find((c) => c.path.length === 1 && c.path[0] === daemon)
    assert.ok(spec !== undefined, `vpcmesh --help does not name ${daemon}`)
    if (spec.source !== 'help')
      t.diagnostic(`vpcmesh ${daemon} --help could not run; flags read from apps/${daemon}/src/config.ts`)
    const help = [...spec.flags.keys()].filter((f) => f !== '-h' && f !== '--help').sort()
    const parser = parserOptionsFromSource(join(ROOT, `apps/${daemon}/src/config.ts`))
      .filter((f) => f !== '--help')
      .sort()
    assert.ok(parser.length > 3, `could not read the parseArgs options of apps/${daemon}/src/config.ts`)
    assert.deepEqual(help, parser, `vpcmesh ${daemon}: --help and the parser disagree`)
    const fromSource = [...parseHelpFlags(usageFallback(daemon) ?? '').keys()]
      .filter((f) => f !== '-h' && f !== '--help')
      .sort()
    assert.deepEqual(fromSource, help, `the ${daemon.toUpperCase()}_USAGE fallback reads differently from --help`)
  }
})

test('self-check: the flag checker rejects made-up flags, missing values, unknown commands and stray arguments', () => {
  const c = cli()
  assert.deepEqual(checkArgs(c, ['agent', '--controller', 'http://c:7700', '--cleanup']), [])
  assert.deepEqual(checkArgs(c, ['controller', '--listen=0.0.0.0:7700']), [])
  assert.deepEqual(
    checkArgs(c, ['vpc', 'add', 'x', '--cidr', '10.0.0.0/16', '--endpoint', 'h:1', '--no-masquerade']),
    [],
  )
  assert.match(checkArgs(c, ['agent', '--made-up-flag', 'x']).join(), /has no flag --made-up-flag/)
  assert.match(checkArgs(c, ['controller', '--data-dir']).join(), /--data-dir needs a value/)
  assert.match(checkArgs(c, ['agent', '--cleanup=yes']).join(), /--cleanup takes no value/)
  assert.match(checkArgs(c, ['agnet', '--cleanup']).join(), /unknown command "agnet"/)
  assert.match(checkArgs(c, ['agent', 'now']).join(), /positional argument/)
  assert.match(checkArgs(c, ['vpc', 'add', 'x', '--cidrs', '10.0.0.0/16']).join(), /has no flag --cidrs/)
  assert.equal(parseHelpFlags('  --a X   text\n  -h, --help   text\n  --b   text').get('--a')?.takesValue, true)
})

test('self-check: Exec lines split like systemd, and an unset variable is an error', () => {
  const env = new Map([
    ['ARGS', '--mtu 1380  --tun t0'],
    ['D', '/x y'],
  ])
  assert.deepEqual(splitExec('-/bin/p agent $ARGS "--state-dir=${D}"', env), {
    prefixes: '-',
    words: ['/bin/p', 'agent', '--mtu', '1380', '--tun', 't0', '--state-dir=/x y'],
  })
  assert.throws(() => splitExec('/bin/p $NOPE', env), /NOPE is not set/)
  assert.deepEqual(parseUnit('Key=v\n[S]\nnonsense').problems.length, 2)
  assert.deepEqual(
    parseEnvFile('#A=1\nB="x y"\n# prose\nbad line').assignments.map((a) => [a.name, a.value, a.commented]),
    [
      ['A', '1', true],
      ['B', 'x y', false],
    ],
  )
})

// ─── systemd ─────────────────────────────────────────────────────────────────────────────

test('systemd: units parse as INI with [Unit], [Service], [Install] and the required keys', () => {
  assert.deepEqual(unitNames, ['vpcmesh-agent.service', 'vpcmesh-controller.service'])
  const problems: string[] = []
  for (const [name, unit] of units) {
    problems.push(...unit.problems.map((p) => `${name}: ${p}`))
    for (const s of ['Unit', 'Service', 'Install'])
      if (!unit.entries.some((e) => e.section === s)) problems.push(`${name}: no [${s}] section`)
    const want: Array<[string, string, RegExp]> = [
      ['Service', 'Type', /^simple$/],
      ['Service', 'Restart', /^on-failure$/],
      ['Service', 'StateDirectory', /^[a-z-]+$/],
      ['Service', 'NoNewPrivileges', /^yes$/],
      ['Service', 'ProtectSystem', /^strict$/],
      ['Service', 'ProtectHome', /^yes$/],
      ['Install', 'WantedBy', /^multi-user\.target$/],
    ]
    for (const [s, k, re] of want)
      if (!re.test(value(unit, s, k) ?? ''))
        problems.push(`${name}: [${s}] ${k}=${value(unit, s, k) ?? '(unset)'} should match ${re}`)
    const exec = values(unit, 'Service', 'ExecStart')
    if (exec.length !== 1 || !(exec[0] as string).startsWith(`${BIN} `))
      problems.push(`${name}: ExecStart must run ${BIN} once, got ${JSON.stringify(exec)}`)
    const defaults = defaultsOf(unit)
    if (defaults === undefined || defaults.text === '')
      problems.push(
        `${name}: EnvironmentFile= should name a file installed from deploy/systemd/*.defaults (${defaults?.file ?? 'none'})`,
      )
  }
  assert.deepEqual(problems, [], list(problems))
})

test('systemd: the agent unit cleans up after itself, reaches only the TUN device and holds CAP_NET_ADMIN', () => {
  const unit = units.get('vpcmesh-agent.service') as Unit
  const env = environmentAssignments(unit)
  const stopPost = values(unit, 'Service', 'ExecStopPost').map((v) => splitExec(v, env).words)
  assert.ok(
    stopPost.some((w) => w[0] === BIN && w[1] === 'agent' && w.includes('--cleanup')),
    `ExecStopPost must run ${BIN} agent --cleanup`,
  )
  assert.deepEqual(values(unit, 'Service', 'DeviceAllow'), ['/dev/net/tun rw'])
  assert.equal(value(unit, 'Service', 'DevicePolicy'), 'closed')
  const caps = (value(unit, 'Service', 'CapabilityBoundingSet') ?? '').split(/\s+/)
  assert.ok(
    caps.includes('CAP_NET_ADMIN') && caps.every((c) => c === 'CAP_NET_ADMIN' || c === 'CAP_NET_RAW'),
    `CapabilityBoundingSet=${caps.join(' ')}`,
  )
  if (value(unit, 'Service', 'ProtectKernelTunables') === 'yes') {
    assert.ok(
      values(unit, 'Service', 'ReadWritePaths').join(' ').split(/\s+/).includes('/proc/sys/net'),
      'the agent writes net.ipv4.ip_forward: ReadWritePaths=/proc/sys/net',
    )
  }
  assert.equal(value(unit, 'Service', 'StateDirectoryMode'), '0700')
  const stateDir = `/var/lib/${value(unit, 'Service', 'StateDirectory') ?? ''}`
  assert.equal(env.get('VPCMESH_STATE_DIR'), stateDir, 'VPCMESH_STATE_DIR must be the StateDirectory')
  const help = runCli(ROOT, ['agent', '--help']).stdout || (usageFallback('agent') ?? '')
  assert.match(
    help,
    new RegExp(`--state-dir DIR[^\\n]*default ${stateDir}\\)`),
    "the unit's state directory should be the agent's default",
  )
})

test('systemd: the controller unit runs unprivileged, keeps the embedded Redis in its StateDirectory and the token in a credential', () => {
  const unit = units.get('vpcmesh-controller.service') as Unit
  const env = environmentAssignments(unit)
  assert.equal(value(unit, 'Service', 'DynamicUser'), 'yes')
  assert.equal(value(unit, 'Service', 'CapabilityBoundingSet'), '')
  assert.equal(env.get('VPCMESH_DATA_DIR'), `/var/lib/${value(unit, 'Service', 'StateDirectory') ?? ''}`)
  const help = runCli(ROOT, ['controller', '--help']).stdout || (usageFallback('controller') ?? '')
  assert.match(
    help,
    new RegExp(`VPCMESH_DATA_DIR[^\\n]*default ${env.get('VPCMESH_DATA_DIR') ?? '?'}\\)`),
    "VPCMESH_DATA_DIR should be the controller's default",
  )
  const cred = /^([\w.-]+):(\/\S+)$/.exec(value(unit, 'Service', 'LoadCredential') ?? '')
  assert.ok(cred !== null, 'LoadCredential=NAME:/path of the admin token')
  assert.equal(
    env.get('VPCMESH_ADMIN_TOKEN_FILE'),
    `%d/${cred[1] as string}`,
    'VPCMESH_ADMIN_TOKEN_FILE must name the loaded credential',
  )
  assert.ok(!env.has('VPCMESH_ADMIN_TOKEN'), 'the token itself must not be in the unit')
})

test('systemd: every vpcmesh command line names a real command and only flags it accepts, for each documented value', () => {
  const problems: string[] = []
  let checked = 0
  for (const [name, unit] of units) {
    const defaults = parseEnvFile(defaultsOf(unit)?.text ?? '')
    const base = environmentAssignments(unit)
    for (const a of defaults.assignments) if (!a.commented) base.set(a.name, a.value)
    for (const key of ['ExecStartPre', 'ExecStart', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost']) {
      for (const line of values(unit, 'Service', key)) {
        const variants = [
          base,
          ...execVariables(line).flatMap((v) =>
            defaults.assignments
              .filter((a) => a.name === v && a.commented)
              .map((a) => new Map([...base, [v, a.value]])),
          ),
        ]
        for (const env of variants) {
          try {
            const { words } = splitExec(line, env)
            if (words[0] !== BIN) {
              problems.push(`${name} ${key}: runs ${words[0] ?? ''}, not ${BIN}`)
              continue
            }
            problems.push(...checkArgs(cli(), words.slice(1)).map((p) => `${name} ${key}: ${p}`))
            checked++
          } catch (e) {
            problems.push(`${name} ${key}: ${(e as Error).message}`)
          }
        }
      }
    }
  }
  assert.ok(checked >= 4, `only ${checked} command lines checked`)
  assert.deepEqual(problems, [], list(problems))
})

test('systemd: every environment variable is read by its daemon or expanded by systemd into the command line', async () => {
  const problems: string[] = []
  for (const [name, unit] of units) {
    const daemon = daemonOf(unit) as 'controller' | 'agent'
    const { names: reads } = await envReadBy(daemon)
    const execVars = new Set(
      unit.entries.filter((e) => e.key.startsWith('Exec')).flatMap((e) => execVariables(e.value)),
    )
    const defaults = defaultsOf(unit)
    const set = [...environmentAssignments(unit).keys()]
      .map((n) => ({ n, where: name }))
      .concat(
        parseEnvFile(defaults?.text ?? '').assignments.map((a) => ({
          n: a.name,
          where: `${defaults?.file ?? ''}:${a.line}`,
        })),
      )
    for (const { n, where } of set)
      if (!reads.has(n) && !execVars.has(n))
        problems.push(`${where}: ${n} is not read by vpcmesh ${daemon} nor used in an Exec line`)
    for (const v of execVars)
      if (!environmentAssignments(unit).has(v))
        problems.push(`${name}: $${v} is used in an Exec line but has no Environment= default`)
    problems.push(...parseEnvFile(defaults?.text ?? '').problems.map((p) => `${defaults?.file ?? ''}: ${p}`))
  }
  assert.deepEqual(problems, [], list(problems))
})

test('self-check: the environment check knows what each daemon reads', async (t) => {
  const agent = await envReadBy('agent')
  const controller = await envReadBy('controller')
  t.diagnostic(`variables read: agent via ${agent.source}, controller via ${controller.source}`)
  for (const n of ['VPCMESH_CONTROLLER', 'VPCMESH_JOIN_TOKEN', 'VPCMESH_STATE_DIR', 'VPCMESH_LOG_LEVEL'])
    assert.ok(agent.names.has(n), n)
  for (const n of ['REDIS_URL', 'VPCMESH_ADMIN_TOKEN_FILE', 'VPCMESH_DATA_DIR', 'VPCMESH_LISTEN'])
    assert.ok(controller.names.has(n), n)
  assert.ok(!agent.names.has('VPCMESH_NOT_A_VARIABLE') && !agent.names.has('REDIS_URL'))
})

test('systemd: systemd-analyze verify accepts the units', () => {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' })
  assert.ok(
    probe.error === undefined && existsSync('/usr/lib/systemd/system/sysinit.target'),
    'systemd-analyze is missing: scripts/install-deps.sh installs the systemd package',
  )
  const root = mkdtempSync(join(tmpdir(), 'vpcmesh-units-'))
  try {
    mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true })
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true })
    mkdirSync(join(root, `${INSTALL}/bin`), { recursive: true })
    writeFileSync(join(root, BIN), '#!/bin/sh\n')
    chmodSync(join(root, BIN), 0o755)
    mkdirSync(join(root, 'etc/systemd/system'), { recursive: true })
    for (const f of unitNames) cpSync(join(systemdDir, f), join(root, 'etc/systemd/system', f))
    const r = spawnSync(
      'systemd-analyze',
      ['verify', `--root=${root}`, ...unitNames.map((f) => `/etc/systemd/system/${f}`)],
      { encoding: 'utf8', timeout: 60_000 },
    )
    assert.equal(`${r.stdout}${r.stderr}`.trim(), '', 'systemd-analyze verify printed warnings')
    assert.equal(r.status, 0)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

// ─── Kubernetes ──────────────────────────────────────────────────────────────────────────

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'CustomResourceDefinition',
])

test('k8s: every object has apiVersion, kind, metadata.name and the vpcmesh namespace', () => {
  const ns = k8sObjects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name)
  assert.deepEqual(ns, ['vpcmesh'])
  const problems: string[] = []
  for (const o of k8sObjects) {
    const id = `${String(o.kind)}/${String(o.metadata?.name)}`
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string')
      problems.push(`${id}: apiVersion, kind and metadata.name are required`)
    if (!CLUSTER_SCOPED.has(String(o.kind)) && o.metadata?.namespace !== 'vpcmesh')
      problems.push(`${id}: metadata.namespace should be vpcmesh`)
    const sel = (o.spec?.selector as { matchLabels?: Record<string, string> } | undefined)?.matchLabels
    const labels = (o.spec?.template as { metadata?: { labels?: Record<string, string> } } | undefined)?.metadata
      ?.labels
    if (sel !== undefined && labels !== undefined && !Object.entries(sel).every(([k, v]) => labels[k] === v))
      problems.push(`${id}: selector does not match the pod template labels`)
  }
  assert.deepEqual(problems, [], list(problems))
})

test('k8s: kustomization.yaml lists every manifest, and kubectl kustomize builds it', () => {
  const k = yamlDocs.find((d) => d.file === 'deploy/k8s/kustomization.yaml')?.value as
    | { resources?: string[]; namespace?: string }
    | undefined
  assert.ok(k !== undefined, 'deploy/k8s/kustomization.yaml is missing')
  assert.equal(k.namespace, 'vpcmesh')
  const files = readdirSync(join(ROOT, 'deploy/k8s'))
    .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')
    .sort()
  assert.deepEqual([...(k.resources ?? [])].sort(), files)
  // kubectl is not a Debian package; where the machine has it (our CI image does), the
  // kustomization must also build.
  const r = spawnSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s')], { encoding: 'utf8', timeout: 60_000 })
  if (r.error === undefined) {
    assert.equal(r.status, 0, r.stderr)
    assert.equal([...r.stdout.matchAll(/^kind: /gm)].length, k8sObjects.length)
  }
})

test('k8s: containers have an image, a command, resources and a security context; one image everywhere', () => {
  assert.ok(containers.length >= 3, `found ${containers.length} containers`)
  const images = new Set(containers.map((c) => c.container.image))
  assert.equal(images.size, 1, `more than one image: ${[...images].join(', ')}`)
  const problems: string[] = []
  for (const c of containers) {
    const k = c.container
    if (!/^[a-z0-9.-]+(?:\/[a-z0-9._-]+)+:[\w.-]+$/.test(String(k.image)) || String(k.image).endsWith(':latest'))
      problems.push(`${c.where}: image ${String(k.image)} should be registry/name:version`)
    if (!Array.isArray(k.command) || k.command.length === 0) problems.push(`${c.where}: no command`)
    if (
      k.resources?.requests?.cpu === undefined ||
      k.resources?.requests?.memory === undefined ||
      k.resources?.limits?.memory === undefined
    )
      problems.push(`${c.where}: resources need cpu and memory requests and a memory limit`)
    if (k.securityContext === undefined) problems.push(`${c.where}: no securityContext`)
    if (c.podSpec.automountServiceAccountToken !== false)
      problems.push(`${c.where}: nothing here needs the Kubernetes API; set automountServiceAccountToken: false`)
    if (k.readinessProbe === undefined || k.livenessProbe === undefined)
      problems.push(`${c.where}: readiness and liveness probes are required`)
  }
  assert.deepEqual(problems, [], list(problems))
})

test('k8s: the controller Deployment: 2 replicas, /readyz and /healthz on its listen port, Redis through its Service, token file from a Secret', () => {
  const c = findContainer('Deployment', 'controller')
  assert.equal((c.object.spec as { replicas?: number }).replicas, 2)
  const listen = flagValue(argvOf(c), '--listen') ?? ''
  assert.match(listen, /^0\.0\.0\.0:\d+$/, 'the controller must listen on 0.0.0.0 in a pod')
  const port = Number(listen.split(':')[1])
  assert.equal(c.container.readinessProbe?.httpGet?.path, '/readyz')
  assert.equal(c.container.livenessProbe?.httpGet?.path, '/healthz')
  assert.equal(portOf(c, c.container.readinessProbe?.httpGet?.port), port)
  assert.equal(portOf(c, c.container.livenessProbe?.httpGet?.port), port)
  const env = new Map((c.container.env as Array<{ name: string; value?: string }>).map((e) => [e.name, e]))
  const url = new URL((env.get('REDIS_URL')?.value ?? '').replace(/\$\([A-Z_]+\)/g, 'x'))
  const redis = service(url.hostname)
  assert.ok(redis !== undefined, `REDIS_URL names ${url.hostname}, which is no Service in deploy/k8s`)
  assert.ok(
    ((redis.spec?.ports ?? []) as Array<{ port: number }>).some((p) => p.port === Number(url.port)),
    'REDIS_URL port is not a port of the Redis Service',
  )
  const tokenFile = env.get('VPCMESH_ADMIN_TOKEN_FILE')?.value ?? flagValue(argvOf(c), '--admin-token-file') ?? ''
  const mount = (c.container.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) =>
    tokenFile.startsWith(`${m.mountPath}/`),
  )
  assert.ok(mount !== undefined, `the admin token file ${tokenFile} is on no volume`)
  const volume = (
    c.podSpec.volumes as Array<{ name: string; secret?: { secretName: string; items?: Array<{ path: string }> } }>
  ).find((v) => v.name === mount.name)
  assert.ok(volume?.secret !== undefined, 'the admin token volume must be a Secret')
  assert.ok(
    volume.secret.items?.some((i) => `${mount.mountPath}/${i.path}` === tokenFile),
    'the Secret volume does not hold the token file',
  )
  assert.ok(!env.has('VPCMESH_ADMIN_TOKEN'), 'the token itself must not be in the environment')
})

test('k8s: the Redis StatefulSet keeps AOF data on a PersistentVolumeClaim behind its Service', () => {
  const c = findContainer('StatefulSet', 'redis-server')
  const argv = argvOf(c)
  assert.equal(flagValue(argv, '--appendonly'), 'yes')
  const claims = (
    (c.object.spec as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> }).volumeClaimTemplates ?? []
  ).map((v) => v.metadata.name)
  const dataMount = (c.container.volumeMounts as Array<{ name: string; mountPath: string }>).find((m) =>
    claims.includes(m.name),
  )
  assert.ok(dataMount !== undefined, 'no volumeClaimTemplate is mounted')
  assert.equal(flagValue(argv, '--dir'), dataMount.mountPath, '--dir must be the PVC mount')
  const svc = service(String((c.object.spec as { serviceName?: string }).serviceName))
  assert.ok(svc !== undefined, 'serviceName names no Service')
  assert.ok(
    ((svc.spec?.ports ?? []) as Array<{ targetPort: unknown }>).every(
      (p) => portOf(c, p.targetPort) === Number(flagValue(argv, '--port') ?? 6379),
    ),
  )
  assert.ok(flagValue(argv, '--requirepass') !== undefined, 'Redis holds the registry: require a password')
})

test('k8s: agent DaemonSet: host network, gateway nodes, NET_ADMIN, /dev/net/tun, node state, token Secret, cleanup', () => {
  const c = findContainer('DaemonSet', 'agent')
  const pod = c.podSpec as Record<string, any>
  assert.equal(pod.hostNetwork, true)
  assert.equal(
    pod.dnsPolicy,
    'ClusterFirstWithHostNet',
    'with hostNetwork the agent needs this policy to resolve Service names',
  )
  assert.deepEqual(pod.nodeSelector, { 'vpcmesh.io/gateway': 'true' })
  assert.ok(c.container.securityContext?.capabilities?.add?.includes('NET_ADMIN'), 'NET_ADMIN is required')
  const mounts = new Map(
    (c.container.volumeMounts as Array<{ name: string; mountPath: string }>).map((m) => [m.mountPath, m.name]),
  )
  const hostPath = (path: string): { path: string; type?: string } | undefined =>
    (pod.volumes as Array<{ name: string; hostPath?: { path: string; type?: string } }>).find(
      (v) => v.name === mounts.get(path),
    )?.hostPath
  assert.deepEqual(hostPath('/dev/net/tun'), { path: '/dev/net/tun', type: 'CharDevice' })
  const env = new Map(
    (c.container.env as Array<{ name: string; value?: string; valueFrom?: any }>).map((e) => [e.name, e]),
  )
  const stateDir = env.get('VPCMESH_STATE_DIR')?.value ?? ''
  assert.equal(hostPath(stateDir)?.path, '/var/lib/vpcmesh', "VPCMESH_STATE_DIR must be the node's /var/lib/vpcmesh")
  for (const u of (env.get('VPCMESH_CONTROLLER')?.value ?? '').split(','))
    assert.match(u, /^https?:\/\/[^\s/]+\/?$/, 'the agent takes http(s)://host:port URLs')
  const inCluster = /^http:\/\/([a-z0-9-]+)\.vpcmesh\.svc:(\d+)$/.exec(env.get('VPCMESH_CONTROLLER')?.value ?? '')
  if (inCluster !== null)
    assert.ok(
      (service(inCluster[1] as string)?.spec?.ports as Array<{ port: number }> | undefined)?.some(
        (p) => p.port === Number(inCluster[2]),
      ),
      'VPCMESH_CONTROLLER names a Service port that does not exist',
    )
  assert.ok(env.get('VPCMESH_JOIN_TOKEN')?.valueFrom?.secretKeyRef !== undefined, 'the join token comes from a Secret')
  const preStop = c.container.lifecycle?.preStop?.exec?.command as string[] | undefined
  assert.deepEqual(preStop?.slice(0, 3), [BIN, 'agent', '--cleanup'])
  const argv = argvOf(c)
  const udp = (c.container.ports as Array<{ containerPort: number; protocol?: string }>)
    .filter((p) => p.protocol === 'UDP')
    .map((p) => p.containerPort)
  assert.deepEqual(
    udp,
    [Number(flagValue(argv, '--listen-port') ?? 51820)],
    "the UDP port must be the agent's --listen-port",
  )
  const statusPort = Number((flagValue(argv, '--status-listen') ?? '127.0.0.1:7701').split(':').at(-1))
  assert.equal(portOf(c, c.container.readinessProbe?.httpGet?.port), statusPort, 'the probe must reach --status-listen')
  assert.equal(c.container.readinessProbe?.httpGet?.path, '/healthz')
})

test('k8s: Services select pods and target ports those pods declare', () => {
  const problems: string[] = []
  for (const svc of k8sObjects.filter((o) => o.kind === 'Service')) {
    const sel = svc.spec?.selector as Record<string, string>
    const pods = containers.filter((c) =>
      Object.entries(sel).every(([k, v]) => (c.object.spec as any)?.template?.metadata?.labels?.[k] === v),
    )
    if (pods.length === 0) problems.push(`Service/${String(svc.metadata?.name)} selects no pods`)
    for (const p of (svc.spec?.ports ?? []) as Array<{ targetPort: unknown }>) {
      if (!pods.some((c) => portOf(c, p.targetPort) !== undefined))
        problems.push(
          `Service/${String(svc.metadata?.name)}: no selected container declares port ${String(p.targetPort)}`,
        )
    }
  }
  assert.deepEqual(problems, [], list(problems))
})

test('k8s: every vpcmesh command line (command+args, exec probes, hooks) is accepted by the CLI', () => {
  const problems: string[] = []
  let checked = 0
  for (const c of containers) {
    for (const { what, argv } of containerCommands(c.container)) {
      if (basename(argv[0] ?? '') !== 'vpcmesh') continue
      if (argv[0] !== BIN) problems.push(`${c.where} ${what}: runs ${argv[0] ?? ''}, not ${BIN}`)
      problems.push(...checkArgs(cli(), argv.slice(1)).map((p) => `${c.where} ${what}: ${p}`))
      checked++
    }
  }
  assert.ok(checked >= 3, `only ${checked} vpcmesh command lines found`)
  assert.deepEqual(problems, [], list(problems))
})

test('k8s: every environment variable is read by its program or expanded by Kubernetes, and every $(VAR) is defined', async () => {
  const readers = new Map<string, Set<string>>([
    ['controller', (await envReadBy('controller')).names],
    ['agent', (await envReadBy('agent')).names],
    ...Object.entries(OTHER_READERS).map(([p, r]) => [p, new Set(r.reads)] as [string, Set<string>]),
  ])
  const problems: string[] = []
  for (const c of containers) {
    const env = (c.container.env ?? []) as Array<{ name: string; value?: string }>
    const reads = readers.get(programOf(c))
    if (reads === undefined) {
      problems.push(`${c.where}: unknown program ${programOf(c)}`)
      continue
    }
    const texts = [...argvOf(c), ...env.map((e) => e.value ?? '')]
    const expanded = new Set(texts.flatMap(k8sVarRefs))
    for (const e of env)
      if (!reads.has(e.name) && !expanded.has(e.name))
        problems.push(`${c.where}: ${e.name} is not read by ${programOf(c)} nor expanded as $(${e.name})`)
    env.forEach((e, i) => {
      for (const r of k8sVarRefs(e.value ?? ''))
        if (!env.slice(0, i).some((d) => d.name === r))
          problems.push(`${c.where}: ${e.name} uses $(${r}) before it is defined`)
    })
    for (const r of argvOf(c).flatMap(k8sVarRefs))
      if (!env.some((d) => d.name === r)) problems.push(`${c.where}: $(${r}) in the command line is not defined`)
  }
  assert.deepEqual(problems, [], list(problems))
})

test('k8s: every Secret the manifests use is one docs/operations.md tells how to create', () => {
  const used = new Set<string>()
  for (const c of containers) {
    for (const e of (c.container.env ?? []) as Array<{
      valueFrom?: { secretKeyRef?: { name: string; key: string } }
    }>) {
      const ref = e.valueFrom?.secretKeyRef
      if (ref !== undefined) used.add(`${ref.name} ${ref.key}`)
    }
    for (const v of (c.podSpec.volumes ?? []) as Array<{
      secret?: { secretName: string; items?: Array<{ key: string }> }
    }>) {
      for (const i of v.secret?.items ?? []) used.add(`${v.secret?.secretName ?? ''} ${i.key}`)
    }
  }
  assert.ok(used.size >= 3)
  const ops = read('docs/operations.md')
  const missing = [...used].filter((s) => {
    const [name, key] = s.split(' ') as [string, string]
    return !new RegExp(`create secret generic ${name} [^\\n]*--from-literal=${key}=`).test(ops)
  })
  assert.deepEqual(
    missing,
    [],
    `docs/operations.md should show \`kubectl -n vpcmesh create secret generic NAME --from-literal=KEY=…\` for:${list(missing)}`,
  )
})

// ─── Docker ──────────────────────────────────────────────────────────────────────────────

test("docker: the Dockerfile builds the /opt/vpcmesh layout that the units and manifests run, tagged as the manifests' image", () => {
  const args = new Map(
    dockerfile.filter((i) => i.op === 'ARG' && i.stage === -1).map((i) => i.args.split('=') as [string, string]),
  )
  const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => substitute(i.args, args).split(/\s+/)[0])
  assert.ok(froms.length >= 1 && froms.every((f) => f === 'node:20-bookworm-slim'), `base images: ${froms.join(', ')}`)
  const last = dockerfile.filter((i) => i.stage === froms.length - 1)
  const runs = dockerfile
    .filter((i) => i.op === 'RUN')
    .map((i) => i.args)
    .join('\n')
  const scripts = JSON.parse(read('package.json')) as { scripts: Record<string, string>; version: string }
  for (const step of ['npm ci', 'npm run build:native', 'npm run build']) {
    assert.ok(runs.includes(step), `the image must run ${step}`)
    const script = /^npm run (\S+)$/.exec(step)?.[1]
    if (script !== undefined) assert.ok(scripts.scripts[script] !== undefined, `package.json has no script ${script}`)
  }
  const build = dockerfile.filter((i) => i.stage === 0)
  assert.equal(build.find((i) => i.op === 'WORKDIR')?.args, INSTALL)
  assert.ok(
    build.some((i) => i.op === 'COPY' && i.args === '. .'),
    'the build stage copies the repository into the WORKDIR',
  )
  if (froms.length > 1)
    assert.ok(
      last.some((i) => i.op === 'COPY' && new RegExp(`^--from=\\S+ ${INSTALL} ${INSTALL}$`).test(i.args)),
      `the runtime stage copies ${INSTALL}`,
    )
  assert.deepEqual(execForm(last.find((i) => i.op === 'ENTRYPOINT')?.args ?? ''), [BIN])
  const cmd = execForm(last.find((i) => i.op === 'CMD')?.args ?? '[]') ?? []
  assert.deepEqual(checkArgs(cli(), cmd), [], "the image's default CMD is not a valid vpcmesh command line")
  assert.ok(existsSync(join(ROOT, BIN.slice(INSTALL.length + 1))), `${BIN} is not bin/vpcmesh of the repository`)
  for (const [daemon, entry] of launcherEntries(ROOT)) {
    const src = entry.replace(/\/dist\/src\//, '/src/').replace(/\.js$/, '.ts')
    assert.ok(
      existsSync(join(ROOT, src)),
      `bin/vpcmesh ${daemon} runs ${entry}, built from ${src}, which does not exist`,
    )
  }
  const tag = /docker build -f deploy\/docker\/Dockerfile -t (\S+) \./.exec(read('deploy/docker/Dockerfile'))?.[1]
  const image = String(containers[0]?.container.image)
  assert.equal(tag, image, 'the build command in the Dockerfile should tag the image the manifests use')
  assert.equal(image.split(':').at(-1), scripts.version, 'the image tag should be the version in package.json')
  assert.match(
    last
      .filter((i) => i.op === 'LABEL')
      .map((i) => i.args)
      .join(' '),
    new RegExp(`org\\.opencontainers\\.image\\.version="${scripts.version}"`),
  )
})

test('docker: the runtime image installs every program vpcmesh and the manifests run', () => {
  const last = Math.max(...dockerfile.map((i) => i.stage))
  const installed = new Set(
    dockerfile.filter((i) => i.op === 'RUN' && i.stage === last).flatMap((i) => aptPackages(i.args)),
  )
  /** Debian package of each program; `sh` and `grep` are Essential in every Debian image. */
  const PACKAGE: Record<string, string> = {
    ip: 'iproute2',
    arping: 'iputils-arping',
    nft: 'nftables',
    sysctl: 'procps',
    'redis-server': 'redis-server',
    'redis-cli': 'redis-server',
    sh: 'essential',
    grep: 'essential',
  }
  const programs = new Set<string>()
  const sources = ['libs/linuxnet/src', 'apps/agent/src']
    .flatMap((d) => readdirSync(join(ROOT, d), { recursive: true }).map((f) => join(d, String(f))))
    .filter((f) => f.endsWith('.ts') && !f.includes('testing'))
  for (const f of sources)
    for (const m of read(f).matchAll(/(?:run\(\s*|argv\s*=\s*)\[\s*'([a-z][a-z0-9-]*)'/g)) programs.add(m[1] as string)
  assert.ok(
    ['ip', 'nft', 'sysctl'].every((p) => programs.has(p)),
    `the scan of the agent's commands found only ${[...programs].join(', ')}`,
  )
  if (/'redis-server'/.test(read('apps/controller/src/state/embedded-redis.ts'))) programs.add('redis-server')
  for (const c of containers) {
    for (const { argv } of containerCommands(c.container)) {
      if (argv[0] === BIN) continue
      programs.add(basename(argv[0] ?? ''))
      if (argv[0] === 'sh' && argv[1] === '-c')
        for (const seg of (argv[2] ?? '').split(/[|;&]+/)) programs.add(seg.trim().split(/\s+/)[0] ?? '')
    }
  }
  const missing = [...programs].filter(
    (p) => PACKAGE[p] !== 'essential' && (PACKAGE[p] === undefined || !installed.has(PACKAGE[p] as string)),
  )
  assert.deepEqual(
    missing,
    [],
    `the runtime image lacks the package of:${list(missing.map((p) => `${p} (${PACKAGE[p] ?? 'unknown package'})`))}`,
  )
})

// ─── docs ────────────────────────────────────────────────────────────────────────────────

test('docs: every vpcmesh command in the shell blocks of the docs and the README is accepted by the CLI', () => {
  const problems: string[] = []
  let checked = 0
  for (const doc of DOCS) {
    if (!existsSync(join(ROOT, doc))) {
      problems.push(`${doc} is missing`)
      continue
    }
    for (const c of docCommands(read(doc))) {
      problems.push(...checkArgs(cli(), c.args).map((p) => `${doc}:${c.line}: ${p}`))
      checked++
    }
  }
  assert.ok(checked >= 10, `only ${checked} vpcmesh commands found in ${DOCS.join(', ')}`)
  assert.deepEqual(problems, [], list(problems))
})

test('docs: operations.md states the install path and names the deploy files', () => {
  const ops = read('docs/operations.md')
  assert.ok(ops.includes(INSTALL), `docs/operations.md should state the ${INSTALL} convention`)
  const files = [
    ...unitNames,
    ...readdirSync(systemdDir).filter((f) => f.endsWith('.defaults')),
    'deploy/k8s',
    'deploy/docker/Dockerfile',
  ]
  const missing = files.filter((f) => !ops.includes(f))
  assert.deepEqual(missing, [], `docs/operations.md does not mention:${list(missing)}`)
})

test('docs: links of operations, security, troubleshooting and upgrade point at existing files and headings', () => {
  const problems: string[] = []
  for (const doc of DOCS.slice(0, 4)) {
    for (const m of read(doc).matchAll(/\]\(([a-z-]+\.md)?(?:#([^)]+))?\)/g)) {
      const target = m[1] === undefined ? doc : `docs/${m[1]}`
      if (!existsSync(join(ROOT, target))) {
        problems.push(`${doc}: ${m[0]}: no ${target}`)
        continue
      }
      const anchors = [...read(target).matchAll(/^#{1,6} (.+)$/gm)].map((h) => headingSlug(h[1] as string))
      if (m[2] !== undefined && !anchors.includes(m[2]))
        problems.push(`${doc}: ${m[0]}: no heading #${m[2]} in ${target}`)
    }
  }
  assert.deepEqual(problems, [], list(problems))
})
