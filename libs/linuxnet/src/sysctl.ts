/**
 * Forwarding sysctls, read and written through the command runner (`sysctl`), so a runner
 * bound to a network namespace reads and writes that namespace's values.
 */
import type { CommandRunner } from './runner.js'

/** The sysctl keys the router reads. */
export const SYSCTL_KEYS = Object.freeze({
  /** Must be 1 for the VM to route between the TUN and the local network. */
  ipv4Forward: 'net.ipv4.ip_forward',
  /** Must be 1 when IPv6 routes are present. */
  ipv6Forward: 'net.ipv6.conf.all.forwarding',
  /** 1 (strict) is reported as a warning, never changed. */
  rpFilter: 'net.ipv4.conf.all.rp_filter',
} as const)

/** What {@link planSysctls} decided. */
export interface SysctlPlan {
  /** `key=value` arguments for `sysctl -w`, in order. */
  writes: string[]
  /** Human-readable problems the router does not fix. */
  warnings: string[]
}

/** Parses `sysctl` output lines `key = value` into a map; other lines are ignored. */
export function parseSysctlOutput(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const m = /^\s*([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line)
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2])
  }
  return out
}

/**
 * Pure: which sysctls to write and what to warn about, given the current values. A key
 * missing from `values` does not exist on this host (e.g. IPv6 disabled).
 * @param needV6 - true when any IPv6 route is configured
 */
export function planSysctls(values: ReadonlyMap<string, string>, needV6: boolean): SysctlPlan {
  const writes: string[] = []
  const warnings: string[] = []
  if (values.get(SYSCTL_KEYS.ipv4Forward) !== '1') writes.push(`${SYSCTL_KEYS.ipv4Forward}=1`)
  if (needV6) {
    const v6 = values.get(SYSCTL_KEYS.ipv6Forward)
    if (v6 === undefined)
      warnings.push(
        `IPv6 routes are configured but ${SYSCTL_KEYS.ipv6Forward} does not exist (IPv6 disabled?): IPv6 traffic will not be forwarded`,
      )
    else if (v6 !== '1') writes.push(`${SYSCTL_KEYS.ipv6Forward}=1`)
  }
  if (values.get(SYSCTL_KEYS.rpFilter) === '1') {
    warnings.push(
      `${SYSCTL_KEYS.rpFilter}=1 (strict reverse-path filtering) drops forwarded packets whose source ` +
        'is not routed back through the link they arrived on; if mesh traffic is dropped set it to 2 (loose). ' +
        'vpcmesh does not change it',
    )
  }
  return { writes, warnings }
}

/**
 * Reads the sysctls and writes the forwarding ones that are not 1. Never lowers a value.
 * @returns whether anything was written, and the warnings
 */
export async function syncSysctls(
  runner: CommandRunner,
  needV6: boolean,
): Promise<{ changed: boolean; warnings: string[] }> {
  const res = await runner.run(['sysctl', '-e', SYSCTL_KEYS.ipv4Forward, SYSCTL_KEYS.ipv6Forward, SYSCTL_KEYS.rpFilter])
  const plan = planSysctls(parseSysctlOutput(res.stdout), needV6)
  for (const w of plan.writes) await runner.run(['sysctl', '-w', w])
  return { changed: plan.writes.length > 0, warnings: plan.warnings }
}
