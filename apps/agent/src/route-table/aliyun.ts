/**
 * The `aliyun` route-table provider: points the VPC's Alibaba Cloud route tables (vRouter route
 * tables, `vtb-…`) at this gateway's ECS instance (`NextHopType=Instance`), or at an ENI
 * (`NetworkInterface`) when `networkInterfaceId` is set, through the official VPC SDK
 * (`aliyun-vpc-api.ts`).
 *
 * Ownership: every entry vpcmesh creates is named `vpcmesh` and described
 * `vpcmesh <vpcId> epoch <E>` (E: the epoch of the gateway that created or last re-pointed it).
 * Only entries whose description parses with this VPC's id are touched; any other entry holding a
 * wanted destination (the operator's, a system route, another VPC's) is a conflict.
 *
 * Fencing: the table's fence for a VPC is the max of the route table tag `vpcmesh:<vpcId>:epoch`
 * and the epochs in our entries' descriptions. The tag is written (TagResources) before any route
 * write whenever the claim's epoch is new, so the fence survives even when the VPC has no routes
 * (an empty claim), and a deposed gateway reading the table afterwards finds the higher epoch and
 * writes nothing. `removeAll` deletes our entries and then the tag (the VPC is going away; a new
 * registration may start its epochs again). The cloud has no conditional write: a deposed gateway
 * that read the table just before the new one tagged it can still land its writes; the new active
 * gateway's next apply puts them right (they are ours, so it re-points them).
 *
 * Replacing a route is ModifyRouteEntry (NewNextHopType/NewNextHopId, new description): in place,
 * so the destination never goes without a route during a failover.
 *
 * Calls, in order, for each table in `routeTableIds` (all tables are read and fence-checked before
 * the first write): DescribeRouteTableList (tags), DescribeRouteEntryList (every page); then
 * TagResources (new epoch only), CreateRouteEntry / ModifyRouteEntry per claimed prefix in claim
 * order, DeleteRouteEntry per stale prefix. Nothing differs → no write call.
 *
 * IPv4 and IPv6 destinations are both supported by Alibaba Cloud custom routes with an instance
 * next hop (an IPv6 route needs the VPC's IPv6 CIDR enabled; otherwise the API refuses it, `api`).
 */
import { parsePrefix } from '@vpcmesh/cidr'
import {
  type TablePlan,
  type TableState,
  ENTRY_NAME,
  entryDescription,
  epochTagKey,
  planTable,
  tableFence,
} from './aliyun-plan.js'
import { type AliyunNextHop, type AliyunVpcApiOptions, AliyunVpcApi } from './aliyun-vpc-api.js'
import {
  type CloudRouteTableSettings,
  NO_CHANGE,
  ROUTE_TABLE_ERROR_CODES,
  type RouteTableClaim,
  RouteTableError,
  type RouteTableProvider,
  type RouteTableReport,
} from './provider.js'

export type { AliyunAccessKey, AliyunCredential, AliyunRetryOptions } from './aliyun-vpc-api.js'

/** Knobs of {@link createAliyunRouteTable}; all optional. */
export type AliyunRouteTableOptions = Partial<Omit<AliyunVpcApiOptions, 'region' | 'endpoint'>>

/**
 * Creates the `aliyun` provider. Credentials: `options.credential` (an `@alicloud/credentials`
 * client, whose default chain reads `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET`, the credentials
 * file, or the ECS RAM role), else `options.accessKey`; with neither, every call fails with
 * `credentials` (`InvalidCredentials`).
 * @throws RouteTableError `config` when a setting is missing or malformed (no API call is made)
 */
export function createAliyunRouteTable(
  settings: CloudRouteTableSettings,
  options: AliyunRouteTableOptions = {},
): RouteTableProvider {
  validateSettings(settings)
  const api = new AliyunVpcApi({ ...options, region: settings.region, endpoint: settings.endpoint })
  return new AliyunRouteTable(settings, api)
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

function validateSettings(s: CloudRouteTableSettings): void {
  const problems: string[] = []
  if (!/^[a-z0-9-]+$/.test(s.region ?? ''))
    problems.push('region must be an Alibaba Cloud region id such as cn-hangzhou')
  if (!Array.isArray(s.routeTableIds) || s.routeTableIds.length === 0)
    problems.push('routeTableIds must list at least one route table')
  for (const id of s.routeTableIds ?? [])
    if (!/^vtb-[a-z0-9]+$/.test(id)) problems.push(`route table id "${id}" is not a vtb-… id`)
  if (!/^i-[a-z0-9]+$/.test(s.instanceId ?? '')) problems.push('instanceId must be the gateway ECS instance id (i-…)')
  if (s.networkInterfaceId !== undefined && !/^eni-[a-z0-9]+$/.test(s.networkInterfaceId)) {
    problems.push('networkInterfaceId must be an ENI id (eni-…)')
  }
  if (!ID.test(s.vpcId ?? '') || s.vpcId.length > 100)
    problems.push('vpcId must be 1-100 letters, digits, "_", "." or "-"')
  if (s.endpoint !== undefined && !/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d+)?\/?$/.test(s.endpoint)) {
    problems.push('endpoint must be host[:port] or http(s)://host[:port]')
  }
  if (problems.length > 0) throw configError(`aliyun route table settings: ${problems.join('; ')}`)
}

function configError(message: string): RouteTableError {
  return new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, message)
}

/** The provider; one per VPC and gateway. */
class AliyunRouteTable implements RouteTableProvider {
  readonly kind = 'aliyun' as const
  private readonly hop: AliyunNextHop

  constructor(
    private readonly settings: CloudRouteTableSettings,
    private readonly api: AliyunVpcApi,
  ) {
    const eni = settings.networkInterfaceId
    this.hop = eni ? { type: 'NetworkInterface', id: eni } : { type: 'Instance', id: settings.instanceId }
  }

  async apply(claim: RouteTableClaim): Promise<RouteTableReport> {
    checkEpoch(claim.epoch)
    const wanted = canonicalPrefixes(claim.prefixes)
    const states = await this.readAll(claim.epoch)
    const plans = states.map(
      ([id, state]) => [id, planTable(state, this.settings.vpcId, claim.epoch, this.hop, wanted)] as const,
    )
    const report = new ReportBuilder()
    for (const [id, plan] of plans) await this.carryOut(id, plan, claim.epoch, report)
    return report.build()
  }

  async removeAll(epoch: number): Promise<RouteTableReport> {
    checkEpoch(epoch)
    const states = await this.readAll(epoch)
    const report = new ReportBuilder()
    const key = epochTagKey(this.settings.vpcId)
    for (const [id, state] of states) {
      const plan = planTable(state, this.settings.vpcId, epoch, this.hop, [])
      for (const [prefix, entryId] of plan.remove) {
        await this.api.delete(id, entryId)
        report.deleted.add(prefix)
      }
      if (state.tags.has(key)) await this.api.untag(id, key)
    }
    return report.build()
  }

  async release(): Promise<void> {}

  /** Reads every table, then checks every fence, before anything is written. */
  private async readAll(epoch: number): Promise<(readonly [string, TableState])[]> {
    const states: (readonly [string, TableState])[] = []
    for (const id of this.settings.routeTableIds) {
      const tags = await this.api.tableTags(id)
      const entries = await this.api.entries(id)
      states.push([id, { tags, entries }])
    }
    for (const [id, state] of states) {
      const fence = tableFence(state, this.settings.vpcId)
      if (fence > epoch) {
        throw new RouteTableError(
          ROUTE_TABLE_ERROR_CODES.fenced,
          `route table ${id} records epoch ${fence} for VPC ${this.settings.vpcId}, above this gateway's ${epoch}: nothing written`,
        )
      }
    }
    return states
  }

  private async carryOut(id: string, plan: TablePlan, epoch: number, report: ReportBuilder): Promise<void> {
    const { vpcId } = this.settings
    const description = entryDescription(vpcId, epoch)
    if (plan.writeTag) await this.api.tag(id, epochTagKey(vpcId), String(epoch))
    for (const prefix of plan.create) {
      await this.api.create(id, prefix, this.hop, ENTRY_NAME, description)
      report.created.add(prefix)
    }
    for (const [prefix, entryId] of plan.replace) {
      await this.api.modify(entryId, this.hop, description)
      report.replaced.add(prefix)
    }
    for (const [prefix, entryId] of plan.remove) {
      await this.api.delete(id, entryId)
      report.deleted.add(prefix)
    }
    for (const prefix of plan.conflicts) report.conflicts.add(prefix)
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 1)
    throw configError(`fencing epoch must be a positive integer, got ${epoch}`)
}

/** The claim's prefixes as canonical text, deduplicated, in claim order. */
function canonicalPrefixes(prefixes: readonly string[]): string[] {
  const out = new Set<string>()
  for (const p of prefixes) {
    try {
      out.add(parsePrefix(p).toString())
    } catch (e) {
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `claimed prefix "${p}" is not a CIDR prefix`, {
        cause: e,
      })
    }
  }
  return [...out]
}

/** Collects one call's report across tables (a prefix is listed once). */
class ReportBuilder {
  readonly created = new Set<string>()
  readonly replaced = new Set<string>()
  readonly deleted = new Set<string>()
  readonly conflicts = new Set<string>()

  build(): RouteTableReport {
    if (this.created.size + this.replaced.size + this.deleted.size + this.conflicts.size === 0) return NO_CHANGE
    return Object.freeze({
      created: [...this.created],
      replaced: [...this.replaced],
      deleted: [...this.deleted],
      conflicts: [...this.conflicts],
    })
  }
}
