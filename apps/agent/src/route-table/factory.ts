import type { Logger } from '@vpcmesh/common'
import type { CommandRunner } from '@vpcmesh/linuxnet'
import type { RouteTableSetting } from '@vpcmesh/protocol'
import type { AgentConfig } from '../config.js'
import type { CloudRouteTableSettings, RouteTableProvider } from './provider.js'
import { VipRouteTable } from './vip.js'

/** What building a provider needs from the agent. */
export interface RouteTableDeps {
  config: AgentConfig
  runner: CommandRunner
  logger: Logger
  /** The VPC's mesh id (recorded with every cloud route vpcmesh creates). */
  vpcId: string
}

/**
 * The route-table provider for a VPC's setting on this host, or undefined (with the reason
 * logged) when the agent lacks what the provider needs, or for `none`. A provider whose
 * settings are invalid is refused here, once, with the problems named. A cloud provider's
 * module (and its SDK) is loaded only when a VPC uses it: the three SDKs cost an agent about
 * 1.4 s of CPU at start (measured with a CPU profile), which every other agent now skips.
 */
export async function createRouteTable(
  setting: RouteTableSetting,
  d: RouteTableDeps,
): Promise<RouteTableProvider | undefined> {
  const log = d.logger.child('route-table')
  try {
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
      case 'aws':
        return (await import('./aws.js')).createAwsRouteTable(cloudSettings(d))
      case 'aliyun': {
        const [{ createAliyunRouteTable }, Credential] = await Promise.all([
          import('./aliyun.js'),
          import('@alicloud/credentials'),
        ])
        return createAliyunRouteTable(cloudSettings(d), { credential: new Credential.default.default() })
      }
      case 'tencent':
        return (await import('./tencent.js')).createTencentRouteTable(cloudSettings(d))
    }
  } catch (e) {
    log.error('route-table provider settings are invalid; the route table is not programmed', {
      provider: setting.provider,
      error: e instanceof Error ? e.message : String(e),
    })
    return undefined
  }
}

/** The cloud settings from the agent's flags (`--cloud-region`, `--route-table-id`, …). */
function cloudSettings(d: RouteTableDeps): CloudRouteTableSettings {
  const c = d.config.cloud
  return {
    region: c.region ?? '',
    routeTableIds: c.routeTableIds,
    instanceId: c.instanceId ?? '',
    networkInterfaceId: c.networkInterfaceId,
    endpoint: c.endpoint,
    vpcId: d.vpcId,
  }
}
