/**
 * The one map from what `ip` and `nft` print on a failure to what it means for us: the
 * failures a caller may expect and treat as "nothing there" instead of an error. Everything
 * else becomes VPCMESH_ERR_LINUXNET_COMMAND (`commandError`).
 */
import { type CommandRunner, type RunResult, commandError } from './runner.js'

/** stderr of each expected failure (the host's commands run with `LC_ALL=C`). */
export const EXPECTED_FAILURES = Object.freeze({
  /** `ip route del` of a route that is already gone. */
  noRoute: /No such process/,
  /** `ip rule del` of a rule, or `nft … table` of a table, that does not exist. */
  noObject: /No such file or directory/,
  /** `ip route show table N` of a table with no entry yet. */
  noTable: /FIB table does not exist/,
  /** An `ip -6` command on a host without IPv6. */
  noFamily: /Address family not supported/,
  /** `ip link show dev NAME` of a link that does not exist. */
  noLink: /does not exist/,
} as const)

/** One of the {@link EXPECTED_FAILURES}. */
export type ExpectedFailure = keyof typeof EXPECTED_FAILURES

/**
 * Runs `argv`. Returns the result when it succeeds and undefined when it fails with one of
 * `expected`.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND for any other failure
 */
export async function runExpecting(
  runner: CommandRunner,
  argv: readonly string[],
  expected: readonly ExpectedFailure[],
): Promise<RunResult | undefined> {
  const res = await runner.run(argv, { allowFail: true })
  if (res.code === 0) return res
  if (expected.some((f) => EXPECTED_FAILURES[f].test(res.stderr))) return undefined
  throw commandError(argv, res.code, res.stdout, res.stderr)
}
