/**
 * A local stand-in for the Tencent Cloud VPC API (2017-03-12), for tests only: a node:http server on
 * 127.0.0.1 that speaks the TC3 wire format the official SDK sends (POST `/`, JSON body, `X-TC-Action`,
 * `X-TC-Version`, `X-TC-Region`, `X-TC-Timestamp`, `Authorization: TC3-HMAC-SHA256 …`) and answers
 * `{"Response": {…, "RequestId"}}` or `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`
 * with HTTP 200, as the real API does.
 *
 * It verifies each signature from scratch (service `vpc`, date scope, canonical request over
 * content-type and host, the body's SHA-256) with the secret keys it was given, keeps route tables in
 * memory (DescribeRouteTables, CreateRoutes, ReplaceRoutes, DeleteRoutes), records every request in
 * order, and can inject throttling, expired credentials and arbitrary API errors. Stricter than the
 * cloud in one place: CreateRoutes refuses a destination the table already has.
 */
import { createHash, createHmac } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** A route as the API returns it (the fields the provider reads and writes). */
export interface FakeRoute {
  RouteId: number
  RouteItemId: string
  DestinationCidrBlock: string
  DestinationIpv6CidrBlock?: string
  GatewayType: string
  GatewayId: string
  RouteDescription: string
  RouteType: string
  Enabled: boolean
  RouteTableId: string
  CreatedTime: string
}

/** One request the server received, in arrival order. */
export interface RecordedCall {
  readonly action: string
  readonly secretId: string
  /** Action and key parameters, e.g. `CreateRoutes rtb-a 10.20.0.0/16 via NORMAL_CVM 10.0.0.5 [vpcmesh v epoch 1]`. */
  readonly summary: string
  /** The error code answered, when the request was refused. */
  readonly error?: string
}

interface Table {
  vpcId: string
  routes: FakeRoute[]
}

class ApiError extends Error {
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

const VERSION = '2017-03-12'
const AUTHORIZATION =
  /^TC3-HMAC-SHA256 Credential=([^/]*)\/(\d{4}-\d{2}-\d{2})\/([^/]+)\/tc3_request, SignedHeaders=([a-z;-]+), Signature=([0-9a-f]{64})$/
const GATEWAY_TYPES = new Set(['CVM', 'VPN', 'DIRECTCONNECT', 'PEERCONNECTION', 'HAVIP', 'NAT', 'NORMAL_CVM', 'EIP'])

export class TencentApiServer {
  /** Every request received, refused ones included. */
  readonly calls: RecordedCall[] = []
  private readonly server: http.Server
  private readonly region: string
  private readonly secrets: Map<string, string>
  private readonly tables = new Map<string, Table>()
  private readonly expired = new Map<string, string>()
  private readonly injected: { action: string | undefined; code: string; message: string; left: number }[] = []
  private nextRouteId = 1
  private nextRequest = 1

  private constructor(region: string, secrets: Record<string, string>) {
    this.region = region
    this.secrets = new Map(Object.entries(secrets))
    this.server = http.createServer((req, res) => this.handle(req, res))
  }

  /** Starts a server for `region` accepting the given secretId → secretKey pairs. */
  static async start(region: string, secrets: Record<string, string>): Promise<TencentApiServer> {
    const s = new TencentApiServer(region, secrets)
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve))
    return s
  }

  /**
   * The endpoint to give the provider. The host name's first label must be `vpc` (the SDK signs for
   * the service named by it); `agent()` connects every such name to this server on loopback.
   */
  get endpoint(): string {
    return `http://vpc.tencent.test:${(this.server.address() as AddressInfo).port}`
  }

  /** An HTTP agent that resolves every host name to 127.0.0.1 (no DNS, no packet off loopback). */
  agent(): http.Agent {
    const lookup = (_host: string, opts: any, cb: any) =>
      opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4)
    return new http.Agent({ lookup } as any)
  }

  /** Adds an empty route table. */
  addTable(routeTableId: string, vpcId = 'vpc-fake0001'): void {
    this.tables.set(routeTableId, { vpcId, routes: [] })
  }

  /** Adds a route as an operator would (console or another tool); returns its RouteId. */
  addRoute(routeTableId: string, r: { dest: string; type: string; gateway: string; description?: string }): number {
    const route = this.newRoute(routeTableId, {
      DestinationCidrBlock: r.dest,
      GatewayType: r.type,
      GatewayId: r.gateway,
      RouteDescription: r.description ?? '',
    })
    this.table(routeTableId).routes.push(route)
    return route.RouteId
  }

  /** A copy of the table's routes. */
  routes(routeTableId: string): FakeRoute[] {
    return this.table(routeTableId).routes.map((r) => ({ ...r }))
  }

  /** Answers the next `times` requests (of `action`, or any) with this error. */
  inject(code: string, opts: { times?: number; action?: string; message?: string } = {}): void {
    this.injected.push({
      action: opts.action,
      code,
      message: opts.message ?? `injected ${code}`,
      left: opts.times ?? 1,
    })
  }

  /** Answers the next `times` requests with `RequestLimitExceeded`, as the API does past its rate limit. */
  throttle(times: number): void {
    this.inject('RequestLimitExceeded', { times, message: 'Your current request times equals to `21` in a second.' })
  }

  /** From now on, refuses requests signed by `secretId` with `code` (e.g. AuthFailure.TokenFailure). */
  expireCredential(secretId: string, code = 'AuthFailure.SignatureExpire'): void {
    this.expired.set(secretId, code)
  }

  /** The recorded summaries, e.g. for a deepEqual on the exact call sequence. */
  log(): string[] {
    return this.calls.map((c) => (c.error === undefined ? c.summary : `${c.summary} !${c.error}`))
  }

  /** Forgets the recorded calls. */
  clearCalls(): void {
    this.calls.length = 0
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const requestId = `fake-${this.nextRequest++}`
      const action = header(req, 'x-tc-action')
      let params: any = {}
      let secretId = ''
      let answer: object
      try {
        params = JSON.parse(body || '{}')
        secretId = this.authenticate(req, body)
        this.checkRequest(req)
        this.takeInjected(action)
        answer = this.dispatch(action, params)
        this.calls.push({ action, secretId, summary: summarize(action, params) })
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError('InternalError', String(e))
        this.calls.push({ action, secretId, summary: summarize(action, params), error: err.code })
        answer = { Error: { Code: err.code, Message: err.message } }
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-tc-requestid': requestId })
      res.end(JSON.stringify({ Response: { ...answer, RequestId: requestId } }))
    })
  }

  /** Verifies the TC3-HMAC-SHA256 signature; returns the secretId. */
  private authenticate(req: http.IncomingMessage, body: string): string {
    const auth = header(req, 'authorization')
    const m = AUTHORIZATION.exec(auth)
    if (m === null) throw new ApiError('AuthFailure.InvalidAuthorization', 'Authorization header is malformed')
    const [, secretId, date, service, signedHeaders, signature] = m as unknown as string[]
    const key = this.secrets.get(secretId!)
    if (key === undefined) throw new ApiError('AuthFailure.SecretIdNotFound', 'The SecretId is not found')
    const timestamp = Number(header(req, 'x-tc-timestamp'))
    if (!(Math.abs(Date.now() / 1000 - timestamp) < 300)) throw new ApiError('AuthFailure.SignatureExpire', 'too old')
    if (service !== 'vpc' || date !== new Date(timestamp * 1000).toISOString().slice(0, 10)) {
      throw new ApiError('AuthFailure.SignatureFailure', `bad credential scope ${date}/${service}`)
    }
    const names = signedHeaders!.split(';')
    const canonicalHeaders = names.map((n) => `${n}:${canonicalHeader(req, n)}\n`).join('')
    const url = new URL(req.url ?? '/', 'http://x')
    const request = [req.method, url.pathname, url.search.slice(1), canonicalHeaders, signedHeaders, sha256(body)]
    const toSign = ['TC3-HMAC-SHA256', String(timestamp), `${date}/${service}/tc3_request`, sha256(request.join('\n'))]
    const kDate = hmac(`TC3${key}`, date!)
    const expected = hmac(hmac(hmac(kDate, service!), 'tc3_request'), toSign.join('\n')).toString('hex')
    if (expected !== signature)
      throw new ApiError('AuthFailure.SignatureFailure', 'The provided credentials could not be validated')
    const expiredCode = this.expired.get(secretId!)
    if (expiredCode !== undefined) throw new ApiError(expiredCode, 'The credential has expired')
    return secretId!
  }

  private checkRequest(req: http.IncomingMessage): void {
    if (req.method !== 'POST' || req.url !== '/') throw new ApiError('InvalidParameter', `${req.method} ${req.url}`)
    if (header(req, 'content-type') !== 'application/json') throw new ApiError('InvalidParameter', 'content type')
    if (header(req, 'x-tc-version') !== VERSION) throw new ApiError('NoSuchVersion', header(req, 'x-tc-version'))
    if (header(req, 'x-tc-region') !== this.region) throw new ApiError('UnsupportedRegion', header(req, 'x-tc-region'))
  }

  private takeInjected(action: string): void {
    const i = this.injected.findIndex((x) => x.action === undefined || x.action === action)
    if (i < 0) return
    const inj = this.injected[i]!
    if (--inj.left <= 0) this.injected.splice(i, 1)
    throw new ApiError(inj.code, inj.message)
  }

  private dispatch(action: string, p: any): object {
    switch (action) {
      case 'DescribeRouteTables':
        return this.describe(p)
      case 'CreateRoutes':
        return this.create(p)
      case 'ReplaceRoutes':
        return this.replace(p)
      case 'DeleteRoutes':
        return this.delete(p)
      default:
        throw new ApiError('InvalidAction', `action ${action} is not served by this fake`)
    }
  }

  private describe(p: any): object {
    const ids: string[] = p.RouteTableIds ?? [...this.tables.keys()]
    const set = ids.map((id) => this.tableView(id))
    return { TotalCount: set.length, RouteTableSet: set }
  }

  private tableView(id: string): object {
    const t = this.table(id)
    return {
      VpcId: t.vpcId,
      RouteTableId: id,
      RouteTableName: `table ${id}`,
      AssociationSet: [],
      RouteSet: t.routes,
      Main: false,
      CreatedTime: '2026-01-01 00:00:00',
      TagSet: [],
      LocalCidrForCcn: [],
    }
  }

  private create(p: any): object {
    const t = this.table(p.RouteTableId)
    const routes: any[] = nonEmpty(p.Routes)
    const made = routes.map((r) => {
      checkTarget(r)
      const dest = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock
      if (t.routes.some((x) => (x.DestinationIpv6CidrBlock || x.DestinationCidrBlock) === dest)) {
        throw new ApiError('InvalidParameterValue.Duplicate', `destination ${dest} exists`)
      }
      return this.newRoute(p.RouteTableId, r)
    })
    t.routes.push(...made)
    return { TotalCount: made.length, RouteTableSet: [this.tableView(p.RouteTableId)] }
  }

  private replace(p: any): object {
    const t = this.table(p.RouteTableId)
    const routes: any[] = nonEmpty(p.Routes)
    const olds: FakeRoute[] = []
    const news: FakeRoute[] = []
    for (const r of routes) {
      checkTarget(r)
      const i = t.routes.findIndex((x) => x.RouteId === r.RouteId)
      if (i < 0) throw new ApiError('ResourceNotFound', `route ${r.RouteId} not found in ${p.RouteTableId}`)
      const old = t.routes[i]!
      const next = {
        ...old,
        DestinationCidrBlock: r.DestinationCidrBlock,
        GatewayType: r.GatewayType,
        GatewayId: r.GatewayId,
        RouteDescription: r.RouteDescription ?? '',
      }
      t.routes[i] = next
      olds.push(old)
      news.push(next)
    }
    return { OldRouteSet: olds, NewRouteSet: news }
  }

  private delete(p: any): object {
    const t = this.table(p.RouteTableId)
    const ids = nonEmpty(p.Routes).map((r: any) => r.RouteId)
    const gone = ids.map((id: number) => {
      const r = t.routes.find((x) => x.RouteId === id)
      if (r === undefined) throw new ApiError('ResourceNotFound', `route ${id} not found in ${p.RouteTableId}`)
      return r
    })
    t.routes = t.routes.filter((r) => !ids.includes(r.RouteId))
    return { RouteSet: gone }
  }

  private table(id: string): Table {
    const t = this.tables.get(id)
    if (t === undefined) throw new ApiError('ResourceNotFound', `The specified route table ${id} does not exist.`)
    return t
  }

  private newRoute(routeTableId: string, r: any): FakeRoute {
    const id = this.nextRouteId++
    return {
      RouteId: id,
      RouteItemId: `rti-${String(id).padStart(8, '0')}`,
      DestinationCidrBlock: r.DestinationCidrBlock ?? '',
      ...(r.DestinationIpv6CidrBlock === undefined ? {} : { DestinationIpv6CidrBlock: r.DestinationIpv6CidrBlock }),
      GatewayType: r.GatewayType,
      GatewayId: r.GatewayId,
      RouteDescription: r.RouteDescription ?? '',
      RouteType: 'USER',
      Enabled: true,
      RouteTableId: routeTableId,
      CreatedTime: '2026-01-01 00:00:00',
    }
  }
}

function checkTarget(r: any): void {
  if (!r.DestinationCidrBlock && !r.DestinationIpv6CidrBlock) throw new ApiError('MissingParameter', 'destination')
  if (!GATEWAY_TYPES.has(r.GatewayType)) throw new ApiError('InvalidParameterValue', `GatewayType ${r.GatewayType}`)
  if (!r.GatewayId) throw new ApiError('MissingParameter', 'GatewayId')
}

function nonEmpty(routes: unknown): any[] {
  if (!Array.isArray(routes) || routes.length === 0) throw new ApiError('MissingParameter', 'Routes')
  return routes
}

function summarize(action: string, p: any): string {
  const table = p.RouteTableId ?? (p.RouteTableIds ?? []).join(',')
  const routes = (p.Routes ?? []).map((r: any) => {
    if (action === 'DeleteRoutes') return `#${r.RouteId}`
    const id = r.RouteId === undefined ? '' : `#${r.RouteId} `
    const dest = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock
    return `${id}${dest} via ${r.GatewayType} ${r.GatewayId} [${r.RouteDescription ?? ''}]`
  })
  return [action, table, routes.join(', ')].filter((x) => x !== '').join(' ')
}

function header(req: http.IncomingMessage, name: string): string {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(',') : (v ?? '')
}

/** A header's value as the SDK signs it: `host` without the port, others as sent. */
function canonicalHeader(req: http.IncomingMessage, name: string): string {
  const v = header(req, name)
  return name === 'host' ? v.replace(/:\d+$/, '') : v
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}
