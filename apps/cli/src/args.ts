import { parseArgs } from 'node:util'
import { usageError } from './errors.js'

/** One flag a command accepts. Every string flag takes a value; booleans never do. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean'
  /** The flag may be given more than once; values are collected in order. @default false */
  readonly multiple?: boolean
  /** One-letter alias, e.g. `h` for `--help`. */
  readonly short?: string
}

/** Flags by long name (without `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagSpecs = {
  controller: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

/** An option as node:util parseArgs reports it in `tokens`. */
interface OptionToken {
  name: string
  rawName: string
  value?: string | undefined
  inlineValue?: boolean | undefined
}

/** argv split into positionals and option tokens, before any command-specific check. */
export interface SplitArgv {
  readonly positionals: readonly string[]
  readonly options: readonly OptionToken[]
  /** True when `--help` or `-h` appears anywhere. */
  readonly help: boolean
}

/**
 * Splits argv without failing: `known` (the union of every command's flags) decides which
 * flags consume the next argument, so positionals come out right wherever flags are placed.
 */
export function splitArgv(argv: readonly string[], known: FlagSpecs): SplitArgv {
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...known },
    strict: false,
    allowPositionals: true,
    tokens: true,
  })
  const positionals: string[] = []
  const options: OptionToken[] = []
  for (const t of tokens) {
    if (t.kind === 'positional') positionals.push(t.value)
    else if (t.kind === 'option') options.push(t)
  }
  return { positionals, options, help: options.some((o) => o.name === 'help') }
}

/** Checked flag values of one command. */
export class Flags {
  private readonly values = new Map<string, string[]>()

  /** Adds a value (`''` for a boolean flag). */
  add(name: string, value: string): void {
    const list = this.values.get(name) ?? []
    list.push(value)
    this.values.set(name, list)
  }

  /** The value of a string flag; undefined when not given. */
  string(name: string): string | undefined {
    return this.values.get(name)?.at(-1)
  }

  /** Every value of a repeatable string flag, in order; empty when not given. */
  strings(name: string): string[] {
    return [...(this.values.get(name) ?? [])]
  }

  /** True when a boolean flag was given. */
  bool(name: string): boolean {
    return this.values.has(name)
  }
}

/**
 * Checks the option tokens against what `command` accepts (`specs`, globals included):
 * unknown flags, string flags without a value, booleans with a value, single flags repeated.
 * Throws a usage error naming the first problem.
 */
export function checkFlags(split: SplitArgv, specs: FlagSpecs, command: string): Flags {
  const flags = new Flags()
  for (const o of split.options) {
    const spec = specs[o.name]
    if (spec === undefined) throw usageError(`unknown flag ${o.rawName} for '${command}'`, command)
    if (spec.type === 'boolean') {
      if (o.value !== undefined) throw usageError(`flag ${o.rawName} takes no value`, command)
      flags.add(o.name, '')
      continue
    }
    if (o.value === undefined || (o.inlineValue !== true && o.value.startsWith('-'))) {
      throw usageError(`missing value for ${o.rawName}`, command)
    }
    if (spec.multiple !== true && flags.string(o.name) !== undefined) {
      throw usageError(`flag ${o.rawName} given more than once`, command)
    }
    flags.add(o.name, o.value)
  }
  return flags
}

/** One positional argument of a command, e.g. `NAME`; `optional` ones come last. */
export interface ArgSpec {
  readonly name: string
  readonly optional?: boolean
}

/** Throws a usage error when `args` has too few or too many positionals for `specs`. */
export function checkArgs(args: readonly string[], specs: readonly ArgSpec[], command: string): void {
  const missing = specs[args.length]
  if (missing !== undefined && missing.optional !== true) {
    throw usageError(`missing argument ${missing.name} for '${command}'`, command)
  }
  const extra = args[specs.length]
  if (extra !== undefined) throw usageError(`unexpected argument '${extra}' for '${command}'`, command)
}
