import type { ArgSpec, Flags, FlagSpecs } from './args.js'
import type { ApiClient } from './client.js'
import type { Output } from './output.js'

/** What every command handler gets: checked arguments and where to print. */
export interface BaseContext {
  /** The command path, e.g. `vpc add`, for usage errors. */
  readonly command: string
  /** Positionals after the command path, already counted against the command's {@link ArgSpec}s. */
  readonly args: readonly string[]
  /** Checked flags (globals included). */
  readonly flags: Flags
  /** True with --json: print the API answer as JSON instead of tables. */
  readonly json: boolean
  readonly out: Output
  /** Current time, ms since the epoch (for "12s ago"). */
  readonly now: () => number
  /** The fetch to reach the network with. */
  readonly fetch: typeof fetch
}

/** What a controller command's handler gets: a {@link BaseContext} and a ready client. */
export interface CommandContext extends BaseContext {
  /** Client bound to the controller URL and admin token. */
  readonly client: ApiClient
  /** Controller base URL, for hints such as the agent command line. */
  readonly controllerUrl: string
}

/** Path, arguments, flags and help of one command. */
export interface CommandHelp {
  /** Words after `vpcmesh`, e.g. `vpc add` or `status`. */
  readonly path: string
  /** One line for the group listing. */
  readonly summary: string
  /** Usage line after `vpcmesh `, e.g. `vpc rm ID|NAME`. */
  readonly synopsis: string
  readonly args: readonly ArgSpec[]
  /** Flags of this command, besides the global ones. */
  readonly flags: FlagSpecs
  /** Help text below the usage line: what it does, its flags, an example. */
  readonly details: string
  /** The exit status line, when it differs from the common one. */
  readonly exitCodes?: string
}

/** One runnable controller command such as `vpc add`: the controller URL and admin token are resolved first. */
export interface CommandSpec extends CommandHelp {
  readonly target?: 'controller'
  /** Runs the command; throws MeshErrors (usage or API) on failure. */
  run(ctx: CommandContext): Promise<void>
}

/**
 * A command that talks to an agent's status server, whose URL it takes as an argument. No
 * controller URL or admin token is needed, and only --json and --help are accepted.
 */
export interface AgentCommandSpec extends CommandHelp {
  readonly target: 'agent'
  /** Runs the command; throws MeshErrors on failure. */
  run(ctx: BaseContext): Promise<void>
}

/** A command group such as `vpc`, whose subcommands are {@link CommandSpec}s. */
export interface CommandGroup {
  readonly name: string
  readonly summary: string
  readonly commands: readonly CommandSpec[]
}
