// Readers for deploy/ (for deploy.test.ts): every YAML document, the Kubernetes objects and
// their containers, and the Dockerfile's instructions.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join, relative } from 'node:path'
import { parseAllDocuments } from 'yaml'

/** One YAML document of a file under deploy/. */
export interface YamlDoc {
  /** Path relative to the repository root. */
  file: string
  /** 0-based index of the document in its file. */
  index: number
  /** The parsed value (null for an empty document). */
  value: unknown
  errors: string[]
}

/** Lists files below `dir` (recursively) whose names end with one of `exts`, sorted. */
export function listFiles(dir: string, exts: readonly string[]): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...listFiles(p, exts))
    else if (exts.some((e) => name.endsWith(e))) out.push(p)
  }
  return out
}

/** Parses every document of every `.yaml`/`.yml` file below `dir`. */
export function loadYaml(root: string, dir: string): YamlDoc[] {
  return listFiles(join(root, dir), ['.yaml', '.yml']).flatMap((path) => {
    const file = relative(root, path)
    return parseAllDocuments(readFileSync(path, 'utf8')).map((d, index) => ({
      file,
      index,
      value: d.errors.length === 0 ? d.toJS() : undefined,
      errors: [...d.errors, ...d.warnings].map((e) => e.message),
    }))
  })
}

/** A Kubernetes object, loosely typed: the tests check the fields they rely on. */
export interface K8sObject {
  apiVersion?: unknown
  kind?: unknown
  metadata?: { name?: unknown; namespace?: unknown; labels?: Record<string, unknown> }
  spec?: Record<string, unknown>
}

/** A container (or init container) with the object it belongs to. */
export interface ContainerRef {
  where: string
  object: K8sObject
  podSpec: Record<string, unknown>
  container: Record<string, any>
}

/** The pod spec of a workload object, or undefined for kinds without one. */
export function podSpecOf(o: K8sObject): Record<string, unknown> | undefined {
  const spec = o.spec as Record<string, any> | undefined
  if (o.kind === 'Pod') return spec
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec
  return spec?.template?.spec
}

/** Every container and init container of the objects. */
export function containersOf(objects: readonly K8sObject[]): ContainerRef[] {
  const out: ContainerRef[] = []
  for (const object of objects) {
    const podSpec = podSpecOf(object)
    if (podSpec === undefined) continue
    for (const field of ['initContainers', 'containers']) {
      for (const c of (podSpec[field] as Array<Record<string, any>> | undefined) ?? []) {
        out.push({
          where: `${String(object.kind)}/${String(object.metadata?.name)} ${field}/${String(c.name)}`,
          object,
          podSpec,
          container: c,
        })
      }
    }
  }
  return out
}

/** Every argv a container runs: command+args, exec probes and exec lifecycle hooks. */
export function containerCommands(c: Record<string, any>): Array<{ what: string; argv: string[] }> {
  const out: Array<{ what: string; argv: string[] }> = []
  if (Array.isArray(c.command))
    out.push({ what: 'command+args', argv: [...c.command, ...(Array.isArray(c.args) ? c.args : [])].map(String) })
  for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
    const cmd = c[probe]?.exec?.command
    if (Array.isArray(cmd)) out.push({ what: probe, argv: cmd.map(String) })
  }
  for (const hook of ['postStart', 'preStop']) {
    const cmd = c.lifecycle?.[hook]?.exec?.command
    if (Array.isArray(cmd)) out.push({ what: hook, argv: cmd.map(String) })
  }
  return out
}

/** command+args of a container. */
export function argvOf(c: ContainerRef): string[] {
  return [...(c.container.command ?? []), ...(c.container.args ?? [])].map(String)
}

/** The program a container runs: the subcommand when argv[0] is the launcher `bin`, else argv[0]'s name. */
export function programOfContainer(c: ContainerRef, bin: string): string {
  const argv = argvOf(c)
  return argv[0] === bin ? (argv[1] ?? '') : basename(argv[0] ?? '')
}

/** A container port by name (or a number as is). */
export function portOf(c: ContainerRef, port: unknown): number | undefined {
  if (typeof port === 'number') return port
  return (c.container.ports as Array<{ name?: string; containerPort?: number }> | undefined)?.find(
    (p) => p.name === port,
  )?.containerPort
}

/** Names used as `$(NAME)` (Kubernetes dependent-variable expansion) in `text`. */
export function k8sVarRefs(text: string): string[] {
  return [...text.matchAll(/(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1] as string)
}

/** Value of the flag `name` in an argv (`--name value` or `--name=value`). */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === name) return argv[i + 1]
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1)
  }
  return undefined
}

/** One Dockerfile instruction, continuation lines joined. */
export interface DockerInstruction {
  /** Upper-case instruction (FROM, RUN, COPY, ...). */
  op: string
  args: string
  /** 0-based index of the build stage (each FROM starts one). -1 before the first FROM. */
  stage: number
  line: number
}

/** Parses a Dockerfile into instructions (comments and parser directives dropped). */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = []
  const lines = text.split('\n')
  let stage = -1
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let line = (lines[i] as string).trim()
    if (line === '' || line.startsWith('#')) continue
    while (line.endsWith('\\') && i + 1 < lines.length) {
      const next = (lines[++i] as string).trim()
      if (!next.startsWith('#')) line = `${line.slice(0, -1).trimEnd()} ${next}`
    }
    const m = /^([A-Za-z]+)\s+([\s\S]*)$/.exec(line)
    if (m === null) continue
    const op = (m[1] as string).toUpperCase()
    if (op === 'FROM') stage++
    out.push({ op, args: m[2] as string, stage, line: start + 1 })
  }
  return out
}

/** The argv of an exec-form (JSON array) ENTRYPOINT/CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  try {
    const v: unknown = JSON.parse(args)
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined
  } catch {
    return undefined
  }
}

/** Replaces `${NAME}` and `$NAME` with values from `vars` (Dockerfile ARG/ENV substitution). */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a?: string, b?: string) => vars.get(a ?? b ?? '') ?? m,
  )
}

/** Debian package names an `apt-get install` in these RUN arguments installs. */
export function aptPackages(runArgs: string): string[] {
  const out: string[] = []
  for (const m of runArgs.matchAll(/apt-get\s+install\s+([^&;|]*)/g)) {
    out.push(...(m[1] as string).split(/\s+/).filter((w) => w !== '' && !w.startsWith('-')))
  }
  return out
}
