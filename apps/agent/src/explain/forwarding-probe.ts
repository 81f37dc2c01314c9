/** The forward hop's kernel switches: IPv4 and IPv6 forwarding, read with `sysctl -n`. */
import type { CommandRunner } from '@vpcmesh/linuxnet'

/** The sysctl keys read, by family. */
export const FORWARDING_KEYS = { ipv4: 'net.ipv4.ip_forward', ipv6: 'net.ipv6.conf.all.forwarding' } as const

/**
 * Whether the host forwards IPv4 and IPv6 packets; null for a key that cannot be read (no
 * IPv6 in the kernel, or `sysctl` failing). Never throws for a failed read.
 */
export async function readForwarding(runner: CommandRunner): Promise<{ ipv4: boolean | null; ipv6: boolean | null }> {
  const read = async (key: string): Promise<boolean | null> => {
    try {
      const r = await runner.run(['sysctl', '-n', key], { allowFail: true })
      const v = r.stdout.trim()
      return r.code !== 0 || !/^\d+$/.test(v) ? null : v !== '0'
    } catch {
      return null
    }
  }
  return { ipv4: await read(FORWARDING_KEYS.ipv4), ipv6: await read(FORWARDING_KEYS.ipv6) }
}
