import type { Logger } from '@vpcmesh/common'
import type { CommandRunner } from '@vpcmesh/linuxnet'
import type { RouteTableSetting } from '@vpcmesh/protocol'
import type { AgentConfig } from '../config.js'
import type { RouteTableProvider } from './provider.js'
import { VipRouteTable } from './vip.js'

/**
 * The route-table provider for a VPC's setting on this host, or undefined (with an error
 * logged) when the agent lacks what the provider needs. `none` is undefined.
 */
export function createRouteTable(
  setting: RouteTableSetting,
  d: { config: AgentConfig; runner: CommandRunner; logger: Logger },
): RouteTableProvider | undefined {
  const log = d.logger.child('route-table')
  switch (setting.provider) {
    case 'none':
      return undefined
    case 'vip':
      if (d.config.vipInterface === undefined || setting.vip === undefined) {
        log.error('the VPC uses a floating address but this agent has no --vip-interface; the VIP is not claimed')
        return undefined
      }
      return new VipRouteTable({ vip: setting.vip, interface: d.config.vipInterface }, d.runner, log, (fn, ms) => {
        setTimeout(fn, ms).unref()
      })
    default:
      log.error('route-table provider not available in this agent build', { provider: setting.provider })
      return undefined
  }
}
