import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import type { Testbed } from './testbed.js'

/**
 * Starts a real dnsmasq in namespace `ns` as an authoritative-only test server: it listens on
 * `address` only, reads no resolv.conf or hosts file, and answers just the records of
 * `records` (dnsmasq options such as `--address=/db.corp.internal/10.2.0.77`). Its PID file
 * goes to `workDir`. The testbed stops it with the namespaces (it is one of its children).
 */
export function startDnsmasq(
  tb: Testbed,
  ns: string,
  address: string,
  workDir: string,
  records: readonly string[],
): ChildProcess {
  return tb.spawn(ns, [
    'dnsmasq',
    '--keep-in-foreground',
    '--no-resolv',
    '--no-hosts',
    '--user=root',
    `--pid-file=${join(workDir, `dnsmasq-${ns}.pid`)}`,
    `--listen-address=${address}`,
    '--bind-interfaces',
    ...records,
  ])
}
