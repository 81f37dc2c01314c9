// The real `vpcmesh` command-line interface, as deploy.test.ts checks command lines against it:
// subcommands and flags are read from the `--help` output of bin/vpcmesh (the launcher the
// units and images run), never written down here.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** One flag a command accepts, as its help text shows it. */
export interface FlagSpec {
  /** True when the help shows a placeholder after it (`--listen HOST:PORT`). */
  takesValue: boolean
}

/** What one command (a path of words after `vpcmesh`) accepts. */
export interface CommandSpec {
  /** Words after `vpcmesh`, e.g. ['agent'] or ['vpc', 'add']. */
  path: string[]
  /** Accepted flags by name (`--cidr`, `-h`). */
  flags: Map<string, FlagSpec>
  /** False for the daemons, whose parsers accept no positional arguments. */
  positionals: boolean
  /** Where the flags came from: `help` (the command's --help output) or a source file. */
  source: string
}

/** The whole CLI: every command the top-level help names, with its flags. */
export interface CliSpec {
  commands: CommandSpec[]
}

/** A line of a help flag list: `  --flag PLACEHOLDER   text` or `  -h, --help   text`. */
const FLAG_LINE = /^\s{2,}(?:(-[A-Za-z]),\s+)?(--[a-z][a-z0-9-]*)(?:[ =]([A-Z][A-Z0-9:|_.]*))?(?:\s{2,}|\s*$)/

/** Parses the flag list of a help text (every indented line that starts with a flag). */
export function parseHelpFlags(text: string): Map<string, FlagSpec> {
  const flags = new Map<string, FlagSpec>()
  for (const line of text.split('\n')) {
    const m = FLAG_LINE.exec(line)
    if (m === null) continue
    const spec = { takesValue: m[3] !== undefined }
    flags.set(m[2] as string, spec)
    if (m[1] !== undefined) flags.set(m[1], spec)
  }
  return flags
}

/**
 * The command paths a top-level help names: the lines of its `Commands:` section
 * (`  vpc add NAME   …` gives ['vpc', 'add']) and the daemons it points at
 * (`vpcmesh controller|agent|demo`).
 */
export function parseTopCommands(text: string): string[][] {
  const out: string[][] = []
  const lines = text.split('\n')
  const start = lines.findIndex((l) => /^Commands:\s*$/.test(l))
  for (const line of start < 0 ? [] : lines.slice(start + 1)) {
    if (line.trim() === '') break
    const words = (line.trim().split(/\s{2,}/)[0] ?? '').split(/\s+/)
    const path = words.filter(
      (w, i) => /^[a-z][a-z-]*$/.test(w) && words.slice(0, i).every((x) => /^[a-z][a-z-]*$/.test(x)),
    )
    if (path.length > 0) out.push(path)
  }
  for (const m of text.matchAll(/vpcmesh ((?:[a-z]+\|)+[a-z]+)/g)) {
    for (const name of (m[1] as string).split('|')) out.push([name])
  }
  return out
}

/** Runs `node bin/vpcmesh ARGS` in `root`; stdout, stderr and exit status. */
export function runCli(root: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [join(root, 'bin/vpcmesh'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status }
}

/** The commands bin/vpcmesh dispatches to a daemon entry point (`entries` in the launcher). */
export function launcherDaemons(root: string): string[] {
  const text = readFileSync(join(root, 'bin/vpcmesh'), 'utf8')
  const block = /const entries = \{([^}]*)\}/.exec(text)?.[1] ?? ''
  return [...block.matchAll(/^\s*(\w+):/gm)].map((m) => m[1] as string)
}

/** The launcher's entry file of each daemon, relative to the repository root. */
export function launcherEntries(root: string): Map<string, string> {
  const text = readFileSync(join(root, 'bin/vpcmesh'), 'utf8')
  const block = /const entries = \{([^}]*)\}/.exec(text)?.[1] ?? ''
  return new Map([...block.matchAll(/^\s*(\w+):\s*'([^']+)'/gm)].map((m) => [m[1] as string, m[2] as string]))
}

/**
 * The text of a `export const NAME = \`...\`` template literal in a source file (for help
 * texts when the compiled app cannot run), or undefined.
 */
export function usageFromSource(file: string, name: string): string | undefined {
  if (!existsSync(file)) return undefined
  const m = new RegExp(`export const ${name} = \`([^\`]*)\``).exec(readFileSync(file, 'utf8'))
  return m?.[1]
}

/** The option names of the `parseArgs({ options: { … } })` call in a config source. */
export function parserOptionsFromSource(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const block = /options:\s*\{([\s\S]*?)\n\s*\},?\s*\n?\s*\}\)/.exec(text)?.[1] ?? ''
  return [...block.matchAll(/^\s*'?([a-z][a-z-]*)'?\s*:\s*\{\s*type:/gm)].map((m) => `--${m[1] as string}`)
}

/**
 * Reads the CLI from the running launcher: `vpcmesh --help` for the command list, then
 * `vpcmesh <path> --help` for each command. A daemon whose help cannot be run (not built)
 * falls back to `fallback(name)`, which should return its usage text from the sources.
 */
export function loadCliSpec(root: string, fallback: (daemon: string) => string | undefined): CliSpec {
  const daemons = new Set(launcherDaemons(root))
  const top = runCli(root, ['--help'])
  const paths = parseTopCommands(top.stdout)
  const commands: CommandSpec[] = [{ path: [], flags: parseHelpFlags(top.stdout), positionals: true, source: 'help' }]
  for (const path of paths) {
    const r = runCli(root, [...path, '--help'])
    let text = r.status === 0 ? r.stdout : undefined
    let source = 'help'
    if (text === undefined && daemons.has(path[0] as string)) {
      text = fallback(path[0] as string)
      source = 'source'
    }
    if (text === undefined) throw new Error(`vpcmesh ${path.join(' ')} --help failed (${r.status}): ${r.stderr.trim()}`)
    const flags = parseHelpFlags(text)
    // It just answered --help with status 0, whether or not its text lists the flag.
    if (r.status === 0 && !flags.has('--help')) flags.set('--help', { takesValue: false })
    commands.push({ path, flags, positionals: !daemons.has(path[0] as string), source })
  }
  return { commands }
}

/** The command whose path is the longest prefix of `words`. */
export function findCommand(cli: CliSpec, words: readonly string[]): CommandSpec | undefined {
  let best: CommandSpec | undefined
  for (const c of cli.commands) {
    if (
      c.path.every((w, i) => words[i] === w) &&
      c.path.length <= words.length &&
      (best === undefined || c.path.length > best.path.length)
    )
      best = c
  }
  return best
}

/**
 * Checks the arguments after the `vpcmesh` binary against the CLI: a known command, then only
 * flags that command accepts, each value flag followed by a value, boolean flags without one,
 * and no positional arguments for the daemons. Returns one problem per fault.
 */
export function checkArgs(cli: CliSpec, args: readonly string[]): string[] {
  const firstFlag = args.findIndex((a) => a.startsWith('-'))
  const words = firstFlag < 0 ? args : args.slice(0, firstFlag)
  const cmd = findCommand(cli, words)
  const shown = `vpcmesh ${args.join(' ')}`
  if (cmd === undefined || (cmd.path.length === 0 && words.length > 0))
    return [`${shown}: unknown command "${words.join(' ')}"`]
  const problems: string[] = []
  const rest = args.slice(cmd.path.length)
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string
    if (!a.startsWith('-') || a === '-') {
      if (!cmd.positionals)
        problems.push(`${shown}: "${a}" is a positional argument; vpcmesh ${cmd.path.join(' ')} takes none`)
      continue
    }
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const spec = cmd.flags.get(name)
    if (spec === undefined) {
      problems.push(`${shown}: vpcmesh ${cmd.path.join(' ')} has no flag ${name}`)
      continue
    }
    if (!spec.takesValue && inline !== undefined) problems.push(`${shown}: ${name} takes no value`)
    if (spec.takesValue && inline === undefined) {
      const next = rest[i + 1]
      if (next === undefined || next.startsWith('--')) problems.push(`${shown}: ${name} needs a value`)
      else i++
    }
  }
  return problems
}

/** Splits a shell line at unquoted `;`, `|`, `||`, `&&` and before an unquoted ` #` comment. */
function shellSegments(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      cur += c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      cur += c
      continue
    }
    if (c === '#' && (i === 0 || /\s/.test(line[i - 1] as string))) break
    if (c === ';' || c === '|' || (c === '&' && line[i + 1] === '&')) {
      out.push(cur)
      cur = ''
      if (line[i + 1] === c) i++
      continue
    }
    cur += c
  }
  out.push(cur)
  return out.map((s) => s.trim()).filter((s) => s !== '')
}

/** Splits a shell command into words, honouring quotes; `$(...)` inside quotes stays one word. */
function shellWords(segment: string): string[] {
  const words: string[] = []
  let cur: string | undefined
  let quote: string | undefined
  for (const c of segment) {
    if (quote !== undefined) {
      if (c === quote) quote = undefined
      else cur = (cur ?? '') + c
      continue
    }
    if (c === '"' || c === "'") {
      quote = c
      cur ??= ''
      continue
    }
    if (/\s/.test(c)) {
      if (cur !== undefined) words.push(cur)
      cur = undefined
      continue
    }
    cur = (cur ?? '') + c
  }
  if (cur !== undefined) words.push(cur)
  return words
}

/** A `vpcmesh` invocation found in a document: its arguments after the binary. */
export interface DocCommand {
  line: number
  text: string
  args: string[]
}

/**
 * Every invocation of the vpcmesh binary (`vpcmesh`, `bin/vpcmesh`, `/opt/vpcmesh/bin/vpcmesh`)
 * in the fenced `sh`/`bash`/`console` blocks of a Markdown text. Backslash continuations are
 * joined; leading `NAME=value` assignments and `sudo` are skipped; arguments end at a
 * redirection.
 */
export function docCommands(markdown: string): DocCommand[] {
  const out: DocCommand[] = []
  const lines = markdown.split('\n')
  let inBlock = false
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string
    const fence = /^\s*```(\w*)/.exec(raw)
    if (fence !== null) {
      inBlock = !inBlock && ['sh', 'bash', 'console', 'shell'].includes(fence[1] as string)
      continue
    }
    if (!inBlock) continue
    const start = i
    let line = raw
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length)
      line = `${line.trimEnd().slice(0, -1)} ${(lines[++i] as string).trim()}`
    for (const seg of shellSegments(line)) {
      const words = shellWords(seg)
      while (
        words.length > 0 &&
        (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] as string) || words[0] === 'sudo' || words[0] === 'exec')
      )
        words.shift()
      if (!/^(?:\S*\/)?vpcmesh$/.test(words[0] ?? '')) continue
      const end = words.findIndex((w) => /^\d*[<>]/.test(w))
      out.push({ line: start + 1, text: seg, args: words.slice(1, end < 0 ? undefined : end) })
    }
  }
  return out
}

/** The `*_USAGE` help text of a daemon (`apps/<daemon>/src/config.ts`), or undefined. */
export function daemonUsageFromSource(root: string, daemon: string): string | undefined {
  return usageFromSource(join(root, `apps/${daemon}/src/config.ts`), `${daemon.toUpperCase()}_USAGE`)
}

/**
 * The environment variables a vpcmesh daemon reads: its config parser (`parseConfig`,
 * `parseAgentConfig` of `@vpcmesh/<daemon>`) is run with an environment that records every
 * name asked for. Falls back to scanning `env.NAME` and the ENV table in
 * apps/<daemon>/src/config.ts when the package cannot be loaded (not built).
 */
export async function daemonEnv(
  root: string,
  daemon: 'controller' | 'agent',
): Promise<{ names: Set<string>; source: string }> {
  const names = new Set<string>()
  const env = new Proxy(
    {},
    {
      get: (_t, key) => {
        if (typeof key === 'string') names.add(key)
        return undefined
      },
    },
  )
  try {
    const specifier = `@vpcmesh/${daemon}`
    const mod = (await import(specifier)) as Record<string, ((...a: unknown[]) => unknown) | undefined>
    const parse = daemon === 'controller' ? () => mod.parseConfig?.(env) : () => mod.parseAgentConfig?.([], env)
    try {
      parse()
    } catch {
      /* the empty environment is invalid; the names were recorded */
    }
    if (names.size > 0) return { names, source: 'config parser' }
  } catch {
    /* not built: read the sources */
  }
  const text = readFileSync(join(root, `apps/${daemon}/src/config.ts`), 'utf8')
  for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1] as string)
  for (const m of text.matchAll(/^\s+\w+: '((?:VPCMESH_|REDIS_)[A-Z0-9_]*)',?$/gm)) names.add(m[1] as string)
  return { names, source: 'source scan' }
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}
