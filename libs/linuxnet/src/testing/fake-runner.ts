/**
 * FakeRunner: a CommandRunner that models the `ip`, `nft` and `sysctl` state LinuxRouter
 * reads and writes, records every command, and dumps its state as text for golden tests
 * (tailscale util/linuxfw fake runner). It passes the same Router compliance suite as a real
 * network namespace.
 */
import { parsePrefix } from '@vpcmesh/cidr'
import { type CommandRunner, type RunOptions, type RunResult, commandError, formatArgv } from '../runner.js'
import { type FakeOutcome, FakeIp, type RouteFilter, parseProto, showRules } from './fake-ip.js'
import { FakeNft } from './fake-nft.js'

/** One recorded command. */
export interface RecordedCommand {
  argv: string[]
  /** stdin text, when the command had some. */
  input?: string
}

/** Options for a new FakeRunner. */
export interface FakeRunnerOptions {
  /** Initial sysctl values. @default ip_forward 0, IPv6 forwarding 0, rp_filter 0 */
  sysctls?: Record<string, string>
}

/** A scripted failure: commands matching `match` exit with `code` and print `stderr`. */
export interface FakeFailure {
  match: (argv: readonly string[]) => boolean
  code: number
  stderr: string
}

/** True for commands that only read state (`… show`, `nft … list …`, `sysctl` without `-w`). */
export function isReadCommand(argv: readonly string[]): boolean {
  if (argv[0] === 'ip') return argv.includes('show')
  if (argv[0] === 'nft') return argv.includes('list')
  if (argv[0] === 'sysctl') return !argv.includes('-w')
  return false
}

/** In-memory host for LinuxRouter tests. Not safe for concurrent run() calls from many routers. */
export class FakeRunner implements CommandRunner {
  /** Every command run so far, in order. */
  readonly commands: RecordedCommand[] = []
  /** Failures to inject; checked before a command is modelled. */
  readonly failures: FakeFailure[] = []
  private readonly ip = new FakeIp()
  private readonly nft = new FakeNft()
  private readonly sysctl: Map<string, string>

  constructor(options: FakeRunnerOptions = {}) {
    this.sysctl = new Map(
      Object.entries(
        options.sysctls ?? {
          'net.ipv4.ip_forward': '0',
          'net.ipv6.conf.all.forwarding': '0',
          'net.ipv4.conf.all.rp_filter': '0',
        },
      ),
    )
  }

  /** Creates a link (as the packet engine would), down with the given MTU. */
  addLink(name: string, mtu = 1500): void {
    this.ip.links.set(name, { mtu, up: false, addresses: [] })
  }

  /** Adds an address (scope global) to a link, as `ip addr add` would. */
  addAddress(link: string, address: string): void {
    this.ip.links.get(link)?.addresses.push(address)
  }

  /** Sets a link up (or down, which drops its routes like the kernel does). */
  setUp(name: string, up = true): void {
    this.ip.setUp(name, up)
  }

  /** Deletes a link and its routes, as the kernel does when the TUN closes. */
  removeLink(name: string): void {
    this.ip.removeLink(name)
  }

  /** Adds to a named counter of the `inet vpcmesh` table, as matching packets would; false when it does not exist. */
  countNft(name: string, packets: number, bytes: number): boolean {
    return this.nft.count('inet vpcmesh', name, packets, bytes)
  }

  /** Commands recorded so far as shell-like lines (for assertions), then forgets them. */
  takeCommands(): string[] {
    return this.commands.splice(0).map((c) => formatArgv(c.argv))
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.commands.push(opts.input === undefined ? { argv: [...argv] } : { argv: [...argv], input: opts.input })
    const failure = this.failures.find((f) => f.match(argv))
    const out: FakeOutcome = failure ?? this.dispatch(argv, opts.input)
    const res = { stdout: out.stdout ?? '', stderr: out.stderr ?? '', code: out.code }
    if (res.code !== 0 && opts.allowFail !== true) throw commandError(argv, res.code, res.stdout, res.stderr)
    return res
  }

  /**
   * The modelled state as text: links, nftables tables (rules in order), routes and sysctls,
   * each group sorted, one item per line.
   */
  dump(): string {
    const links = [...this.ip.links].map(([n, l]) => `link ${n} mtu ${l.mtu} ${l.up ? 'up' : 'down'}`).sort()
    const routes = this.ip.routes
      .map((r) =>
        r.type === 'throw'
          ? `route table ${r.table} throw ${r.prefix} proto ${r.proto} metric ${r.metric}`
          : `route table ${r.table} ${r.prefix} dev ${r.dev} proto ${r.proto} metric ${r.metric}`,
      )
      .sort()
    const rules = this.ip.rules
      .map(
        (r) =>
          `rule -${r.family} pref ${r.priority}${r.not ? ' not' : ''} fwmark ${r.fwmark ?? '-'} table ${r.table} proto ${r.proto ?? '-'}`,
      )
      .sort()
    const sysctls = [...this.sysctl].map(([k, v]) => `sysctl ${k} = ${v}`).sort()
    const nft = (this.nft.listText().stdout ?? '')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => `nft ${l.replaceAll('\t', '  ')}`)
    return `${[...links, ...nft, ...rules, ...routes, ...sysctls].join('\n')}\n`
  }

  private dispatch(argv: readonly string[], input: string | undefined): FakeOutcome {
    const [cmd, ...rest] = argv
    if (cmd === 'ip' && rest.includes('-batch')) return this.ipBatch(rest, input)
    if (cmd === 'ip') return this.ipCommand(rest)
    if (cmd === 'nft') return this.nftCommand(rest, input)
    if (cmd === 'sysctl') return this.sysctlCommand(rest)
    return unmodelled(argv)
  }

  /**
   * `ip [-force] -batch -`: every input line as an `ip` command (injected failures match each
   * line's argv too). Without -force it stops at the first failure; either way a failure
   * prints its error and `Command failed -:N`, and the batch exits 1.
   */
  private ipBatch(args: readonly string[], input: string | undefined): FakeOutcome {
    const force = args.includes('-force')
    const errors: string[] = []
    for (const [i, line] of (input ?? '').split('\n').entries()) {
      if (line.trim() === '') continue
      const argv = ['ip', ...line.trim().split(/\s+/)]
      const out = this.failures.find((f) => f.match(argv)) ?? this.ipCommand(argv.slice(1))
      if (out.code === 0) continue
      errors.push(`${(out.stderr ?? '').trimEnd()}\nCommand failed -:${i + 1}`)
      if (!force) break
    }
    return errors.length === 0 ? { code: 0 } : { code: 1, stderr: `${errors.join('\n')}\n` }
  }

  private ipCommand(args: readonly string[]): FakeOutcome {
    const flags = args.filter((a) => a.startsWith('-'))
    const words = args.filter((a) => !a.startsWith('-'))
    const family = flags.includes('-6') ? 6 : flags.includes('-4') ? 4 : undefined
    const json = flags.includes('-json') || flags.includes('-j')
    const [obj, verb, ...tail] = words
    const kv = pairs(tail)
    if (obj === 'link' && verb === 'show') return this.linkShow(kv.get('dev') ?? tail[0] ?? '')
    if (obj === 'link' && verb === 'set') return this.linkSet(tail)
    if (obj === 'addr' && verb === 'show' && json) return this.addrShow()
    if (obj === 'rule') return this.ruleCommand(family ?? 4, verb, tail, json)
    if (obj !== 'route') return unmodelled(['ip', ...args])
    if (verb === 'show' || verb === 'list') return this.routeShow(family, kv, json)
    const type = tail[0] === 'throw' ? 'throw' : 'unicast'
    const dst = tail[0] === 'throw' ? (tail[1] ?? '') : (tail[0] ?? '')
    const proto = parseProto(kv.get('proto') ?? 'boot')
    const metric = kv.has('metric') ? Number(kv.get('metric')) : undefined
    const table = kv.get('table') ?? 'main'
    if (verb === 'del') {
      return this.ip.del({
        table,
        type: tail[0] === 'throw' ? 'throw' : undefined,
        prefix: canonical(dst),
        dev: kv.get('dev'),
        proto: kv.has('proto') ? proto : undefined,
        metric,
      })
    }
    if (verb !== 'replace' && verb !== 'add') return unmodelled(['ip', ...args])
    const route = this.ip.route(dst, kv.get('dev') ?? '', proto ?? 3, metric, table, type)
    if (typeof route === 'string') return { code: route.startsWith('Cannot') ? 1 : 2, stderr: route }
    return this.ip.put(route, verb === 'replace')
  }

  private routeShow(family: 4 | 6 | undefined, kv: Map<string, string>, json: boolean): FakeOutcome {
    const table = kv.get('table') ?? 'main'
    const f: RouteFilter = {
      table,
      family: family ?? 4,
      dev: kv.get('dev'),
      proto: kv.has('proto') ? parseProto(kv.get('proto') ?? '') : undefined,
    }
    return { code: 0, stdout: this.ip.show(f, json) }
  }

  private addrShow(): FakeOutcome {
    const lo = { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] }
    const links = [...this.ip.links].map(([ifname, l]) => ({
      ifname,
      addr_info: l.addresses.map((a) => ({ family: a.includes(':') ? 'inet6' : 'inet', local: a, scope: 'global' })),
    }))
    return { code: 0, stdout: `${JSON.stringify([lo, ...links])}\n` }
  }

  /** `ip rule add|del|show` over the rule model (selectors: not, fwmark, table, pref, proto). */
  private ruleCommand(family: 4 | 6, verb: string | undefined, tail: readonly string[], json: boolean): FakeOutcome {
    if (verb === 'show' && json) return { code: 0, stdout: showRules(this.ip.rules, family) }
    const kv = pairs(tail)
    const fwmark = kv.has('fwmark') ? `0x${Number(kv.get('fwmark')).toString(16)}` : undefined
    const priority = kv.has('pref') ? Number(kv.get('pref')) : undefined
    if (verb === 'add') {
      this.ip.rules.push({
        family,
        priority: priority ?? 32765,
        not: tail.includes('not'),
        fwmark,
        table: kv.get('table') ?? 'main',
        proto: kv.has('proto') ? Number(kv.get('proto')) : undefined,
      })
      return { code: 0 }
    }
    if (verb !== 'del') return unmodelled(['ip', `-${family}`, 'rule', verb ?? '', ...tail])
    const i = this.ip.rules.findIndex(
      (r) =>
        r.family === family &&
        (priority === undefined || r.priority === priority) &&
        (!kv.has('table') || r.table === kv.get('table')),
    )
    if (i < 0) return { code: 2, stderr: 'RTNETLINK answers: No such file or directory' }
    this.ip.rules.splice(i, 1)
    return { code: 0 }
  }

  private linkShow(name: string): FakeOutcome {
    const l = this.ip.links.get(name)
    if (l === undefined) return { code: 1, stderr: `Device "${name}" does not exist.` }
    const flags = ['POINTOPOINT', 'MULTICAST', 'NOARP', ...(l.up ? ['UP'] : [])]
    return {
      code: 0,
      stdout: `${JSON.stringify([{ ifname: name, flags, mtu: l.mtu, operstate: l.up ? 'UNKNOWN' : 'DOWN' }])}\n`,
    }
  }

  private linkSet(tail: readonly string[]): FakeOutcome {
    const kv = pairs(tail)
    const name = kv.get('dev') ?? ''
    const l = this.ip.links.get(name)
    if (l === undefined) return { code: 1, stderr: `Cannot find device "${name}"` }
    if (kv.has('mtu')) l.mtu = Number(kv.get('mtu'))
    if (tail.includes('up') || tail.includes('down')) this.ip.setUp(name, tail.includes('up'))
    return { code: 0 }
  }

  private nftCommand(args: readonly string[], input: string | undefined): FakeOutcome {
    const json = args[0] === '-j'
    const words = json ? args.slice(1) : args
    const key = words.slice(2, 4).join(' ')
    if (words[0] === '-f' && words[1] === '-') return this.nft.apply(input ?? '')
    if (words[0] === 'list' && words[1] === 'ruleset') return json ? this.nft.listJson() : this.nft.listText()
    if (words[0] === 'list' && words[1] === 'table') return json ? this.nft.listJson(key) : this.nft.listText(key)
    if (words[0] === 'delete' && words[1] === 'table') return this.nft.deleteTable(key)
    return unmodelled(['nft', ...args])
  }

  private sysctlCommand(args: readonly string[]): FakeOutcome {
    if (args[0] === '-w') {
      const [k, v] = (args[1] ?? '').split('=')
      if (k === undefined || v === undefined || !this.sysctl.has(k))
        return {
          code: 255,
          stderr: `sysctl: cannot stat /proc/sys/${(k ?? '').replaceAll('.', '/')}: No such file or directory`,
        }
      this.sysctl.set(k, v)
      return { code: 0, stdout: `${k} = ${v}\n` }
    }
    const keys = args.filter((a) => !a.startsWith('-'))
    return {
      code: 0,
      stdout: keys
        .filter((k) => this.sysctl.has(k))
        .map((k) => `${k} = ${this.sysctl.get(k) ?? ''}\n`)
        .join(''),
    }
  }
}

/** `ip` style keyword arguments: `dev X proto Y` → map (single words are skipped). */
function pairs(words: readonly string[]): Map<string, string> {
  const out = new Map<string, string>()
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? ''
    const v = words[i + 1]
    if (['dev', 'proto', 'metric', 'table', 'mtu', 'fwmark', 'pref'].includes(w) && v !== undefined) {
      out.set(w, v)
      i++
    }
  }
  return out
}

/** The canonical CIDR for `ip` prefix text (`default` is the IPv4 default); unparsable text as is. */
function canonical(text: string): string {
  try {
    return parsePrefix(text === 'default' ? '0.0.0.0/0' : text, { strict: false }).toString()
  } catch {
    return text
  }
}

function unmodelled(argv: readonly string[]): FakeOutcome {
  return { code: 127, stderr: `FakeRunner does not model: ${formatArgv(argv)}` }
}
