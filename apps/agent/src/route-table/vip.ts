import { type Logger, errorMessage } from '@vpcmesh/common'
import type { CommandRunner } from '@vpcmesh/linuxnet'
import {
  NO_CHANGE,
  ROUTE_TABLE_ERROR_CODES,
  RouteTableError,
  type RouteTableClaim,
  type RouteTableProvider,
  type RouteTableReport,
} from './provider.js'

/**
 * Lifetime of the VIP on the interface, seconds: the active agent renews it every second, so
 * when the agent dies (its host still up) the kernel drops the address within this time.
 */
export const VIP_LIFETIME_S = 5

/** Settings of the `vip` provider. */
export interface VipSettings {
  /** The floating address with its prefix length, e.g. `10.1.0.254/24` (from the VPC's routeTable). */
  readonly vip: string
  /** The LAN interface that carries it (the agent's `--vip-interface`). */
  readonly interface: string
}

/**
 * `vip`: the VPC's hosts route remote prefixes to a floating LAN address, and the active
 * gateway holds it (keepalived-style). `apply` adds the address to the LAN interface and
 * announces it with gratuitous ARP (IPv4: `arping -U`, twice, so caches that missed the first
 * one follow) or an unsolicited neighbour advertisement (IPv6: the kernel sends one when the
 * address is added with `ndisc_notify` on, which apply sets). The address has a lifetime of
 * {@link VIP_LIFETIME_S} that the agent renews every second (`keepalive`), so it never outlives
 * the agent. `release` removes the address.
 * The epoch fences nothing here: the LAN has no table to write back, and a deposed gateway
 * releases the address as soon as its map says another gateway is active. Host commands
 * go through the runner; a failure is a RouteTableError `command` (retryable).
 */
export class VipRouteTable implements RouteTableProvider {
  readonly kind = 'vip' as const
  private readonly address: string
  private readonly family: 4 | 6

  constructor(
    private readonly s: VipSettings,
    private readonly runner: CommandRunner,
    private readonly logger: Logger,
    private readonly later: (fn: () => void, ms: number) => void,
  ) {
    const [address] = s.vip.split('/')
    if (address === undefined || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(s.vip))
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `vip ${JSON.stringify(s.vip)} is not ADDRESS/LEN`)
    this.address = address
    this.family = address.includes(':') ? 6 : 4
  }

  async apply(_claim: RouteTableClaim): Promise<RouteTableReport> {
    if (this.family === 6)
      await this.run(['sysctl', '-qw', `net.ipv6.conf.${this.s.interface.replace(/\./g, '/')}.ndisc_notify=1`])
    const had = await this.holds()
    await this.keepalive()
    if (this.family === 4) {
      await this.announce()
      this.later(() => {
        this.announce().catch((e: unknown) => {
          this.logger.warn('second gratuitous ARP failed', { error: errorMessage(e) })
        })
      }, 1000)
    }
    return had ? NO_CHANGE : { ...NO_CHANGE, created: [this.s.vip] }
  }

  /** Adds the VIP, or renews its lifetime ({@link VIP_LIFETIME_S}). */
  async keepalive(): Promise<void> {
    const life = String(VIP_LIFETIME_S)
    const argv = ['ip', `-${this.family}`, 'address', 'replace', this.s.vip, 'dev', this.s.interface]
    argv.push('valid_lft', life, 'preferred_lft', life, ...(this.family === 6 ? ['nodad'] : []))
    await this.run(argv)
  }

  async removeAll(_epoch: number): Promise<RouteTableReport> {
    await this.release()
    return NO_CHANGE
  }

  async release(): Promise<void> {
    if (!(await this.holds())) return
    await this.run(['ip', `-${this.family}`, 'address', 'del', this.s.vip, 'dev', this.s.interface])
  }

  /**
   * IPv4 duplicate address detection (`arping -D`, two probes in 2 s): exit 1 means another
   * host answered for the VIP. Probes are not looped back, so our own address never answers.
   * IPv6 is not probed (false).
   */
  async contested(): Promise<boolean> {
    if (this.family === 6 || !(await this.holds())) return false
    try {
      const r = await this.runner.run(
        ['arping', '-q', '-D', '-c', '2', '-w', '2', '-I', this.s.interface, this.address],
        {
          allowFail: true,
        },
      )
      return r.code === 1
    } catch (e) {
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.command, `vip: ${errorMessage(e)}`, { cause: e })
    }
  }

  /** True when the interface carries the address. */
  private async holds(): Promise<boolean> {
    const r = await this.run(['ip', '-o', `-${this.family}`, 'address', 'show', 'dev', this.s.interface])
    return r.split('\n').some((l) => l.includes(` ${this.s.vip} `) || l.includes(` ${this.address}/`))
  }

  private async announce(): Promise<void> {
    await this.run(['arping', '-q', '-U', '-c', '1', '-I', this.s.interface, this.address])
  }

  private async run(argv: string[]): Promise<string> {
    try {
      return (await this.runner.run(argv)).stdout
    } catch (e) {
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.command, `vip: ${errorMessage(e)}`, { cause: e })
    }
  }
}
