/**
 * The host's own addresses, read with `ip -json addr show`: what a route into the TUN must
 * never contain (the agent's underlay address among them).
 */
import { formatAddress, parseAddress } from '@vpcmesh/cidr'
import { parseJsonArray } from './json-output.js'
import type { CommandRunner } from './runner.js'

/** One link as `ip -json addr show` prints it (the fields we read). */
interface RawLink {
  ifname?: string
  addr_info?: Array<{ local?: string; scope?: string }>
}

/**
 * Parses `ip -json addr show` output into canonical addresses of every link but `exceptLink`,
 * skipping host-scope (loopback) and link-local addresses, sorted and de-duplicated.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_OUTPUT when the text is not such an array
 */
export function parseHostAddresses(json: string, exceptLink: string): string[] {
  const out = new Set<string>()
  for (const link of parseJsonArray(json, 'ip -json addr') as RawLink[]) {
    if (link.ifname === exceptLink) continue
    for (const a of link.addr_info ?? []) {
      if (typeof a.local !== 'string' || a.scope === 'host' || a.scope === 'link') continue
      try {
        out.add(formatAddress(parseAddress(a.local)))
      } catch {
        /* not an IP address: not ours to judge */
      }
    }
  }
  return [...out].sort()
}

/** Reads the host's addresses (see {@link parseHostAddresses}). */
export async function readHostAddresses(runner: CommandRunner, exceptLink: string): Promise<string[]> {
  const res = await runner.run(['ip', '-json', 'addr', 'show'])
  return parseHostAddresses(res.stdout, exceptLink)
}
