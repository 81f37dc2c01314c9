/**
 * The `aws` route-table provider: points EC2 VPC route tables at the active gateway, through
 * the official SDK (`@aws-sdk/client-ec2`, EC2 Query API 2016-11-15).
 *
 * Ownership and fencing live in tags on each route table (EC2 routes carry no description):
 * `vpcmesh:<vpcId>:epoch` holds the highest epoch a gateway of the VPC wrote, and
 * `vpcmesh:<vpcId>:routes:<n>` the destinations whose routes vpcmesh created (aws-record.ts).
 * A route is vpcmesh's only when its destination is in that record; any other route holding a
 * wanted destination is the operator's (or another mesh VPC's) and is never touched.
 *
 * `apply` makes one read of all tables (DescribeRouteTables) and checks the fence of every
 * table before any write; then it checks the source/destination check of the instance
 * (DescribeInstanceAttribute), or of the ENI when `networkInterfaceId` is set
 * (DescribeNetworkInterfaceAttribute), and turns it off when on (Modify…Attribute). Per table it
 * writes the record first (CreateTags: the new epoch, plus the destinations it is about to
 * create), then the routes (CreateRoute, ReplaceRoute, DeleteRoute), then shrinks the record
 * (CreateTags/DeleteTags) once routes are gone. So a crash never leaves a route vpcmesh created
 * unrecorded, and the epoch is raised before the first route of a new active gateway is written.
 * When the table already matches, it only reads.
 *
 * EC2 has no conditional write, so the fence is check-then-write: a deposed gateway that read
 * the table just before the new one raised the epoch can still complete that one apply; its
 * next apply is refused, and the active gateway's next apply points the routes back.
 *
 * Errors: see aws-errors.ts. Retries (throttling, 5xx, network) are the SDK's own retry
 * strategy (standard mode unless configured), with the `maxAttempts`/`retryStrategy` given.
 */
import {
  CreateRouteCommand,
  CreateTagsCommand,
  DeleteRouteCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeNetworkInterfaceAttributeCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  type EC2ClientConfig,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  type RouteTable,
} from '@aws-sdk/client-ec2'
import { type AwsTableRecord, canonicalCidr, diffTags, readRecord, recordTags } from './aws-record.js'
import { awsError } from './aws-errors.js'
import { type AwsRouteView, type AwsTarget, planTable } from './aws-plan.js'
import { validateAwsSettings } from './aws-settings.js'
import {
  type CloudRouteTableSettings,
  ROUTE_TABLE_ERROR_CODES,
  type RouteTableClaim,
  RouteTableError,
  type RouteTableProvider,
  type RouteTableReport,
} from './provider.js'

/** Knobs of the AWS provider; every one is optional and defaults to the SDK's own behaviour. */
export interface AwsRouteTableOptions {
  /** Credentials or a credential provider; default: the SDK's chain (env, shared files, SSO, instance role). */
  readonly credentials?: EC2ClientConfig['credentials']
  /** Attempts per call including the first (SDK default 3, or `AWS_MAX_ATTEMPTS`). */
  readonly maxAttempts?: number
  /** An SDK retry strategy (e.g. the SDK's `ConfiguredRetryStrategy` with a short delay). */
  readonly retryStrategy?: EC2ClientConfig['retryStrategy']
  /** Socket timeout of one HTTP attempt, ms (default 30 000). */
  readonly requestTimeoutMs?: number
}

/** One table as read: its routes by destination and this VPC's record. */
interface TableState {
  readonly id: string
  readonly routes: ReadonlyMap<string, AwsRouteView>
  readonly record: AwsTableRecord
}

/** Accumulates one call's report (each prefix listed once per list). */
class ReportBuilder {
  private readonly lists = { created: new Set<string>(), replaced: new Set<string>(), deleted: new Set<string>() }
  private readonly conflicts = new Set<string>()

  add(list: 'created' | 'replaced' | 'deleted' | 'conflicts', dest: string): void {
    if (list === 'conflicts') this.conflicts.add(dest)
    else this.lists[list].add(dest)
  }

  build(): RouteTableReport {
    return Object.freeze({
      created: [...this.lists.created].sort(),
      replaced: [...this.lists.replaced].sort(),
      deleted: [...this.lists.deleted].sort(),
      conflicts: [...this.conflicts].sort(),
    })
  }
}

/**
 * Creates the AWS provider. Validates the settings at once; makes no API call until the first
 * `apply` or `removeAll`.
 * @throws RouteTableError `config` when a setting is invalid (every problem in one message)
 */
export function createAwsRouteTable(
  settings: CloudRouteTableSettings,
  options: AwsRouteTableOptions = {},
): RouteTableProvider {
  validateAwsSettings(settings)
  const client = new EC2Client({
    region: settings.region,
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.retryStrategy === undefined ? {} : { retryStrategy: options.retryStrategy }),
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      throwOnRequestTimeout: true,
      connectionTimeout: 10_000,
    },
  })
  return new AwsRouteTable(settings, client)
}

class AwsRouteTable implements RouteTableProvider {
  readonly kind = 'aws' as const
  private readonly settings: CloudRouteTableSettings
  private readonly client: EC2Client
  private readonly target: AwsTarget

  constructor(settings: CloudRouteTableSettings, client: EC2Client) {
    this.settings = settings
    this.client = client
    this.target = { instanceId: settings.instanceId, networkInterfaceId: settings.networkInterfaceId }
  }

  async apply(claim: RouteTableClaim): Promise<RouteTableReport> {
    checkEpoch(claim.epoch)
    const wanted = canonicalPrefixes(claim.prefixes)
    const tables = await this.readTables(claim.epoch)
    await this.disableSourceDestCheck()
    const report = new ReportBuilder()
    for (const table of tables) await this.applyTable(table, claim.epoch, wanted, report)
    return report.build()
  }

  async removeAll(epoch: number): Promise<RouteTableReport> {
    checkEpoch(epoch)
    const tables = await this.readTables(epoch)
    const report = new ReportBuilder()
    for (const table of tables) {
      const plan = planTable(table.routes, table.record.owned, [], this.target)
      for (const dest of plan.remove) await this.deleteRoute(table.id, dest, report)
      await this.writeTags(table.id, table.record.tags, new Map())
    }
    return report.build()
  }

  async release(): Promise<void> {}

  /** One table: record first, then routes, then the shrunk record. */
  private async applyTable(table: TableState, epoch: number, wanted: string[], report: ReportBuilder): Promise<void> {
    const plan = planTable(table.routes, table.record.owned, wanted, this.target)
    const vpcId = this.settings.vpcId
    const before = recordTags(vpcId, epoch, new Set([...table.record.owned, ...plan.create]))
    await this.writeTags(table.id, table.record.tags, before)
    const owned = new Set([...plan.keep, ...plan.replace])
    for (const dest of plan.conflicts) report.add('conflicts', dest)
    for (const dest of plan.create) {
      if (await this.createRoute(table.id, dest, report)) owned.add(dest)
    }
    for (const dest of plan.replace) await this.route('ReplaceRoute', table.id, dest, report)
    for (const dest of plan.remove) await this.deleteRoute(table.id, dest, report)
    await this.writeTags(table.id, before, recordTags(vpcId, epoch, owned))
  }

  /** Reads every configured table in one call and checks each one's fence before any write. */
  private async readTables(epoch: number): Promise<TableState[]> {
    const ids = this.settings.routeTableIds
    const out = await this.send('DescribeRouteTables', (c) =>
      c.send(new DescribeRouteTablesCommand({ RouteTableIds: [...ids] })),
    )
    const byId = new Map((out.RouteTables ?? []).map((t) => [t.RouteTableId, t]))
    const tables = ids.map((id) => this.tableState(id, byId.get(id)))
    for (const table of tables) {
      const recorded = table.record.epoch
      if (recorded !== undefined && recorded > epoch) {
        throw new RouteTableError(
          ROUTE_TABLE_ERROR_CODES.fenced,
          `route table ${table.id} records epoch ${recorded} for ${this.settings.vpcId}, above this gateway's ` +
            `epoch ${epoch}: another gateway became active; nothing was written`,
        )
      }
    }
    return tables
  }

  private tableState(id: string, table: RouteTable | undefined): TableState {
    if (table === undefined) {
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.api, `aws DescribeRouteTables did not return ${id}`)
    }
    let record: AwsTableRecord
    try {
      record = readRecord(table.Tags, this.settings.vpcId)
    } catch (e) {
      throw new RouteTableError(
        ROUTE_TABLE_ERROR_CODES.api,
        `aws route table ${id}: ${(e as Error).message}; delete the tag (the next apply rewrites it)`,
      )
    }
    const routes = new Map<string, AwsRouteView>()
    for (const r of table.Routes ?? []) {
      const dest = canonicalCidr(r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? '')
      if (dest !== undefined)
        routes.set(dest, { dest, instanceId: r.InstanceId, networkInterfaceId: r.NetworkInterfaceId })
    }
    return { id, routes, record }
  }

  /**
   * Reads the source/destination check and turns it off when on (a router must forward). The
   * check is per network interface: with `networkInterfaceId` (a multi-ENI gateway, where the
   * instance-level attribute is refused with InvalidInstanceID) it is that ENI's, the one the
   * routes name; otherwise the instance's (its only ENI).
   */
  private async disableSourceDestCheck(): Promise<void> {
    const eni = this.settings.networkInterfaceId
    if (eni !== undefined) {
      const NetworkInterfaceId = eni
      const attr = await this.send('DescribeNetworkInterfaceAttribute', (c) =>
        c.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId, Attribute: 'sourceDestCheck' })),
      )
      if (attr.SourceDestCheck?.Value === false) return
      await this.send('ModifyNetworkInterfaceAttribute', (c) =>
        c.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId, SourceDestCheck: { Value: false } })),
      )
      return
    }
    const InstanceId = this.settings.instanceId
    const attr = await this.send('DescribeInstanceAttribute', (c) =>
      c.send(new DescribeInstanceAttributeCommand({ InstanceId, Attribute: 'sourceDestCheck' })),
    )
    if (attr.SourceDestCheck?.Value === false) return
    await this.send('ModifyInstanceAttribute', (c) =>
      c.send(new ModifyInstanceAttributeCommand({ InstanceId, SourceDestCheck: { Value: false } })),
    )
  }

  /** Writes the tag difference `from` → `to` on one table (CreateTags, then DeleteTags); nothing when equal. */
  private async writeTags(id: string, from: ReadonlyMap<string, string>, to: ReadonlyMap<string, string>) {
    const { put, remove } = diffTags(from, to)
    if (put.length > 0)
      await this.send('CreateTags', (c) => c.send(new CreateTagsCommand({ Resources: [id], Tags: put })))
    if (remove.length > 0) {
      const Tags = remove.map((Key) => ({ Key }))
      await this.send('DeleteTags', (c) => c.send(new DeleteTagsCommand({ Resources: [id], Tags })))
    }
  }

  /** Creates a route; false when a route appeared for `dest` since the read (then it is not ours: a conflict). */
  private async createRoute(id: string, dest: string, report: ReportBuilder): Promise<boolean> {
    try {
      await this.route('CreateRoute', id, dest, report)
      return true
    } catch (e) {
      if ((e as RouteTableError).cloudCode !== 'RouteAlreadyExists') throw e
      report.add('conflicts', dest)
      return false
    }
  }

  private async route(call: 'CreateRoute' | 'ReplaceRoute', id: string, dest: string, report: ReportBuilder) {
    const input = { RouteTableId: id, ...destination(dest), ...this.targetParams() }
    if (call === 'CreateRoute') await this.send(call, (c) => c.send(new CreateRouteCommand(input)))
    else await this.send(call, (c) => c.send(new ReplaceRouteCommand(input)))
    report.add(call === 'CreateRoute' ? 'created' : 'replaced', dest)
  }

  /** Deletes our route; a route already gone counts as deleted. */
  private async deleteRoute(id: string, dest: string, report: ReportBuilder): Promise<void> {
    try {
      await this.send('DeleteRoute', (c) => c.send(new DeleteRouteCommand({ RouteTableId: id, ...destination(dest) })))
    } catch (e) {
      if ((e as RouteTableError).cloudCode !== 'InvalidRoute.NotFound') throw e
    }
    report.add('deleted', dest)
  }

  private targetParams(): { NetworkInterfaceId: string } | { InstanceId: string } {
    const eni = this.settings.networkInterfaceId
    return eni === undefined ? { InstanceId: this.settings.instanceId } : { NetworkInterfaceId: eni }
  }

  /** Sends one command; every failure becomes a RouteTableError naming `call`. */
  private async send<Out>(call: string, run: (client: EC2Client) => Promise<Out>): Promise<Out> {
    try {
      return await run(this.client)
    } catch (e) {
      throw awsError(call, e)
    }
  }
}

/** The destination parameter of a route call: IPv4 or IPv6. */
function destination(dest: string): { DestinationCidrBlock: string } | { DestinationIpv6CidrBlock: string } {
  return dest.includes(':') ? { DestinationIpv6CidrBlock: dest } : { DestinationCidrBlock: dest }
}

function checkEpoch(epoch: number): void {
  if (!Number.isSafeInteger(epoch) || epoch < 1) {
    throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `fencing epoch ${epoch} is not a positive integer`)
  }
}

/** The claim's prefixes as canonical CIDR text, deduplicated and sorted. */
function canonicalPrefixes(prefixes: readonly string[]): string[] {
  const out = new Set<string>()
  for (const text of prefixes) {
    const canonical = canonicalCidr(text)
    if (canonical === undefined) {
      throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `claim prefix ${JSON.stringify(text)} is not CIDR text`)
    }
    out.add(canonical)
  }
  return [...out].sort()
}
