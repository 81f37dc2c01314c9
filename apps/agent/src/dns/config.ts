import { isIP } from 'node:net'
import { type Prefix, formatAddress, parseAddress, parsePrefix } from '@vpcmesh/cidr'
import { deepFreeze, errorMessage } from '@vpcmesh/common'
import { DNS_ERROR_CODES, DnsError } from './errors.js'
import { normalizeName } from './zone-match.js'

/** An IP literal (canonical text, as Node reports peers: `::1`, not `0:0::1`) and a port. */
export interface DnsEndpoint {
  readonly address: string
  readonly port: number
}

/** A 1:1 translation of A/AAAA answers from one prefix into another of the same family and length. */
export interface AnswerMapping {
  readonly from: Prefix
  readonly to: Prefix
}

/** A zone forwarded to servers inside the VPC that owns it. */
export interface DnsZone {
  /** Normalized zone name (lower-case, no trailing dot), e.g. `b.cluster.local`. */
  readonly zone: string
  /** Normalized suffix the zone is renamed to before forwarding, e.g. `cluster.local`. */
  readonly rewriteTo: string | undefined
  /** Tried in order (see docs/operations.md, "DNS forwarder"). At least one. */
  readonly servers: readonly DnsEndpoint[]
  /** A/AAAA answers inside a `from` prefix are translated into `to`. */
  readonly rewriteAnswers: readonly AnswerMapping[]
}

/** The validated, frozen forwarder configuration made by {@link parseDnsForwarderConfig}. */
export interface DnsForwarderConfig {
  /** UDP and TCP are bound on the same address and port (port 0: UDP picks, TCP follows). */
  readonly listen: DnsEndpoint
  readonly zones: readonly DnsZone[]
  /** Servers for every name outside the zones, tried in order; empty: such queries are REFUSED. */
  readonly upstream: readonly DnsEndpoint[]
  /** Time budget of one query over all its attempts, ms. @default 2000 */
  readonly timeoutMs: number
  /** Queries being forwarded at once; more are answered REFUSED. @default 1024 */
  readonly maxInFlight: number
  /** A client TCP connection with nothing received for this long is closed, ms. @default 10000 */
  readonly tcpIdleMs: number
}

/** The input shape of {@link parseDnsForwarderConfig}: prefixes as CIDR text, knobs optional. */
export interface DnsForwarderConfigInput {
  listen: { address: string; port: number }
  zones?: Array<{
    zone: string
    rewriteTo?: string | undefined
    servers: Array<{ address: string; port: number }>
    rewriteAnswers?: Array<{ from: string; to: string }> | undefined
  }>
  upstream?: Array<{ address: string; port: number }>
  timeoutMs?: number | undefined
  maxInFlight?: number | undefined
  tcpIdleMs?: number | undefined
}

/** Defaults of the optional knobs. */
export const DNS_DEFAULTS = Object.freeze({ timeoutMs: 2000, maxInFlight: 1024, tcpIdleMs: 10_000 })

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/

/**
 * Validates `input` and returns a deep-frozen {@link DnsForwarderConfig}. Reports every
 * problem at once in one DnsError with code `VPCMESH_ERR_DNS_CONFIG`.
 */
export function parseDnsForwarderConfig(input: DnsForwarderConfigInput): DnsForwarderConfig {
  const problems: string[] = []
  const listen = endpoint(input?.listen, 'listen', problems, true)
  const zones = (input?.zones ?? []).map((z, i) => zone(z, `zones[${i}]`, problems))
  const seen = new Set<string>()
  for (const z of zones) {
    if (seen.has(z.zone)) problems.push(`zone ${z.zone} is listed twice`)
    seen.add(z.zone)
  }
  const upstream = (input?.upstream ?? []).map((s, i) => endpoint(s, `upstream[${i}]`, problems, false))
  const timeoutMs = integer(input?.timeoutMs, DNS_DEFAULTS.timeoutMs, 'timeoutMs', 1, 60_000, problems)
  const maxInFlight = integer(input?.maxInFlight, DNS_DEFAULTS.maxInFlight, 'maxInFlight', 1, 60_000, problems)
  const tcpIdleMs = integer(input?.tcpIdleMs, DNS_DEFAULTS.tcpIdleMs, 'tcpIdleMs', 1, 3_600_000, problems)
  if (problems.length > 0) {
    throw new DnsError(DNS_ERROR_CODES.config, `invalid DNS forwarder configuration: ${problems.join('; ')}`)
  }
  return deepFreeze({ listen, zones, upstream, timeoutMs, maxInFlight, tcpIdleMs })
}

/** True when both endpoints name the same address and port. */
export function sameEndpoint(a: DnsEndpoint, b: DnsEndpoint): boolean {
  return a.address === b.address && a.port === b.port
}

function endpoint(e: unknown, where: string, problems: string[], listen: boolean): DnsEndpoint {
  const x = (e ?? {}) as { address?: unknown; port?: unknown }
  const address = typeof x.address === 'string' ? x.address : ''
  if (isIP(address) === 0) problems.push(`${where}.address must be an IPv4 or IPv6 literal`)
  const canonical = isIP(address) === 0 ? address : formatAddress(parseAddress(address))
  const port = typeof x.port === 'number' ? x.port : -1
  if (!Number.isInteger(port) || port < (listen ? 0 : 1) || port > 65_535) {
    problems.push(`${where}.port must be an integer ${listen ? 0 : 1}-65535`)
  }
  return { address: canonical, port }
}

function zoneName(text: unknown, where: string, problems: string[]): string {
  const name = typeof text === 'string' ? normalizeName(text) : ''
  const labels = name.split('.')
  if (name === '' || name.length > 253 || !labels.every((l) => LABEL.test(l))) {
    problems.push(`${where} must be a DNS name below the root (letters, digits, '-', '_'), got ${JSON.stringify(text)}`)
  }
  return name
}

function zone(z: NonNullable<DnsForwarderConfigInput['zones']>[number], where: string, problems: string[]): DnsZone {
  const name = zoneName(z?.zone, `${where}.zone`, problems)
  const rewriteTo = z?.rewriteTo === undefined ? undefined : zoneName(z.rewriteTo, `${where}.rewriteTo`, problems)
  const servers = (Array.isArray(z?.servers) ? z.servers : []).map((s, i) =>
    endpoint(s, `${where}.servers[${i}]`, problems, false),
  )
  if (servers.length === 0) problems.push(`${where}.servers must list at least one server`)
  const rewriteAnswers = (z?.rewriteAnswers ?? []).map((m, i) => mapping(m, `${where}.rewriteAnswers[${i}]`, problems))
  return { zone: name, rewriteTo: rewriteTo === name ? undefined : rewriteTo, servers, rewriteAnswers }
}

function mapping(m: { from: string; to: string }, where: string, problems: string[]): AnswerMapping {
  const from = prefix(m?.from, `${where}.from`, problems)
  const to = prefix(m?.to, `${where}.to`, problems)
  if (from !== undefined && to !== undefined && (from.family !== to.family || from.bits !== to.bits)) {
    problems.push(`${where}: from ${from} and to ${to} must have the same family and prefix length`)
  }
  const none = parsePrefix('0.0.0.0/0')
  return { from: from ?? none, to: to ?? none }
}

function prefix(text: unknown, where: string, problems: string[]): Prefix | undefined {
  try {
    return parsePrefix(String(text))
  } catch (e) {
    problems.push(`${where}: ${errorMessage(e)}`)
    return undefined
  }
}

function integer(v: unknown, dflt: number, where: string, min: number, max: number, problems: string[]): number {
  if (v === undefined) return dflt
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    problems.push(`${where} must be an integer ${min}-${max}`)
    return dflt
  }
  return v
}
