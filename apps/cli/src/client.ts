import {
  CreateVpcResponse,
  ErrorBody,
  ExplainResponse,
  JoinTokenResponse,
  ListVpcsResponse,
  RouteListResponse,
  StatusResponse,
  VpcResponse,
  type CreateVpcRequest,
  type DrainRequest,
  type ExplainRequest,
  type PatchVpcRequest,
} from '@vpcmesh/protocol'
import { errorMessage, hasCode } from '@vpcmesh/common'
import { ApiCallError, CliErrorCode, UnreachableError } from './errors.js'
import type { Schema } from './validate.js'

/** Options of {@link ApiClient}. */
export interface ApiClientOptions {
  /** Controller base URL without a trailing slash, e.g. `http://127.0.0.1:7700`. */
  readonly baseUrl: string
  /** Admin token, sent as `Authorization: Bearer …` and never included in errors. */
  readonly token: string
  /** The fetch to use (global fetch in production, any fetch in tests). */
  readonly fetch: typeof fetch
  /** Give up on a request after this many ms. @default 30000 */
  readonly timeoutMs?: number
}

/**
 * Typed client of the controller REST API (/v1). Every 2xx body is checked against its
 * protocol schema; a non-2xx answer becomes an {@link ApiCallError} carrying the ErrorBody code;
 * no answer at all becomes an {@link UnreachableError}.
 */
export class ApiClient {
  private readonly opts: ApiClientOptions

  constructor(opts: ApiClientOptions) {
    this.opts = opts
  }

  /** POST /v1/vpcs: registers a VPC and returns it with a one-time join token. */
  async createVpc(req: CreateVpcRequest): Promise<CreateVpcResponse> {
    return await this.call('POST', '/v1/vpcs', CreateVpcResponse, req)
  }

  /** GET /v1/vpcs: every VPC and the mesh version. */
  async listVpcs(): Promise<ListVpcsResponse> {
    return await this.call('GET', '/v1/vpcs', ListVpcsResponse)
  }

  /** GET /v1/vpcs/:id. */
  async getVpc(id: string): Promise<VpcResponse> {
    return await this.call('GET', vpcPath(id), VpcResponse)
  }

  /** PATCH /v1/vpcs/:id with any subset of name, cidrs, endpoint, masquerade. */
  async patchVpc(id: string, req: PatchVpcRequest): Promise<VpcResponse> {
    return await this.call('PATCH', vpcPath(id), VpcResponse, req)
  }

  /** DELETE /v1/vpcs/:id (answers 204 without a body). */
  async deleteVpc(id: string): Promise<void> {
    await this.call('DELETE', vpcPath(id), null)
  }

  /** POST /v1/vpcs/:id/routes: adds an extra prefix the VPC serves (`global`: its wished global prefix). */
  async addRoute(id: string, cidr: string, global?: string): Promise<VpcResponse> {
    return await this.call(
      'POST',
      `${vpcPath(id)}/routes`,
      VpcResponse,
      global === undefined ? { cidr } : { cidr, global },
    )
  }

  /** GET /v1/routes: every prefix routed mesh-wide; with `address`, where that address lands. */
  async listRoutes(address?: string): Promise<RouteListResponse> {
    const q = address === undefined ? '' : `?address=${encodeURIComponent(address)}`
    return await this.call('GET', `/v1/routes${q}`, RouteListResponse)
  }

  /** DELETE /v1/vpcs/:id/routes?cidr=…: removes a route. */
  async removeRoute(id: string, cidr: string): Promise<VpcResponse> {
    return await this.call('DELETE', `${vpcPath(id)}/routes?cidr=${encodeURIComponent(cidr)}`, VpcResponse)
  }

  /** POST /v1/vpcs/:id/join-token: a fresh single-use join token for the VPC's agent. */
  async createJoinToken(id: string): Promise<JoinTokenResponse> {
    return await this.call('POST', `${vpcPath(id)}/join-token`, JoinTokenResponse)
  }

  /**
   * POST /v1/vpcs/:id/gateways/:gateway/drain: moves an HA VPC's active role away from
   * `gateway` (to `req.to`, else any connected standby) and returns the VPC. The body is
   * always sent, `{}` without `to`: the controller answers a POST without a body with 400.
   */
  async drainGateway(id: string, gateway: string, req: DrainRequest = {}): Promise<VpcResponse> {
    return await this.call('POST', `${vpcPath(id)}/gateways/${encodeURIComponent(gateway)}/drain`, VpcResponse, req)
  }

  /** GET /v1/status: every agent's connection, applied version and tunnels. */
  async status(): Promise<StatusResponse> {
    return await this.call('GET', '/v1/status', StatusResponse)
  }

  /** POST /v1/explain: how a packet from src to dst would travel, hop by hop. */
  async explain(req: ExplainRequest): Promise<ExplainResponse> {
    return await this.call('POST', '/v1/explain', ExplainResponse, req)
  }

  private async call<T>(method: string, path: string, schema: Schema<T> | null, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body)
    const text = await res.text()
    if (!res.ok) throw errorFromAnswer(res, text, `${method} ${path}`)
    if (schema === null) return undefined as T
    const parsed = schema.safeParse(parseJson(text))
    if (parsed.success) return parsed.data
    const issue = parsed.error.issues[0]
    const where = issue === undefined ? '' : `: ${issue.path.map(String).join('.') || '(body)'} ${issue.message}`
    throw new ApiCallError(
      CliErrorCode.badResponse,
      `controller answered ${method} ${path} with an unexpected body${where}; are the CLI and controller versions compatible?`,
      { status: res.status },
    )
  }

  private async send(method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.opts.token}`, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const timeoutMs = this.opts.timeoutMs ?? 30_000
    try {
      return await this.opts.fetch(this.opts.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (e) {
      throw new UnreachableError(this.opts.baseUrl, failureReason(e, timeoutMs), e)
    }
  }
}

function vpcPath(id: string): string {
  return `/v1/vpcs/${encodeURIComponent(id)}`
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function errorFromAnswer(res: Response, text: string, what: string): ApiCallError {
  const parsed = ErrorBody.safeParse(parseJson(text))
  if (parsed.success) {
    return new ApiCallError(parsed.data.code, parsed.data.message, {
      status: res.status,
      retryable: parsed.data.retryable,
    })
  }
  const status = `${res.status} ${res.statusText}`.trim()
  return new ApiCallError(CliErrorCode.badResponse, `controller answered ${what} with ${status} and no error body`, {
    status: res.status,
  })
}

/** The most specific reason a fetch failed: undici hides it in `cause` ("fetch failed"). */
export function failureReason(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`
  let reason: unknown = e instanceof Error && e.cause !== undefined ? e.cause : e
  if (reason instanceof AggregateError && reason.errors.length > 0) reason = reason.errors[0]
  if (reason instanceof Error && reason.message !== '') return reason.message
  if (hasCode(reason)) return reason.code
  return errorMessage(e)
}
