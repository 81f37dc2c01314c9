import type { AgentCommandSpec, CommandGroup, CommandHelp, CommandSpec } from './command.js'
import { formatFields } from './output.js'
import { DEFAULT_CONTROLLER_URL } from './settings.js'

/** A top-level entry: a group (`vpc`) or a command of its own (`status`, `agent-status`). */
export type Entry = CommandGroup | CommandSpec | AgentCommandSpec

const GLOBAL_FLAGS_HELP = `Global flags:
${formatFields(
  [
    ['--controller URL', `controller base URL (env VPCMESH_CONTROLLER; default ${DEFAULT_CONTROLLER_URL})`],
    ['--token TOKEN', 'admin token (env VPCMESH_TOKEN); visible to other local users in ps'],
    ['--token-file PATH', 'read the admin token from a file (env VPCMESH_TOKEN_FILE)'],
    ['--json', 'print the API answer as JSON instead of tables'],
    ['-h, --help', 'show help for the command'],
  ],
  '  ',
)}`

const EXIT_CODES = 'Exit status: 0 ok, 1 API error or controller unreachable, 2 usage error.'

const AGENT_FLAGS_HELP = `Flags:
${formatFields(
  [
    ['--json', 'print the parsed status as JSON instead of tables'],
    ['-h, --help', 'show help for the command'],
  ],
  '  ',
)}`

const AGENT_EXIT_CODES =
  'Exit status: 0 ok, 1 agent unreachable, 2 usage error or an answer that is not an agent status.'

/** True when the entry is a group of subcommands. */
export function isGroup(e: Entry): e is CommandGroup {
  return 'commands' in e
}

/** Help of `vpcmesh` itself: groups and commands, global flags, exit codes. */
export function rootHelp(entries: readonly Entry[]): string {
  const rows = entries.flatMap((e) =>
    isGroup(e) ? e.commands.map((c) => [shortUsage(c), c.summary] as const) : [[shortUsage(e), e.summary] as const],
  )
  return [
    'Usage: vpcmesh COMMAND [ARGS] [FLAGS]',
    '',
    'vpcmesh joins private networks into an encrypted mesh. These commands talk to the controller,',
    "except agent-status, which reads one agent's local status server.",
    '',
    'Commands:',
    formatFields(rows, '  '),
    '',
    'The controller, agent and demo are run with `vpcmesh controller|agent|demo` (see their own --help).',
    '',
    GLOBAL_FLAGS_HELP,
    '',
    EXIT_CODES,
  ].join('\n')
}

/** A command with its positionals but no flags, e.g. `route list [ID|NAME]`. */
function shortUsage(c: CommandHelp): string {
  return [c.path, ...c.args.map((a) => (a.optional === true ? `[${a.name}]` : a.name))].join(' ')
}

/** Help of a group such as `vpcmesh vpc`. */
export function groupHelp(g: CommandGroup): string {
  return [
    `Usage: vpcmesh ${g.name} SUBCOMMAND [ARGS] [FLAGS]`,
    '',
    `${g.summary[0]?.toUpperCase() ?? ''}${g.summary.slice(1)}.`,
    '',
    'Subcommands:',
    formatFields(
      g.commands.map((c) => [shortUsage(c), c.summary] as const),
      '  ',
    ),
    '',
    `Run vpcmesh ${g.name} SUBCOMMAND --help for details.`,
    '',
    GLOBAL_FLAGS_HELP,
  ].join('\n')
}

/** Help of one command such as `vpcmesh vpc add`. */
export function commandHelp(c: CommandSpec | AgentCommandSpec): string {
  const [flags, exit] = c.target === 'agent' ? [AGENT_FLAGS_HELP, AGENT_EXIT_CODES] : [GLOBAL_FLAGS_HELP, EXIT_CODES]
  return [`Usage: vpcmesh ${c.synopsis}`, '', c.details, '', flags, '', c.exitCodes ?? exit].join('\n')
}
