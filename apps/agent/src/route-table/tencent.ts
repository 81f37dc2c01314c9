/**
 * Tencent Cloud route-table provider: points the VPC route tables' routes for the mesh prefixes
 * at the active gateway, through the official SDK (`tencentcloud-sdk-nodejs`, VPC API 2017-03-12,
 * TC3-HMAC-SHA256 signing). Calls: DescribeRouteTables, ReplaceRoutes, CreateRoutes, DeleteRoutes.
 *
 * Next hop: a `NORMAL_CVM` route whose GatewayId is the gateway's private IPv4 address, so
 * `settings.instanceId` holds that address on this cloud (the API names an ordinary CVM next hop by
 * its address; `CVM` is the console-configured "public gateway" type). IPv6 prefixes are listed in
 * `conflicts`: a NORMAL_CVM next hop is an IPv4 address, and IPv6 next hops are not supported here.
 *
 * Ownership and fencing: every route vpcmesh creates carries the description
 * `vpcmesh <vpcId> epoch <E>` (`tencent-route-mark.ts`); only routes marked with this vpcId are
 * ever replaced or deleted. A table's fence is the highest epoch among those routes, read from all
 * configured tables (one DescribeRouteTables call) before any write: above the claim's epoch → no
 * write, `fenced`. An apply with a newer epoch re-marks every route of ours (ReplaceRoutes), so all
 * of them carry the new fence and a deposed gateway sees it on any one. A table holding no route of
 * ours holds no fence (after removeAll, by design; the operations guide says what that allows).
 *
 * Retries: the Node.js SDK has none (no retry on `RequestLimitExceeded` or anything else), and this
 * provider adds none: throttling surfaces at once as `throttled` (retryable) and the agent's backoff
 * calls `apply` again.
 */
import type { Agent } from 'node:http'
import { parsePrefix } from '@vpcmesh/cidr'
import type { Credential, DynamicCredential } from 'tencentcloud-sdk-nodejs/tencentcloud/common/interface.js'
import { Client as VpcClient } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_client.js'
import type { Route, RouteTable } from 'tencentcloud-sdk-nodejs/tencentcloud/services/vpc/v20170312/vpc_models.js'
import {
  type CloudRouteTableSettings,
  ROUTE_TABLE_ERROR_CODES,
  type RouteTableClaim,
  RouteTableError,
  type RouteTableProvider,
  type RouteTableReport,
} from './provider.js'
import { defaultTencentCredential } from './tencent-credentials.js'
import { tencentError } from './tencent-errors.js'
import { type TablePlan, planApply, planIsEmpty, planRemoveAll, tableFence } from './tencent-plan.js'
import { MAX_ROUTE_TABLES, type TencentTarget, resolveTencentSettings } from './tencent-settings.js'

/** Knobs of {@link createTencentRouteTable}; the agent normally passes none. */
export interface TencentRouteTableOptions {
  /**
   * Credentials (fixed keys, or a source such as the SDK's `CvmRoleCredential`).
   * @default the SDK's default chain: environment, credentials file, CVM role, TKE OIDC
   */
  readonly credential?: Credential | DynamicCredential
  /**
   * HTTP agent for the API requests (a proxy agent; tests pin connections to loopback).
   * @default the SDK's: Node's global agent, or a proxy agent when `http_proxy` is set
   */
  readonly agent?: Agent
  /** Per-request timeout in seconds. @default 60 (the SDK's) */
  readonly timeoutSeconds?: number
}

/**
 * Creates the Tencent Cloud provider. Nothing is sent until the first `apply`/`removeAll`.
 * @throws RouteTableError `config` when the settings are invalid (every problem named at once)
 */
export function createTencentRouteTable(
  settings: CloudRouteTableSettings,
  options: TencentRouteTableOptions = {},
): RouteTableProvider {
  const target = resolveTencentSettings(settings)
  const timeout = options.timeoutSeconds ?? 60
  if (!(timeout > 0 && timeout <= 600)) {
    throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `timeoutSeconds ${timeout} must be in (0, 600]`)
  }
  const client = new VpcClient({
    credential: options.credential ?? defaultTencentCredential(),
    region: target.region,
    profile: {
      signMethod: 'TC3-HMAC-SHA256',
      httpProfile: {
        reqMethod: 'POST',
        protocol: target.protocol,
        reqTimeout: timeout,
        ...(target.host === undefined ? {} : { endpoint: target.host }),
        ...(options.agent === undefined ? {} : { agent: options.agent }),
      },
    },
  })
  return new TencentRouteTable(client, target)
}

class TencentRouteTable implements RouteTableProvider {
  readonly kind = 'tencent' as const
  private readonly client: VpcClient
  private readonly target: TencentTarget

  constructor(client: VpcClient, target: TencentTarget) {
    this.client = client
    this.target = target
  }

  async apply(claim: RouteTableClaim): Promise<RouteTableReport> {
    checkEpoch(claim.epoch)
    const prefixes = canonicalPrefixes(claim.prefixes)
    const tables = await this.readTables()
    this.checkFence(tables, claim.epoch)
    const plans = tables.map((t) => planApply(t.RouteTableId!, t.RouteSet ?? [], prefixes, claim.epoch, this.target))
    return this.writeAll(plans)
  }

  async removeAll(epoch: number): Promise<RouteTableReport> {
    checkEpoch(epoch)
    const tables = await this.readTables()
    this.checkFence(tables, epoch)
    return this.writeAll(tables.map((t) => planRemoveAll(t.RouteTableId!, t.RouteSet ?? [], this.target.vpcId)))
  }

  async release(): Promise<void> {}

  /** Every configured table with its routes, in settings order, in one DescribeRouteTables call. */
  private async readTables(): Promise<RouteTable[]> {
    const ids = this.target.routeTableIds
    const res = await this.call('DescribeRouteTables', () =>
      this.client.DescribeRouteTables({ RouteTableIds: [...ids], Limit: String(MAX_ROUTE_TABLES) }),
    )
    const found = new Map((res.RouteTableSet ?? []).map((t) => [t.RouteTableId, t]))
    return ids.map((id) => {
      const table = found.get(id)
      if (table === undefined) {
        throw new RouteTableError(
          ROUTE_TABLE_ERROR_CODES.api,
          `tencent DescribeRouteTables did not return route table ${id} in ${this.target.region}; check routeTableIds`,
        )
      }
      return table
    })
  }

  private checkFence(tables: readonly RouteTable[], epoch: number): void {
    for (const t of tables) {
      const fence = tableFence(t.RouteSet ?? [], this.target.vpcId)
      if (fence > epoch) {
        throw new RouteTableError(
          ROUTE_TABLE_ERROR_CODES.fenced,
          `route table ${t.RouteTableId} records epoch ${fence} for ${this.target.vpcId}, ` +
            `above this gateway's ${epoch}: ` +
            'another gateway became active; nothing was written',
        )
      }
    }
  }

  private async writeAll(plans: readonly TablePlan[]): Promise<RouteTableReport> {
    for (const plan of plans) {
      if (!planIsEmpty(plan)) await this.write(plan)
    }
    return mergeReports(plans.map((p) => p.report))
  }

  /** Re-points and re-marks first (so the new fence is recorded early), then creates, then deletes. */
  private async write(plan: TablePlan): Promise<void> {
    const RouteTableId = plan.routeTableId
    if (plan.replace.length > 0) {
      await this.call('ReplaceRoutes', () => this.client.ReplaceRoutes({ RouteTableId, Routes: plan.replace }))
    }
    if (plan.create.length > 0) {
      await this.call('CreateRoutes', () => this.client.CreateRoutes({ RouteTableId, Routes: plan.create }))
    }
    if (plan.remove.length > 0) {
      // DeleteRoutes reads only RouteId; the SDK's Route type marks the other fields required.
      const Routes = plan.remove as Route[]
      await this.call('DeleteRoutes', () => this.client.DeleteRoutes({ RouteTableId, Routes }))
    }
  }

  private async call<T>(name: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send()
    } catch (e) {
      throw tencentError(name, e)
    }
  }
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `fencing epoch ${epoch} is not a non-negative integer`)
  }
}

/** The claim's prefixes as canonical text, without duplicates. */
function canonicalPrefixes(prefixes: readonly string[]): string[] {
  const out = new Set<string>()
  for (const p of prefixes) {
    try {
      out.add(parsePrefix(p).toString())
    } catch (e) {
      throw new RouteTableError(
        ROUTE_TABLE_ERROR_CODES.config,
        `claimed prefix ${JSON.stringify(p)} is not a CIDR prefix`,
        {
          cause: e,
        },
      )
    }
  }
  return [...out]
}

/** The union of the tables' reports, each prefix once per list, in first-seen order. */
function mergeReports(reports: readonly RouteTableReport[]): RouteTableReport {
  const pick = (k: keyof RouteTableReport) => [...new Set(reports.flatMap((r) => r[k]))]
  return {
    created: pick('created'),
    replaced: pick('replaced'),
    deleted: pick('deleted'),
    conflicts: pick('conflicts'),
  }
}
