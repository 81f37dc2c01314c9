import { type Logger, errorMessage } from '@vpcmesh/common'
import { type NetMap, type RouteTableSetting, routedPrefixes } from '@vpcmesh/protocol'
import type { RouteTableProvider } from '../route-table/provider.js'

/** Builds the provider for VPC `vpcId`'s setting, or undefined for `none` (or one this agent cannot run). */
/**
 * Builds the route-table provider of a setting (undefined: none, or it cannot be built here).
 * May load the provider's cloud SDK first, so it may answer with a promise.
 */
export type RouteTableFactory = (
  setting: RouteTableSetting,
  vpcId: string,
) => RouteTableProvider | undefined | Promise<RouteTableProvider | undefined>

/** This agent's role in its VPC, from the map. */
export interface Role {
  /** True when this gateway holds the active role (always, for a VPC with one gateway). */
  active: boolean
  /** Fencing epoch of the active role (0 for a VPC with one gateway). */
  epoch: number
}

/**
 * The role a map gives gateway `gatewayId`. A VPC with fewer than two gateways has no
 * election: its agent is active. With several, only the gateway the map names is active; none
 * is while no election happened. Pure.
 */
export function roleOf(map: NetMap, gatewayId: string | undefined): Role {
  const gws = map.self.gateways ?? []
  if (gws.length < 2) return { active: true, epoch: 0 }
  const a = map.self.active
  return { active: a != null && a.gateway === gatewayId, epoch: a?.epoch ?? 0 }
}

/**
 * Follows the role through maps: while active, keeps the VPC's route table pointed at this
 * gateway (every remote prefix, fenced by the epoch); on losing the role, releases it. A
 * standby never touches the table. Provider errors are logged and retried on the next map or
 * refresh; they never fail the apply, so forwarding is never held up by a cloud API.
 */
export class GatewayRole {
  private provider: RouteTableProvider | undefined
  private setting = ''
  private held: { epoch: number; prefixes: string } | undefined
  /** Until the first release: a restarted agent may still carry what it held before (the VIP). */
  private mayHold = true
  private readonly log: Logger
  /** The role of the last map seen. */
  role: Role = { active: false, epoch: 0 }
  /** The last provider error, for status; undefined after a success. */
  lastError: string | undefined
  /** Set when this gateway gave way to another holder while cut off; the epoch it gave up. */
  private yieldedEpoch: number | undefined
  /** Set once the VPC was deleted: the route table was cleaned up and is not touched again. */
  private deleted = false

  constructor(private readonly c: { logger: Logger; create: RouteTableFactory; onError?: (code: string) => void }) {
    this.log = c.logger.child('gateway-role')
  }

  async update(map: NetMap, gatewayId: string | undefined): Promise<void> {
    const role = roleOf(map, gatewayId)
    if (role.active !== this.role.active || role.epoch !== this.role.epoch)
      this.log.info(role.active ? 'this gateway is active' : 'this gateway is standby', { epoch: role.epoch })
    this.role = role
    try {
      await this.follow(map, role)
      this.lastError = undefined
    } catch (e) {
      this.lastError = errorMessage(e)
      this.failed(e, 'route table not updated; retried with the next map or refresh')
    }
  }

  /**
   * The VPC was deleted at the controller: the active gateway deletes every route its provider
   * created (fenced by its epoch) and releases what it holds; a standby does nothing. Later
   * maps are ignored. Errors are reported, not thrown.
   */
  async vpcDeleted(): Promise<void> {
    this.deleted = true
    const p = this.provider
    if (p === undefined || !this.role.active) return
    try {
      const report = await p.removeAll(this.role.epoch)
      await p.release()
      this.held = undefined
      this.log.info('VPC deleted: removed the routes vpcmesh created in its route table', { ...report })
    } catch (e) {
      this.failed(e, 'VPC deleted but its route table could not be cleaned up')
    }
  }

  private async follow(map: NetMap, role: Role): Promise<void> {
    if (this.deleted) return
    const setting = map.self.routeTable ?? { provider: 'none' as const }
    const key = `${map.self.id} ${JSON.stringify(setting)}`
    if (key !== this.setting) {
      if (this.held !== undefined) await this.provider?.release()
      this.held = undefined
      this.provider = await this.c.create(setting, map.self.id)
      this.setting = key
    }
    const p = this.provider
    if (p === undefined) return
    if (!role.active) {
      if (this.held !== undefined || this.mayHold) {
        await p.release()
        this.held = undefined
        this.mayHold = false
      }
      return
    }
    if (this.yieldedEpoch === role.epoch) return
    this.yieldedEpoch = undefined
    // What the mesh routes to each peer: a global-mode peer's global prefixes, never its local ones.
    const prefixes = map.peers.flatMap((n) => routedPrefixes(n)).sort()
    const want = { epoch: role.epoch, prefixes: prefixes.join(',') }
    if (this.held?.epoch === want.epoch && this.held.prefixes === want.prefixes) return
    const report = await p.apply({ epoch: role.epoch, prefixes })
    this.held = want
    this.log.info('route table follows this gateway', { provider: p.kind, epoch: role.epoch, ...report })
  }

  /**
   * Called while no controller is reachable: if this gateway holds the role and the provider
   * finds another holder (`contested`), this gateway was replaced by an election it could not
   * hear about, so it releases what it holds and does not claim it again for this epoch.
   * With nobody else claiming (every controller down), nothing changes: it keeps forwarding.
   */
  async guard(): Promise<void> {
    const p = this.provider
    if (!this.role.active || this.held === undefined || p?.contested === undefined) return
    try {
      if (!(await p.contested())) return
      this.log.warn('cut off from the controllers and another gateway holds the role; giving way', {
        epoch: this.role.epoch,
      })
      this.yieldedEpoch = this.role.epoch
      this.held = undefined
      await p.release()
    } catch (e) {
      this.failed(e, 'could not check for another active gateway')
    }
  }

  /** Renews what the active gateway holds (the VIP's lifetime); errors are reported, not thrown. */
  async keepalive(): Promise<void> {
    const p = this.provider
    if (!this.role.active || this.held === undefined || p?.keepalive === undefined) return
    try {
      await p.keepalive()
    } catch (e) {
      this.failed(e, 'could not renew the floating address')
    }
  }

  /** Counts a provider failure by its code and logs it; never throws. */
  private failed(e: unknown, what: string): void {
    const code = (e as { code?: string }).code ?? 'unknown'
    this.c.onError?.(code)
    this.log.warn(what, { code, error: errorMessage(e) })
  }
}
