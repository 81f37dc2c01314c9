/**
 * The Alibaba Cloud VPC API calls of the `aliyun` route-table provider, through the official SDK
 * (`@alicloud/vpc20160428`, built on `@alicloud/openapi-core`): the client's configuration, its
 * retry policy, and the mapping of the SDK's errors to {@link RouteTableError}.
 *
 * Signing and serialisation are the SDK's: each call is an RPC-style `POST /` with the parameters
 * in the query string, signed with ACS3-HMAC-SHA256 (`Authorization` header over the canonical
 * request; an STS token goes in `x-acs-security-token`).
 *
 * Retries are the SDK's own loop, configured here. In this SDK generation the per-call runtime
 * options (`autoretry`, `maxAttempts`, `backoffPolicy` of `RuntimeOptions`) are not read at all:
 * `doRequest` retries only by `Config.retryOptions`, and without it makes exactly one attempt,
 * even on a network error. We set `retryOptions` so that the SDK retries, with backoff, answers
 * whose code contains `Throttling` (the SDK raises them as `ThrottlingError`) and the documented
 * transient conflicts of route writes (`TaskConflict`, …). A server's `x-acs-retry-after` header
 * takes precedence over our delay (the SDK's rule), capped at `maxDelayMs`. After the last attempt
 * the SDK throws the last error, which maps to `throttled` (or `api`).
 */
import { randomUUID } from 'node:crypto'
import openapi from '@alicloud/openapi-client'
import vpc from '@alicloud/vpc20160428'
import { ROUTE_TABLE_ERROR_CODES, RouteTableError } from './provider.js'

type VpcClient = InstanceType<typeof vpc.default>
/** The SDK client's configuration type (openapi-core's `Config`). */
type VpcConfig = ConstructorParameters<typeof vpc.default>[0]
type RetryOptions = NonNullable<VpcConfig['retryOptions']>
type RetryCondition = RetryOptions['retryCondition'][number]

/** A credentials provider as the SDK takes it (an `@alicloud/credentials` client). */
export type AliyunCredential = NonNullable<openapi.Config['credential']>

/** Static credentials (an AccessKey pair, with an STS token when temporary). */
export interface AliyunAccessKey {
  readonly accessKeyId: string
  readonly accessKeySecret: string
  readonly securityToken?: string | undefined
}

/** How the SDK retries throttled and conflicting calls. */
export interface AliyunRetryOptions {
  /** Attempts per call, the first included. @default 4 */
  readonly maxAttempts?: number
  /** Delay before the first retry, doubled for each next one, with equal jitter. @default 500 */
  readonly baseDelayMs?: number
  /** Cap of one delay, also of a server's `x-acs-retry-after`. @default 10000 */
  readonly maxDelayMs?: number
}

/** Where the SDK talks to and with which credentials. */
export interface AliyunVpcApiOptions {
  readonly region: string
  /** `host[:port]` or `http(s)://host[:port]`; default: the SDK's regional VPC endpoint. */
  readonly endpoint?: string | undefined
  /** A credentials provider (e.g. `new Credential()` of `@alicloud/credentials`: env, file, RAM role). */
  readonly credential?: AliyunCredential | undefined
  /** Static credentials; used when no `credential` is given. */
  readonly accessKey?: AliyunAccessKey | undefined
  readonly retry?: AliyunRetryOptions | undefined
  /** Socket connect timeout. @default 5000 */
  readonly connectTimeoutMs?: number | undefined
  /** Response timeout. @default 10000 */
  readonly readTimeoutMs?: number | undefined
}

/** One route entry as read from the table. */
export interface AliyunRouteEntry {
  readonly id: string
  readonly destination: string
  readonly type: string
  readonly name: string
  readonly description: string
  /** `Available`, `Creating`, `Modifying`, `Deleting`, … */
  readonly status: string
  /** `type:id` of each next hop (`Instance:i-…`). */
  readonly nextHops: readonly string[]
}

/** A next hop to point a route at. */
export interface AliyunNextHop {
  readonly type: 'Instance' | 'NetworkInterface'
  readonly id: string
}

/** Pages of DescribeRouteEntryList read at most (100 entries each; a route table holds at most a few hundred). */
const MAX_PAGES = 50

/** Error codes that mean the credentials were refused (missing, unknown, bad signature, expired). */
const CREDENTIAL_CODES = [
  /^InvalidAccessKeyId/,
  /^InvalidSecurityToken/,
  /^SignatureDoesNotMatch$/,
  /^InvalidCredentials$/,
  /^IncompleteSignature$/,
]

/** Transient refusals of route writes the SDK retries like throttling (see the SDK's CreateRouteEntry notes). */
const TRANSIENT_CODES = [
  'TaskConflict',
  'OperationConflict',
  'IncorrectStatus.RouteTableStatus',
  'SystemBusy',
  'ServiceUnavailable',
]

/** The VPC API calls the provider makes, each returning plain data and throwing {@link RouteTableError}. */
export class AliyunVpcApi {
  private readonly client: VpcClient

  constructor(private readonly opts: AliyunVpcApiOptions) {
    this.client = new vpc.default(buildConfig(opts))
  }

  /** The route table's tags, or throws `api` (`InvalidRouteTableId.NotFound`) when there is no such table. */
  async tableTags(routeTableId: string): Promise<Map<string, string>> {
    const req = new vpc.DescribeRouteTableListRequest({ regionId: this.opts.region, routeTableId })
    const res = await this.call('DescribeRouteTableList', () => this.client.describeRouteTableList(req))
    const table = res.body?.routerTableList?.routerTableListType?.find((t) => t.routeTableId === routeTableId)
    if (!table) {
      const code = 'InvalidRouteTableId.NotFound'
      throw new RouteTableError(
        ROUTE_TABLE_ERROR_CODES.api,
        `DescribeRouteTableList: route table ${routeTableId} not found (${code})`,
        {
          cloudCode: code,
        },
      )
    }
    return new Map((table.tags?.tag ?? []).map((t) => [t.key ?? '', t.value ?? '']))
  }

  /** Every route entry of the table (all pages). */
  async entries(routeTableId: string): Promise<AliyunRouteEntry[]> {
    const out: AliyunRouteEntry[] = []
    let nextToken: string | undefined
    let pages = 0
    do {
      if (++pages > MAX_PAGES) {
        const code = 'TooManyPages'
        throw new RouteTableError(
          ROUTE_TABLE_ERROR_CODES.api,
          `DescribeRouteEntryList: more than ${MAX_PAGES} pages (${code})`,
          { cloudCode: code },
        )
      }
      const req = new vpc.DescribeRouteEntryListRequest({
        regionId: this.opts.region,
        routeTableId,
        maxResult: 100,
        nextToken,
      })
      const res = await this.call('DescribeRouteEntryList', () => this.client.describeRouteEntryList(req))
      for (const e of res.body?.routeEntrys?.routeEntry ?? []) {
        out.push({
          id: e.routeEntryId ?? '',
          destination: e.destinationCidrBlock ?? '',
          type: e.type ?? '',
          name: e.routeEntryName ?? '',
          description: e.description ?? '',
          status: e.status ?? '',
          nextHops: (e.nextHops?.nextHop ?? []).map((h) => `${h.nextHopType}:${h.nextHopId}`),
        })
      }
      nextToken = res.body?.nextToken || undefined
    } while (nextToken)
    return out
  }

  /** Creates a route entry (with a client token, so the SDK's retries cannot create it twice). */
  async create(
    routeTableId: string,
    destination: string,
    hop: AliyunNextHop,
    name: string,
    description: string,
  ): Promise<void> {
    const req = new vpc.CreateRouteEntryRequest({
      regionId: this.opts.region,
      routeTableId,
      destinationCidrBlock: destination,
      nextHopType: hop.type,
      nextHopId: hop.id,
      routeEntryName: name,
      description,
      clientToken: randomUUID(),
    })
    await this.call('CreateRouteEntry', () => this.client.createRouteEntry(req))
  }

  /** Points an existing route entry at another next hop, in place (no window without the route). */
  async modify(routeEntryId: string, hop: AliyunNextHop, description: string): Promise<void> {
    const req = new vpc.ModifyRouteEntryRequest({
      regionId: this.opts.region,
      routeEntryId,
      newNextHopType: hop.type,
      newNextHopId: hop.id,
      description,
    })
    await this.call('ModifyRouteEntry', () => this.client.modifyRouteEntry(req))
  }

  /** Deletes a route entry by id. */
  async delete(routeTableId: string, routeEntryId: string): Promise<void> {
    const req = new vpc.DeleteRouteEntryRequest({ regionId: this.opts.region, routeTableId, routeEntryId })
    await this.call('DeleteRouteEntry', () => this.client.deleteRouteEntry(req))
  }

  /** Sets one tag on the route table. */
  async tag(routeTableId: string, key: string, value: string): Promise<void> {
    const req = new vpc.TagResourcesRequest({
      regionId: this.opts.region,
      resourceType: 'ROUTETABLE',
      resourceId: [routeTableId],
      tag: [new vpc.TagResourcesRequestTag({ key, value })],
    })
    await this.call('TagResources', () => this.client.tagResources(req))
  }

  /** Removes one tag from the route table. */
  async untag(routeTableId: string, key: string): Promise<void> {
    const req = new vpc.UnTagResourcesRequest({
      regionId: this.opts.region,
      resourceType: 'ROUTETABLE',
      resourceId: [routeTableId],
      tagKey: [key],
    })
    await this.call('UnTagResources', () => this.client.unTagResources(req))
  }

  private async call<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw toRouteTableError(name, e)
    }
  }
}

/** Maps an SDK error (after the SDK's retries) to a RouteTableError naming the call and the cloud code. */
export function toRouteTableError(call: string, e: unknown): RouteTableError {
  if (e instanceof RouteTableError) return e
  const err = e as { code?: unknown; name?: unknown; statusCode?: unknown; requestId?: unknown }
  const code =
    typeof err.code === 'string' && err.code !== '' ? err.code : typeof err.name === 'string' ? err.name : 'Unknown'
  const http = typeof err.statusCode === 'number' ? ` (HTTP ${err.statusCode})` : ''
  const rid = typeof err.requestId === 'string' && err.requestId !== 'undefined' ? `, request id ${err.requestId}` : ''
  const what = `${call} failed: ${code}${http}${rid}`
  const opts = { cause: e, cloudCode: code }
  if (CREDENTIAL_CODES.some((re) => re.test(code))) {
    return new RouteTableError(ROUTE_TABLE_ERROR_CODES.credentials, `${what}: the cloud refused the credentials`, opts)
  }
  if (code.includes('Throttling') || err.name === 'ThrottlingError') {
    return new RouteTableError(
      ROUTE_TABLE_ERROR_CODES.throttled,
      `${what}: still throttled after the SDK's retries`,
      opts,
    )
  }
  return new RouteTableError(ROUTE_TABLE_ERROR_CODES.api, what, opts)
}

function buildConfig(opts: AliyunVpcApiOptions): VpcConfig {
  const { protocol, host } = splitEndpoint(opts.endpoint)
  const config = new openapi.Config({
    regionId: opts.region,
    endpoint: host,
    protocol,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    readTimeout: opts.readTimeoutMs ?? 10000,
    userAgent: 'vpcmesh-agent',
  })
  if (opts.credential) config.credential = opts.credential
  else if (opts.accessKey) {
    config.accessKeyId = opts.accessKey.accessKeyId
    config.accessKeySecret = opts.accessKey.accessKeySecret
    if (opts.accessKey.securityToken) config.securityToken = opts.accessKey.securityToken
  }
  // openapi-client's Config and openapi-core's (which the VPC client declares) are two classes
  // with the same fields; the client only reads the fields. `retryOptions` exists only in the latter.
  return Object.assign(config, { retryOptions: retryOptions(opts.retry ?? {}) }) as unknown as VpcConfig
}

/** Splits `http://host:port` into the SDK's `protocol` and `endpoint`; a bare host means https. */
export function splitEndpoint(endpoint: string | undefined): {
  protocol: string | undefined
  host: string | undefined
} {
  if (endpoint === undefined || endpoint === '') return { protocol: undefined, host: undefined }
  const m = /^(https?):\/\/([^/]+)\/?$/.exec(endpoint)
  if (m) return { protocol: m[1], host: m[2] }
  return { protocol: 'https', host: endpoint }
}

/**
 * The SDK's `RetryOptions`, as a plain object of the same shape (the class lives in
 * `@darabonba/typescript`, which the agent does not depend on directly; the SDK reads only these
 * fields). The SDK's `shouldRetry` matches a failed attempt by exception name or error code and
 * stops once `maxAttempts` attempts were made; `getBackoffDelay` asks `backoff.getDelayTime`.
 */
function retryOptions(r: AliyunRetryOptions): RetryOptions {
  const maxAttempts = r.maxAttempts ?? 4
  const base = r.baseDelayMs ?? 500
  const maxDelay = r.maxDelayMs ?? 10_000
  const backoff = {
    policy: 'ExponentialWithEqualJitter',
    getDelayTime: (ctx: { retriesAttempted: number }): number => {
      const ceil = Math.min(maxDelay, base * 2 ** Math.max(0, ctx.retriesAttempted - 1))
      return Math.floor(ceil / 2 + Math.random() * (ceil / 2))
    },
  }
  const condition = (exception: string[], errorCode: string[]): RetryCondition =>
    ({ maxAttempts, backoff, exception, errorCode, maxDelay }) as unknown as RetryCondition
  return {
    retryable: true,
    retryCondition: [
      condition(['ThrottlingError'], ['Throttling', 'Throttling.User', 'Throttling.Api']),
      condition([], TRANSIENT_CODES),
    ],
    noRetryCondition: [],
  } as unknown as RetryOptions
}
