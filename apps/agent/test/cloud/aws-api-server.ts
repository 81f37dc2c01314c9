import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local stand-in for the EC2 Query API (version 2016-11-15), just enough for the `aws`
 * route-table provider: DescribeRouteTables, CreateRoute, ReplaceRoute, DeleteRoute, CreateTags,
 * DeleteTags, Describe/ModifyInstanceAttribute, Describe/ModifyNetworkInterfaceAttribute. It
 * listens on 127.0.0.1 only,
 * checks each request as EC2 would (form-encoded POST, `Action`, `Version`, a SigV4
 * `Authorization` whose signature it recomputes with the known secret), keeps route tables and
 * instances in memory, answers in EC2's XML (errors as `<Response><Errors><Error>`), and records
 * every request in order, also the refused ones.
 */

export const EC2_VERSION = '2016-11-15'
const NS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`
export const WRITE_ACTIONS: ReadonlySet<string> = new Set([
  'CreateRoute',
  'ReplaceRoute',
  'DeleteRoute',
  'CreateTags',
  'DeleteTags',
  'ModifyInstanceAttribute',
  'ModifyNetworkInterfaceAttribute',
])

export interface FakeRoute {
  dest: string
  instanceId?: string
  networkInterfaceId?: string
  gatewayId?: string
  origin: 'CreateRouteTable' | 'CreateRoute'
}

export interface FakeTable {
  vpcId: string
  routes: FakeRoute[]
  tags: Map<string, string>
}

export interface FakeInstance {
  /** Attached ENIs, the primary first. */
  enis: string[]
}

export interface FakeEni {
  instanceId: string | undefined
  sourceDestCheck: boolean
}

/** One request as the server saw it. */
export interface FakeCall {
  readonly action: string
  readonly params: Readonly<Record<string, string>>
  readonly accessKeyId: string
  /** The cloud error code answered, or undefined for success. */
  readonly error: string | undefined
  /** `Action key-params`, plus ` !Code` when answered with an error. */
  readonly summary: string
}

/** The status of an injection that never answers. */
const NO_ANSWER = 0

interface Injection {
  action: string | undefined
  code: string
  status: number
  message: string
  remaining: number
}

class Ec2Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The fake EC2 endpoint. Start with {@link startAwsApiServer}. */
export class AwsApiServer {
  readonly tables = new Map<string, FakeTable>()
  readonly instances = new Map<string, FakeInstance>()
  readonly enis = new Map<string, FakeEni>()
  readonly calls: FakeCall[] = []
  private readonly secrets = new Map<string, string>()
  private readonly expired = new Map<string, string>()
  private readonly injections: Injection[] = []
  private readonly server: Server
  url = ''

  constructor() {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        res.writeHead(500).end(String(e))
      })
    })
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Accepts requests signed with this key pair. */
  addCredentials(accessKeyId: string, secret: string): void {
    this.secrets.set(accessKeyId, secret)
  }

  /** Every request signed with `accessKeyId` is refused with `code` (e.g. RequestExpired, AuthFailure). */
  expire(accessKeyId: string, code = 'RequestExpired'): void {
    this.expired.set(accessKeyId, code)
  }

  /** Throttles the next `times` requests (of `action`, or any) with RequestLimitExceeded / HTTP 503. */
  throttle(times: number, action?: string, code = 'RequestLimitExceeded'): void {
    this.injections.push({ action, code, status: 503, message: 'Request limit exceeded.', remaining: times })
  }

  /** Leaves the next `times` requests (of `action`, or any) unanswered, as a hung connection would. */
  hang(times: number, action?: string): void {
    this.injections.push({ action, code: 'NoAnswer', status: NO_ANSWER, message: '', remaining: times })
  }

  /** Answers the next `times` requests of `action` with an arbitrary EC2 error. */
  fail(action: string, code: string, status = 400, times = 1): void {
    this.injections.push({ action, code, status, message: `injected ${code}`, remaining: times })
  }

  /** Clears the call log. */
  clearCalls(): void {
    this.calls.length = 0
  }

  /** Back to no tables, no instances, no pending injections, an empty call log. */
  reset(): void {
    this.calls.length = 0
    this.injections.length = 0
    this.tables.clear()
    this.instances.clear()
    this.enis.clear()
  }

  addTable(id: string, vpcId = 'vpc-0f00'): FakeTable {
    const table: FakeTable = {
      vpcId,
      routes: [
        { dest: '10.0.0.0/16', gatewayId: 'local', origin: 'CreateRouteTable' },
        { dest: '2600:1f18:aa00:100::/56', gatewayId: 'local', origin: 'CreateRouteTable' },
      ],
      tags: new Map([['Name', 'main']]),
    }
    this.tables.set(id, table)
    return table
  }

  /** An instance with its primary ENI; `attachEni` adds more. */
  addInstance(id: string, eni: string, sourceDestCheck = true): void {
    this.instances.set(id, { enis: [eni] })
    this.enis.set(eni, { instanceId: id, sourceDestCheck })
  }

  attachEni(instanceId: string, eni: string, sourceDestCheck = true): void {
    this.instance(instanceId).enis.push(eni)
    this.enis.set(eni, { instanceId, sourceDestCheck })
  }

  /** The summaries of all recorded requests, in order. */
  summaries(): string[] {
    return this.calls.map((c) => c.summary)
  }

  /** The recorded requests that would change state (whether or not they succeeded). */
  writes(): FakeCall[] {
    return this.calls.filter((c) => WRITE_ACTIONS.has(c.action))
  }

  /** A table's routes as `dest -> target` lines, sorted. */
  routeLines(id: string): string[] {
    const table = this.tables.get(id)
    if (table === undefined) throw new Error(`no table ${id}`)
    return table.routes.map((r) => `${r.dest} -> ${r.gatewayId ?? r.networkInterfaceId ?? r.instanceId}`).sort()
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')))
    const action = params.Action ?? ''
    let accessKeyId = ''
    let error: string | undefined
    let status = 200
    let xml: string
    try {
      accessKeyId = this.authenticate(req, body)
      this.checkRequest(req, params)
      this.inject(action)
      xml = this.dispatch(action, params)
    } catch (e) {
      if (!(e instanceof Ec2Error)) throw e
      if (e.status === NO_ANSWER) {
        this.calls.push({
          action,
          params,
          accessKeyId,
          error: 'NoAnswer',
          summary: `${summarize(action, params)} !NoAnswer`,
        })
        return
      }
      error = e.code
      status = e.status
      xml = errorXml(e.code, e.message)
    }
    const summary = `${summarize(action, params)}${error === undefined ? '' : ` !${error}`}`
    this.calls.push({ action, params, accessKeyId, error, summary })
    res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml)
  }

  /** Verifies the SigV4 signature; returns the access key id. */
  private authenticate(req: IncomingMessage, body: Buffer): string {
    const auth = req.headers.authorization ?? ''
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/ec2\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        auth,
      )
    if (m === null)
      throw new Ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
    const [, accessKeyId, day, region, signedHeaders, signature] = m as unknown as string[]
    const secret = this.secrets.get(accessKeyId!)
    if (secret === undefined)
      throw new Ec2Error(401, 'AuthFailure', 'AWS was not able to validate the provided access credentials')
    const expiredCode = this.expired.get(accessKeyId!)
    if (expiredCode !== undefined) throw new Ec2Error(400, expiredCode, 'Request has expired.')
    const amzDate = String(req.headers['x-amz-date'] ?? '')
    const canonicalHeaders = signedHeaders!
      .split(';')
      .map(
        (h) =>
          `${h}:${String(req.headers[h] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('')
    const url = new URL(req.url ?? '/', 'http://x')
    const canonical = [
      req.method,
      url.pathname,
      url.search.slice(1),
      canonicalHeaders,
      signedHeaders,
      sha256(body),
    ].join('\n')
    const scope = `${day}/${region}/ec2/aws4_request`
    const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(Buffer.from(canonical))].join('\n')
    let key = hmac(`AWS4${secret}`, day!)
    for (const part of [region!, 'ec2', 'aws4_request']) key = hmac(key, part)
    const expected = hmac(key, toSign).toString('hex')
    if (
      !timingSafeEqual(Buffer.from(expected), Buffer.from(signature!)) ||
      !signedHeaders!.split(';').includes('host')
    ) {
      throw new Ec2Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      )
    }
    return accessKeyId!
  }

  private checkRequest(req: IncomingMessage, params: Record<string, string>): void {
    if (req.method !== 'POST' || !String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      throw new Ec2Error(400, 'InvalidRequest', 'expected a form-encoded POST')
    }
    if (params.Version !== EC2_VERSION)
      throw new Ec2Error(400, 'InvalidParameterValue', `bad Version ${params.Version}`)
  }

  private inject(action: string): void {
    const hit = this.injections.find((i) => i.remaining > 0 && (i.action === undefined || i.action === action))
    if (hit === undefined) return
    hit.remaining--
    throw new Ec2Error(hit.status, hit.code, hit.message)
  }

  private dispatch(action: string, p: Record<string, string>): string {
    switch (action) {
      case 'DescribeRouteTables':
        return this.describeRouteTables(p)
      case 'CreateRoute':
        return this.createRoute(p)
      case 'ReplaceRoute':
        return this.replaceRoute(p)
      case 'DeleteRoute':
        return this.deleteRoute(p)
      case 'CreateTags':
        return this.createTags(p)
      case 'DeleteTags':
        return this.deleteTags(p)
      case 'DescribeInstanceAttribute':
        return this.describeInstanceAttribute(p)
      case 'ModifyInstanceAttribute':
        return this.modifyInstanceAttribute(p)
      case 'DescribeNetworkInterfaceAttribute':
        return this.describeEniAttribute(p)
      case 'ModifyNetworkInterfaceAttribute':
        return this.modifyEniAttribute(p)
      default:
        throw new Ec2Error(400, 'InvalidAction', `The action ${action} is not valid for this web service.`)
    }
  }

  private describeRouteTables(p: Record<string, string>): string {
    const ids = list(p, 'RouteTableId')
    for (const id of ids) this.table(id)
    const items = (ids.length > 0 ? ids : [...this.tables.keys()]).map((id) => tableXml(id, this.table(id))).join('')
    return ok('DescribeRouteTables', `<routeTableSet>${items}</routeTableSet>`)
  }

  private createRoute(p: Record<string, string>): string {
    const table = this.table(need(p, 'RouteTableId'))
    const dest = destOf(p)
    if (table.routes.some((r) => r.dest === dest)) {
      throw new Ec2Error(400, 'RouteAlreadyExists', `The route identified by ${dest} already exists.`)
    }
    table.routes.push({ dest, origin: 'CreateRoute', ...this.targetOf(p) })
    return ok('CreateRoute', '<return>true</return>')
  }

  private replaceRoute(p: Record<string, string>): string {
    const route = this.route(p)
    route.instanceId = undefined
    route.networkInterfaceId = undefined
    route.gatewayId = undefined
    Object.assign(route, this.targetOf(p))
    return ok('ReplaceRoute', '<return>true</return>')
  }

  private deleteRoute(p: Record<string, string>): string {
    const table = this.table(need(p, 'RouteTableId'))
    const route = this.route(p)
    table.routes = table.routes.filter((r) => r !== route)
    return ok('DeleteRoute', '<return>true</return>')
  }

  private createTags(p: Record<string, string>): string {
    const tables = list(p, 'ResourceId').map((id) => this.table(id))
    for (const [key, value] of tagParams(p)) {
      if (value === undefined || value.length > 256 || key.length > 128) {
        throw new Ec2Error(400, 'InvalidParameterValue', `bad tag ${key}`)
      }
      for (const t of tables) t.tags.set(key, value)
    }
    return ok('CreateTags', '<return>true</return>')
  }

  private deleteTags(p: Record<string, string>): string {
    const tables = list(p, 'ResourceId').map((id) => this.table(id))
    for (const [key, value] of tagParams(p)) {
      for (const t of tables) if (value === undefined || t.tags.get(key) === value) t.tags.delete(key)
    }
    return ok('DeleteTags', '<return>true</return>')
  }

  private describeInstanceAttribute(p: Record<string, string>): string {
    const id = need(p, 'InstanceId')
    const eni = this.eni(this.onlyEni(id))
    if (need(p, 'Attribute') !== 'sourceDestCheck') throw new Ec2Error(400, 'InvalidParameterValue', 'attribute')
    const value = `<sourceDestCheck><value>${eni.sourceDestCheck}</value></sourceDestCheck>`
    return ok('DescribeInstanceAttribute', `<instanceId>${id}</instanceId>${value}`)
  }

  private modifyInstanceAttribute(p: Record<string, string>): string {
    const eni = this.eni(this.onlyEni(need(p, 'InstanceId')))
    eni.sourceDestCheck = need(p, 'SourceDestCheck.Value') === 'true'
    return ok('ModifyInstanceAttribute', '<return>true</return>')
  }

  private describeEniAttribute(p: Record<string, string>): string {
    const id = need(p, 'NetworkInterfaceId')
    const eni = this.eni(id)
    if (need(p, 'Attribute') !== 'sourceDestCheck') throw new Ec2Error(400, 'InvalidParameterValue', 'attribute')
    const value = `<sourceDestCheck><value>${eni.sourceDestCheck}</value></sourceDestCheck>`
    return ok('DescribeNetworkInterfaceAttribute', `<networkInterfaceId>${id}</networkInterfaceId>${value}`)
  }

  private modifyEniAttribute(p: Record<string, string>): string {
    const eni = this.eni(need(p, 'NetworkInterfaceId'))
    eni.sourceDestCheck = need(p, 'SourceDestCheck.Value') === 'true'
    return ok('ModifyNetworkInterfaceAttribute', '<return>true</return>')
  }

  /** Like EC2: instance-level network calls are refused when the instance has several ENIs. */
  private onlyEni(instanceId: string): string {
    const enis = this.instance(instanceId).enis
    if (enis.length !== 1) {
      throw new Ec2Error(
        400,
        'InvalidInstanceID',
        `There are multiple interfaces attached to instance '${instanceId}'. ` +
          'Please specify an interface ID for the operation instead.',
      )
    }
    return enis[0]!
  }

  private eni(id: string): FakeEni {
    const e = this.enis.get(id)
    if (e === undefined) {
      throw new Ec2Error(400, 'InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`)
    }
    return e
  }

  private table(id: string): FakeTable {
    const t = this.tables.get(id)
    if (t === undefined)
      throw new Ec2Error(400, 'InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`)
    return t
  }

  private instance(id: string): FakeInstance {
    const i = this.instances.get(id)
    if (i === undefined) throw new Ec2Error(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`)
    return i
  }

  private route(p: Record<string, string>): FakeRoute {
    const dest = destOf(p)
    const route = this.table(need(p, 'RouteTableId')).routes.find((r) => r.dest === dest)
    if (route === undefined) throw new Ec2Error(400, 'InvalidRoute.NotFound', `no route with destination ${dest}`)
    return route
  }

  /** Like EC2: a route to an instance also names its primary ENI; a route to an ENI names its instance. */
  private targetOf(p: Record<string, string>): Pick<FakeRoute, 'instanceId' | 'networkInterfaceId'> {
    if (p.InstanceId !== undefined) return { instanceId: p.InstanceId, networkInterfaceId: this.onlyEni(p.InstanceId) }
    const eni = need(p, 'NetworkInterfaceId')
    return { networkInterfaceId: eni, instanceId: this.eni(eni).instanceId }
  }
}

/** Starts a fake EC2 endpoint on 127.0.0.1 (a free port). */
export async function startAwsApiServer(): Promise<AwsApiServer> {
  const server = new AwsApiServer()
  await server.listen()
  return server
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest()
}

function need(p: Record<string, string>, name: string): string {
  const v = p[name]
  if (v === undefined || v === '')
    throw new Ec2Error(400, 'MissingParameter', `The request must contain the parameter ${name}`)
  return v
}

/** EC2 query lists: `Name.1`, `Name.2`, … */
function list(p: Record<string, string>, name: string): string[] {
  const out: string[] = []
  for (let i = 1; p[`${name}.${i}`] !== undefined; i++) out.push(p[`${name}.${i}`]!)
  return out
}

function tagParams(p: Record<string, string>): Array<[string, string | undefined]> {
  const out: Array<[string, string | undefined]> = []
  for (let i = 1; p[`Tag.${i}.Key`] !== undefined; i++) out.push([p[`Tag.${i}.Key`]!, p[`Tag.${i}.Value`]])
  return out
}

function destOf(p: Record<string, string>): string {
  const dest = p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock
  if (dest === undefined) throw new Ec2Error(400, 'MissingParameter', 'a destination is required')
  return dest
}

/** `Action key-params`: what the tests compare. */
function summarize(action: string, p: Record<string, string>): string {
  const dest = p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock
  const target = p.NetworkInterfaceId ?? p.InstanceId
  switch (action) {
    case 'DescribeRouteTables':
      return `${action} ${list(p, 'RouteTableId').join(',')}`
    case 'CreateRoute':
    case 'ReplaceRoute':
      return `${action} ${p.RouteTableId} ${dest} -> ${target}`
    case 'DeleteRoute':
      return `${action} ${p.RouteTableId} ${dest}`
    case 'CreateTags':
      return `${action} ${list(p, 'ResourceId').join(',')} ${tagParams(p)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`
    case 'DeleteTags':
      return `${action} ${list(p, 'ResourceId').join(',')} ${tagParams(p)
        .map(([k]) => k)
        .join(' ')}`
    case 'DescribeInstanceAttribute':
      return `${action} ${p.InstanceId} ${p.Attribute}`
    case 'ModifyInstanceAttribute':
      return `${action} ${p.InstanceId} SourceDestCheck=${p['SourceDestCheck.Value']}`
    case 'DescribeNetworkInterfaceAttribute':
      return `${action} ${p.NetworkInterfaceId} ${p.Attribute}`
    case 'ModifyNetworkInterfaceAttribute':
      return `${action} ${p.NetworkInterfaceId} SourceDestCheck=${p['SourceDestCheck.Value']}`
    default:
      return action
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function ok(action: string, inner: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${NS}">` +
    `<requestId>${randomUUID()}</requestId>${inner}</${action}Response>`
  )
}

function errorXml(code: string, message: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>' +
    `<Code>${esc(code)}</Code><Message>${esc(message)}</Message></Error></Errors>` +
    `<RequestID>${randomUUID()}</RequestID></Response>`
  )
}

function routeXml(r: FakeRoute): string {
  const dest = r.dest.includes(':')
    ? `<destinationIpv6CidrBlock>${r.dest}</destinationIpv6CidrBlock>`
    : `<destinationCidrBlock>${r.dest}</destinationCidrBlock>`
  const target =
    (r.gatewayId === undefined ? '' : `<gatewayId>${r.gatewayId}</gatewayId>`) +
    (r.instanceId === undefined
      ? ''
      : `<instanceId>${r.instanceId}</instanceId><instanceOwnerId>111122223333</instanceOwnerId>`) +
    (r.networkInterfaceId === undefined ? '' : `<networkInterfaceId>${r.networkInterfaceId}</networkInterfaceId>`)
  return `<item>${dest}${target}<state>active</state><origin>${r.origin}</origin></item>`
}

function tableXml(id: string, t: FakeTable): string {
  const tags = [...t.tags].map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`).join('')
  return (
    `<item><routeTableId>${id}</routeTableId><vpcId>${t.vpcId}</vpcId><ownerId>111122223333</ownerId>` +
    `<routeSet>${t.routes.map(routeXml).join('')}</routeSet><associationSet/><propagatingVgwSet/>` +
    `<tagSet>${tags}</tagSet></item>`
  )
}
