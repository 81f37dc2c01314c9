/**
 * The policy-routing rule that puts vpcmesh's table in front of main for everything except
 * the agent's own tunnel datagrams (wg-quick's scheme):
 *
 *   ip rule add not fwmark MARK table TABLE pref PRIORITY proto 112   (IPv4 and IPv6)
 *
 * The packet engine marks every datagram it sends with MARK (SO_MARK), so tunnel traffic is
 * routed by main alone and can never be drawn into the TUN by a route of ours, whatever the
 * map says. Everything else (forwarded traffic, the host's own traffic) looks up our table
 * first and falls through to main when nothing there matches.
 */
import type { CommandRunner } from './runner.js'
import { runExpecting } from './expected-failures.js'
import { parseJsonArray } from './json-output.js'

/** The rule's parameters. */
export interface PolicyRule {
  /** Our routing table. */
  table: number
  /** Firewall mark of the engine's tunnel datagrams, 1-2^31-1. */
  fwmark: number
  /** Rule priority (`pref`); lower is earlier. Must be below main's 32766. */
  priority: number
  /** Route protocol number marking the rule as ours. */
  proto: number
}

/** Firewall mark vpcmesh puts on tunnel datagrams by default ("vm"). */
export const DEFAULT_FWMARK = 0x766d

/** Priority of our rule by default: before main (32766), after the kernel's local (0). */
export const DEFAULT_RULE_PRIORITY = 5300

/** One rule as `ip -json rule show` prints it. */
interface RawRule {
  priority?: number
  not?: unknown
  fwmark?: string
  table?: string
  protocol?: string
}

/** True when `r` is exactly the rule {@link ruleArgv} adds. */
function isOurs(r: RawRule, rule: PolicyRule): boolean {
  return (
    r.priority === rule.priority && 'not' in r && Number(r.fwmark) === rule.fwmark && r.table === String(rule.table)
  )
}

/** argv (after `ip -4|-6 rule add|del`) of our rule. */
export function ruleArgv(rule: PolicyRule): string[] {
  return [
    'not',
    'fwmark',
    `0x${rule.fwmark.toString(16)}`,
    'table',
    String(rule.table),
    'pref',
    String(rule.priority),
    'proto',
    String(rule.proto),
  ]
}

/** Rules of `family` that look up `table`; undefined when the family is not supported. */
async function rulesFor(runner: CommandRunner, family: 4 | 6, table: number): Promise<RawRule[] | undefined> {
  const argv = ['ip', `-${family}`, '-json', 'rule', 'show']
  const res = await runExpecting(runner, argv, family === 6 ? ['noFamily'] : [])
  if (res === undefined) return undefined
  return (parseJsonArray(res.stdout, 'ip -json rule') as RawRule[]).filter((r) => r.table === String(table))
}

/** Deletes one rule looking up `table` at `priority`; one already gone counts as deleted. */
async function deleteRule(
  runner: CommandRunner,
  family: 4 | 6,
  table: number,
  priority: number | undefined,
): Promise<void> {
  const argv = [
    'ip',
    `-${family}`,
    'rule',
    'del',
    'table',
    String(table),
    ...(priority === undefined ? [] : ['pref', String(priority)]),
  ]
  await runExpecting(runner, argv, ['noObject'])
}

/**
 * Makes our rule exist exactly once per family, adding it before removing any other rule that
 * looks up our table. Repeating it issues only reads.
 * @returns true when anything changed
 */
export async function syncPolicyRule(runner: CommandRunner, rule: PolicyRule): Promise<boolean> {
  let changed = false
  for (const family of [4, 6] as const) {
    const rules = await rulesFor(runner, family, rule.table)
    if (rules === undefined) continue
    const keeper = rules.find((r) => isOurs(r, rule))
    if (keeper === undefined) await runner.run(['ip', `-${family}`, 'rule', 'add', ...ruleArgv(rule)])
    for (const r of rules) if (r !== keeper) await deleteRule(runner, family, rule.table, r.priority)
    changed = changed || keeper === undefined || rules.length > 1
  }
  return changed
}

/**
 * Removes every rule that looks up `table` (both families).
 * @returns the number of rules removed
 */
export async function removePolicyRules(runner: CommandRunner, table: number): Promise<number> {
  let n = 0
  for (const family of [4, 6] as const) {
    for (const r of (await rulesFor(runner, family, table)) ?? []) {
      await deleteRule(runner, family, table, r.priority)
      n++
    }
  }
  return n
}
