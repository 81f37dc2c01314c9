import { checkArgs, checkFlags, GLOBAL_FLAGS, splitArgv, type FlagSpec, type FlagSpecs } from './args.js'
import { ApiClient } from './client.js'
import type { AgentCommandSpec, BaseContext, CommandSpec } from './command.js'
import { agentStatusCommand } from './commands/agent-status.js'
import { explainCommand } from './commands/explain.js'
import { gatewayGroup } from './commands/gateway.js'
import { routeGroup } from './commands/route.js'
import { statusCommand } from './commands/status.js'
import { vpcGroup } from './commands/vpc.js'
import { describeFailure, usageError, type CliError } from './errors.js'
import { Output } from './output.js'
import { controllerUrl, resolveToken, type CliEnv } from './settings.js'
import { commandHelp, groupHelp, isGroup, rootHelp, type Entry } from './usage.js'

/** What {@link runCli} may touch: no process globals, so tests can drive it in-process. */
export interface CliIo {
  /** Environment variables (VPCMESH_CONTROLLER, VPCMESH_TOKEN, VPCMESH_TOKEN_FILE). */
  readonly env: CliEnv
  /** Receives stdout text; each call ends with a newline. */
  readonly stdout: (s: string) => void
  /** Receives stderr text: at most one `vpcmesh: …` line per run. */
  readonly stderr: (s: string) => void
  readonly fetch: typeof fetch
  /** Current time in ms since the epoch, for "last seen" ages. @default Date.now */
  readonly now?: () => number
}

const ENTRIES: readonly Entry[] = [
  vpcGroup,
  routeGroup,
  gatewayGroup,
  statusCommand,
  agentStatusCommand,
  explainCommand,
]

/**
 * The first words this CLI handles. A launcher sends argv starting with one of these to
 * {@link runCli}; others (controller, agent, demo) belong to other apps.
 */
export const CLI_COMMANDS: readonly string[] = Object.freeze(ENTRIES.map((e) => (isGroup(e) ? e.name : e.path)))

/** Every flag of every command, so positionals split right before the command is known. */
const ALL_FLAGS: FlagSpecs = Object.assign(
  {},
  GLOBAL_FLAGS,
  ...ENTRIES.flatMap((e): ReadonlyArray<CommandSpec | AgentCommandSpec> => (isGroup(e) ? e.commands : [e])).map(
    (c) => c.flags,
  ),
)

/**
 * Runs one `vpcmesh` invocation (argv without the node and script paths) and returns the
 * exit status: 0 ok, 1 API error or unreachable controller or agent, 2 usage error or a URL
 * given to `agent-status` that serves no agent status. Failures print
 * exactly one line on stderr. The admin token is never printed.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Output(io)
  try {
    await dispatch(argv, io, out)
    return 0
  } catch (e) {
    const failure = describeFailure(e)
    out.error(failure.line)
    return failure.exitCode
  }
}

async function dispatch(argv: readonly string[], io: CliIo, out: Output): Promise<void> {
  const split = splitArgv(argv, ALL_FLAGS)
  for (const o of split.options) if (o.name === 'token') out.addSecret(o.value)
  out.addSecret(io.env.VPCMESH_TOKEN)
  const target = findTarget(split.positionals)
  if (split.help) return out.print(target.help)
  if (target.spec === undefined) throw target.missing
  const { spec, args } = target
  const accepted = spec.target === 'agent' ? AGENT_FLAGS : GLOBAL_FLAGS
  const flags = checkFlags(split, { ...accepted, ...spec.flags }, spec.path)
  checkArgs(args, spec.args, spec.path)
  const base: BaseContext = {
    command: spec.path,
    args,
    flags,
    json: flags.bool('json'),
    out,
    now: io.now ?? (() => Date.now()),
    fetch: io.fetch,
  }
  if (spec.target === 'agent') return await spec.run(base)
  const baseUrl = controllerUrl(flags, io.env)
  const token = await resolveToken(flags, io.env)
  out.addSecret(token)
  const client = new ApiClient({ baseUrl, token, fetch: io.fetch })
  await spec.run({ ...base, client, controllerUrl: baseUrl })
}

/** The global flags an agent command accepts: it needs no controller URL or token. */
const AGENT_FLAGS: FlagSpecs = { json: GLOBAL_FLAGS.json as FlagSpec, help: GLOBAL_FLAGS.help as FlagSpec }

/** What the positionals name: a runnable command, or a root/group that needs a subcommand. */
type Target =
  | { spec: CommandSpec | AgentCommandSpec; args: readonly string[]; help: string }
  | { spec: undefined; missing: CliError; help: string }

function findTarget(positionals: readonly string[]): Target {
  const [first, second, ...rest] = positionals
  if (first === undefined)
    return { spec: undefined, missing: usageError('missing command', ''), help: rootHelp(ENTRIES) }
  const entry = ENTRIES.find((e) => (isGroup(e) ? e.name : e.path) === first)
  if (entry === undefined) throw usageError(`unknown command '${first}'`, '')
  if (!isGroup(entry)) return { spec: entry, args: positionals.slice(1), help: commandHelp(entry) }
  if (second === undefined) {
    return {
      spec: undefined,
      missing: usageError(`missing subcommand for '${entry.name}'`, entry.name),
      help: groupHelp(entry),
    }
  }
  const spec = entry.commands.find((c) => c.path === `${entry.name} ${second}`)
  if (spec === undefined) throw usageError(`unknown command '${entry.name} ${second}'`, entry.name)
  return { spec, args: rest, help: commandHelp(spec) }
}
