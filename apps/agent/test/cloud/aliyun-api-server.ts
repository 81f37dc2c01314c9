/**
 * A local stand-in for the Alibaba Cloud VPC OpenAPI (version 2016-04-28), speaking just enough of
 * it for the `aliyun` route-table provider's tests: the real SDK (`@alicloud/vpc20160428`) is
 * pointed at it with an endpoint override and `protocol: 'http'`.
 *
 * What it checks, as the cloud does: the RPC style request (`POST /`, the parameters in the query
 * string), the `x-acs-action`/`x-acs-version` headers, and the ACS3-HMAC-SHA256 `Authorization`
 * header, recomputed here from the canonical request with the secret of the access key it names
 * (unknown key: `InvalidAccessKeyId.NotFound`, wrong signature: `SignatureDoesNotMatch`).
 * Answers are the cloud's JSON: a body with `RequestId` on success, and on failure an HTTP 4xx/5xx
 * with `{ RequestId, HostId, Code, Message, Recommend }`.
 *
 * State: route tables with their tags and route entries (custom and system), in memory. Every
 * request is recorded in order ({@link AliyunApiServer.requests}), failed ones included.
 * Listens on 127.0.0.1 only.
 */
import { createHash, createHmac } from 'node:crypto'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The API version the VPC SDK must send. */
export const VPC_API_VERSION = '2016-04-28'

/** One route entry of a fake table (the fields DescribeRouteEntryList returns). */
export interface FakeRouteEntry {
  id: string
  destination: string
  nextHopType: string
  nextHopId: string
  name: string
  description: string
  /** `Custom` (ours or the operator's) or `System` (the vSwitch routes). */
  type: 'Custom' | 'System'
  /** `Available` unless a test sets another state. */
  status?: string
}

/** One fake route table. */
export interface FakeRouteTable {
  id: string
  vpcId: string
  tags: Map<string, string>
  entries: FakeRouteEntry[]
}

/** One request the server received, whatever it answered. */
export interface RecordedRequest {
  action: string
  /** The query parameters, decoded (arrays flattened as the SDK sends them: `Tag.1.Key`). */
  params: Record<string, string>
  accessKeyId: string
  /** The STS token sent (`x-acs-security-token`), if any. */
  securityToken: string | undefined
  /** The SDK's retry count of this attempt (`x-acs-retry-attempts`; 0 on the first attempt). */
  retryAttempt: number
  status: number
  /** The error code answered, when the request failed. */
  code?: string
}

/** An error answer to inject. */
export interface InjectedError {
  status: number
  code: string
  message?: string
  /** Only requests for this action are failed (default: any action). */
  action?: string
}

/** The answer Alibaba Cloud gives while an account is throttled. */
export const THROTTLED: InjectedError = {
  status: 400,
  code: 'Throttling.User',
  message: 'Request was denied due to user flow control.',
}

/** Actions that change state; the tests assert none of them was called in some cases. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateRouteEntry',
  'ModifyRouteEntry',
  'DeleteRouteEntry',
  'TagResources',
  'UnTagResources',
])

class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The fake API. Create with {@link startAliyunApiServer}. */
export class AliyunApiServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = []
  /** Route tables by id. */
  readonly tables = new Map<string, FakeRouteTable>()
  /** Largest page DescribeRouteEntryList returns, whatever MaxResult asks. */
  maxPage = 100
  private readonly secrets = new Map<string, string>()
  private readonly expired = new Set<string>()
  private readonly injected: { error: InjectedError; remaining: number }[] = []
  private nextId = 1

  constructor(private readonly server: Server) {}

  /** `127.0.0.1:PORT`, the endpoint to give the SDK (with `protocol: 'http'`). */
  get endpoint(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** Forgets every table, key, injected error and recorded request; ids start again at rte-0001. */
  reset(): void {
    this.tables.clear()
    this.requests.length = 0
    this.injected.length = 0
    this.secrets.clear()
    this.expired.clear()
    this.maxPage = 100
    this.nextId = 1
  }

  /** Accepts requests signed with this access key pair. */
  addAccessKey(id: string, secret: string): void {
    this.secrets.set(id, secret)
  }

  /** Requests signed with this key are answered `InvalidSecurityToken.Expired` from now on. */
  expireAccessKey(id: string): void {
    this.expired.add(id)
  }

  /** Adds an empty route table (besides a system route for its vSwitch). */
  addTable(id: string, vpcId = 'vpc-fake'): FakeRouteTable {
    const table: FakeRouteTable = { id, vpcId, tags: new Map(), entries: [] }
    table.entries.push(this.entry('192.168.0.0/24', 'local', '', 'System'))
    this.tables.set(id, table)
    return table
  }

  /** Adds a route entry as the operator (or anyone else) would. */
  addEntry(tableId: string, destination: string, nextHopId: string, name = '', description = ''): FakeRouteEntry {
    const e = this.entry(destination, nextHopId, name, 'Custom', description)
    this.table(tableId).entries.push(e)
    return e
  }

  /** Fails the next `count` matching requests with `error` (`Infinity`: until {@link clearErrors}). */
  failNext(count: number, error: InjectedError): void {
    this.injected.push({ error, remaining: count })
  }

  /** Drops every injected error that is still pending. */
  clearErrors(): void {
    this.injected.length = 0
  }

  /** The custom entries of a table as `destination -> nextHopId (description)`, sorted. */
  routes(tableId: string): string[] {
    return this.table(tableId)
      .entries.filter((e) => e.type === 'Custom')
      .map((e) => `${e.destination} -> ${e.nextHopId} (${e.description})`)
      .sort()
  }

  /** Stops listening. */
  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }

  /** @internal the request handler. */
  handle(req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const params = Object.fromEntries(url.searchParams)
    const record: RecordedRequest = {
      action: String(req.headers['x-acs-action']),
      params,
      accessKeyId: '',
      securityToken: req.headers['x-acs-security-token'] as string | undefined,
      retryAttempt: Number(req.headers['x-acs-retry-attempts'] ?? 0),
      status: 200,
    }
    this.requests.push(record)
    let status = 200
    let answer: Record<string, unknown>
    const requestId = `req-${this.requests.length}`
    try {
      record.accessKeyId = this.authenticate(req, url, body)
      this.inject(record.action)
      answer = { RequestId: requestId, ...this.dispatch(record.action, params) }
    } catch (e) {
      if (!(e instanceof ApiFailure)) throw e
      status = e.status
      record.code = e.code
      answer = {
        RequestId: requestId,
        HostId: 'vpc.aliyuncs.com',
        Code: e.code,
        Message: e.message,
        Recommend: 'https://api.aliyun.com/troubleshoot',
      }
    }
    record.status = status
    res.writeHead(status, { 'content-type': 'application/json;charset=utf-8' })
    res.end(JSON.stringify(answer))
  }

  private authenticate(req: IncomingMessage, url: URL, body: Buffer): string {
    if (req.method !== 'POST' || url.pathname !== '/')
      throw new ApiFailure(400, 'InvalidParameter', 'RPC requests are POST /')
    if (req.headers['x-acs-version'] !== VPC_API_VERSION)
      throw new ApiFailure(400, 'InvalidVersion', 'Specified parameter Version is not valid.')
    if (!req.headers['x-acs-action'])
      throw new ApiFailure(400, 'MissingAction', 'x-acs-action is mandatory for this action.')
    const auth = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(
      String(req.headers.authorization ?? ''),
    )
    if (!auth) throw new ApiFailure(400, 'MissingAuthorization', 'Authorization is mandatory for this action.')
    const [, accessKeyId, signedHeaders, signature] = auth as unknown as [string, string, string, string]
    const secret = this.secrets.get(accessKeyId)
    if (secret === undefined)
      throw new ApiFailure(404, 'InvalidAccessKeyId.NotFound', 'Specified access key is not found.')
    const payload = createHash('sha256').update(body).digest('hex')
    if (req.headers['x-acs-content-sha256'] !== payload)
      throw new ApiFailure(400, 'SignatureDoesNotMatch', 'The payload hash does not match.')
    const names = signedHeaders.split(';')
    for (const needed of [
      'host',
      'x-acs-action',
      'x-acs-version',
      'x-acs-date',
      'x-acs-signature-nonce',
      'x-acs-content-sha256',
    ]) {
      if (!names.includes(needed)) throw new ApiFailure(400, 'SignatureDoesNotMatch', `${needed} is not signed.`)
    }
    const expected = sign(req, url, names, payload, secret)
    if (expected !== signature)
      throw new ApiFailure(400, 'SignatureDoesNotMatch', 'The request signature does not conform to Aliyun standards.')
    if (this.expired.has(accessKeyId))
      throw new ApiFailure(400, 'InvalidSecurityToken.Expired', 'Specified SecurityToken is expired.')
    return accessKeyId
  }

  private inject(action: string): void {
    const i = this.injected.findIndex(
      (x) => x.remaining > 0 && (x.error.action === undefined || x.error.action === action),
    )
    const hit = this.injected[i]
    if (!hit) return
    hit.remaining -= 1
    if (hit.remaining <= 0) this.injected.splice(i, 1)
    throw new ApiFailure(hit.error.status, hit.error.code, hit.error.message ?? `injected ${hit.error.code}`)
  }

  private dispatch(action: string, p: Record<string, string>): Record<string, unknown> {
    switch (action) {
      case 'DescribeRouteTableList':
        return this.describeTables(p)
      case 'DescribeRouteEntryList':
        return this.describeEntries(p)
      case 'CreateRouteEntry':
        return this.createEntry(p)
      case 'ModifyRouteEntry':
        return this.modifyEntry(p)
      case 'DeleteRouteEntry':
        return this.deleteEntry(p)
      case 'TagResources':
        return this.tag(p)
      case 'UnTagResources':
        return this.untag(p)
      default:
        throw new ApiFailure(
          404,
          'InvalidAction.NotFound',
          `Specified api is not found, please check your url and method: ${action}`,
        )
    }
  }

  private describeTables(p: Record<string, string>): Record<string, unknown> {
    const table = p.RouteTableId === undefined ? undefined : this.tables.get(p.RouteTableId)
    const list = table
      ? [
          {
            RouteTableId: table.id,
            VpcId: table.vpcId,
            RouteTableType: 'System',
            Status: 'Available',
            Tags: { Tag: [...table.tags].map(([Key, Value]) => ({ Key, Value })) },
          },
        ]
      : []
    return { TotalCount: list.length, PageNumber: 1, PageSize: 10, RouterTableList: { RouterTableListType: list } }
  }

  private describeEntries(p: Record<string, string>): Record<string, unknown> {
    const table = this.table(required(p, 'RouteTableId'))
    const size = Math.min(Number(p.MaxResult ?? 50), this.maxPage)
    const start = Number(p.NextToken ?? 0)
    const page = table.entries.slice(start, start + size)
    const next = start + size < table.entries.length ? String(start + size) : ''
    const entries = page.map((e) => ({
      RouteEntryId: e.id,
      RouteTableId: table.id,
      DestinationCidrBlock: e.destination,
      IpVersion: e.destination.includes(':') ? 'ipv6' : 'ipv4',
      Type: e.type,
      Status: e.status ?? 'Available',
      RouteEntryName: e.name,
      Description: e.description,
      NextHops: { NextHop: [{ NextHopType: e.nextHopType, NextHopId: e.nextHopId, Enabled: 1, Weight: 100 }] },
    }))
    return { NextToken: next, TotalCount: table.entries.length, RouteEntrys: { RouteEntry: entries } }
  }

  private createEntry(p: Record<string, string>): Record<string, unknown> {
    const table = this.table(required(p, 'RouteTableId'))
    const destination = required(p, 'DestinationCidrBlock')
    if (table.entries.some((e) => e.destination === destination)) {
      throw new ApiFailure(400, 'InvalidCIDRBlock.Duplicate', 'Specified CIDR block is already exists.')
    }
    const e = this.entry(destination, required(p, 'NextHopId'), p.RouteEntryName ?? '', 'Custom', p.Description ?? '')
    e.nextHopType = p.NextHopType ?? 'Instance'
    table.entries.push(e)
    return { RouteEntryId: e.id }
  }

  private modifyEntry(p: Record<string, string>): Record<string, unknown> {
    const e = this.findEntry(required(p, 'RouteEntryId'))
    if (p.NewNextHopId !== undefined) e.nextHopId = p.NewNextHopId
    if (p.NewNextHopType !== undefined) e.nextHopType = p.NewNextHopType
    if (p.Description !== undefined) e.description = p.Description
    if (p.RouteEntryName !== undefined) e.name = p.RouteEntryName
    return {}
  }

  private deleteEntry(p: Record<string, string>): Record<string, unknown> {
    const id = required(p, 'RouteEntryId')
    for (const table of this.tables.values()) {
      const i = table.entries.findIndex((e) => e.id === id)
      if (i >= 0 && table.entries[i]?.type === 'Custom') {
        table.entries.splice(i, 1)
        return {}
      }
    }
    throw new ApiFailure(404, 'InvalidRouteEntry.NotFound', 'Specified route entry is not found.')
  }

  private tag(p: Record<string, string>): Record<string, unknown> {
    if (p.ResourceType !== 'ROUTETABLE') throw new ApiFailure(400, 'InvalidParameter.ResourceType', 'ResourceType')
    const table = this.table(required(p, 'ResourceId.1'))
    for (let i = 1; p[`Tag.${i}.Key`] !== undefined; i++)
      table.tags.set(required(p, `Tag.${i}.Key`), p[`Tag.${i}.Value`] ?? '')
    return {}
  }

  private untag(p: Record<string, string>): Record<string, unknown> {
    if (p.ResourceType !== 'ROUTETABLE') throw new ApiFailure(400, 'InvalidParameter.ResourceType', 'ResourceType')
    const table = this.table(required(p, 'ResourceId.1'))
    for (let i = 1; p[`TagKey.${i}`] !== undefined; i++) table.tags.delete(required(p, `TagKey.${i}`))
    return {}
  }

  private table(id: string): FakeRouteTable {
    const t = this.tables.get(id)
    if (!t) throw new ApiFailure(404, 'InvalidRouteTableId.NotFound', 'Specified route table does not exist.')
    return t
  }

  private findEntry(id: string): FakeRouteEntry {
    for (const table of this.tables.values()) {
      const e = table.entries.find((x) => x.id === id)
      if (e) return e
    }
    throw new ApiFailure(404, 'InvalidRouteEntry.NotFound', 'Specified route entry is not found.')
  }

  private entry(
    destination: string,
    nextHopId: string,
    name: string,
    type: 'Custom' | 'System',
    description = '',
  ): FakeRouteEntry {
    const id = `rte-${String(this.nextId++).padStart(4, '0')}`
    return {
      id,
      destination,
      nextHopType: type === 'System' ? 'local' : 'Instance',
      nextHopId,
      name,
      description,
      type,
    }
  }
}

function required(p: Record<string, string>, name: string): string {
  const v = p[name]
  if (v === undefined || v === '')
    throw new ApiFailure(400, `MissingParameter.${name}`, `${name} is mandatory for this action.`)
  return v
}

/** RFC 3986 percent-encoding, as the SDK's canonical query string uses it. */
function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** The ACS3-HMAC-SHA256 signature of a received request, hex. */
function sign(req: IncomingMessage, url: URL, signedHeaders: string[], payload: string, secret: string): string {
  const query = [...url.searchParams.keys()]
    .sort()
    .map((k) => `${k}=${encode(url.searchParams.get(k) ?? '')}`)
    .join('&')
  const headers = signedHeaders.map((h) => `${h}:${String(req.headers[h] ?? '').trim()}\n`).join('')
  const canonical = ['POST', '/', query, headers, signedHeaders.join(';'), payload].join('\n')
  const toSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`
  return createHmac('sha256', secret).update(toSign).digest('hex')
}

/** Starts the fake API on 127.0.0.1 and an ephemeral port. */
export async function startAliyunApiServer(): Promise<AliyunApiServer> {
  let api: AliyunApiServer | undefined
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => api?.handle(req, Buffer.concat(chunks), res))
  })
  api = new AliyunApiServer(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return api
}
