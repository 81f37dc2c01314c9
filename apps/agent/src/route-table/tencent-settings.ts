import { detectFamily, formatAddress, parseAddress } from '@vpcmesh/cidr'
import { type CloudRouteTableSettings, ROUTE_TABLE_ERROR_CODES, RouteTableError } from './provider.js'

/**
 * The Tencent Cloud provider's settings, checked: what `createTencentRouteTable` needs to build
 * the SDK client and to recognise its own routes.
 */
export interface TencentTarget {
  readonly region: string
  /** Route table ids (`rtb-…`), without duplicates, in the order given. */
  readonly routeTableIds: readonly string[]
  /** The next hop: the gateway's primary private IPv4 address (a `NORMAL_CVM` route's GatewayId). */
  readonly gatewayIp: string
  readonly vpcId: string
  /** `profile.httpProfile.protocol` of the SDK: `https://` unless the endpoint says `http://`. */
  readonly protocol: 'https://' | 'http://'
  /** `profile.httpProfile.endpoint` (host, with a port when given), or undefined for the SDK's default. */
  readonly host: string | undefined
}

/** DescribeRouteTables answers at most 100 tables per call; one call reads them all. */
export const MAX_ROUTE_TABLES = 100

/** Longest vpcId that still fits the route description (`vpcmesh <vpcId> epoch <E>`, 100 characters at most). */
const MAX_VPC_ID = 60

/**
 * Checks the settings for Tencent Cloud.
 * @throws RouteTableError `config` naming every problem at once
 */
export function resolveTencentSettings(settings: CloudRouteTableSettings): TencentTarget {
  const problems: string[] = []
  if (!/^[a-z]+(-[a-z0-9]+)+$/.test(settings.region)) {
    problems.push(`region ${JSON.stringify(settings.region)} is not a Tencent Cloud region like ap-guangzhou`)
  }
  const ids = [...new Set(settings.routeTableIds)]
  if (ids.length === 0) problems.push('routeTableIds is empty; give at least one route table id (rtb-…)')
  if (ids.length > MAX_ROUTE_TABLES)
    problems.push(`routeTableIds has ${ids.length} tables; at most ${MAX_ROUTE_TABLES}`)
  for (const id of ids) {
    if (!/^rtb-[a-z0-9]+$/.test(id)) problems.push(`route table id ${JSON.stringify(id)} is not like rtb-azd4dt1c`)
  }
  if (detectFamily(settings.instanceId) !== 4) {
    problems.push(
      `instanceId ${JSON.stringify(settings.instanceId)} must be the gateway's private IPv4 address on Tencent Cloud ` +
        '(the next hop of a NORMAL_CVM route is the instance address, not its ins-… id)',
    )
  }
  if (settings.networkInterfaceId !== undefined) problems.push('networkInterfaceId is for AWS only; leave it unset')
  if (!/^[A-Za-z0-9_.:-]+$/.test(settings.vpcId) || settings.vpcId.length > MAX_VPC_ID) {
    problems.push(`vpcId ${JSON.stringify(settings.vpcId)} must be 1-${MAX_VPC_ID} characters of A-Z a-z 0-9 _ . : -`)
  }
  const endpoint = parseEndpoint(settings.endpoint, problems)
  if (problems.length > 0) {
    throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `tencent route table settings: ${problems.join('; ')}`)
  }
  return {
    region: settings.region,
    routeTableIds: ids,
    gatewayIp: formatAddress(parseAddress(settings.instanceId)),
    vpcId: settings.vpcId,
    ...endpoint,
  }
}

/**
 * Reads an endpoint override: a host (`vpc.internal.tencentcloudapi.com`) or a URL with scheme and
 * optional port (`http://vpc.example.test:8080`). The SDK signs each request (TC3) for the service
 * named by the first DNS label of the host, so that label must be `vpc`.
 */
function parseEndpoint(endpoint: string | undefined, problems: string[]): Pick<TencentTarget, 'protocol' | 'host'> {
  if (endpoint === undefined || endpoint === '') return { protocol: 'https://', host: undefined }
  let url: URL
  try {
    url = new URL(endpoint.includes('://') ? endpoint : `https://${endpoint}`)
  } catch {
    problems.push(`endpoint ${JSON.stringify(endpoint)} is not a host name or URL`)
    return { protocol: 'https://', host: undefined }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    problems.push(`endpoint ${endpoint} must use https or http`)
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') {
    problems.push(`endpoint ${endpoint} must be a bare host (and port): no path, query or user`)
  }
  if (url.hostname.split('.')[0] !== 'vpc') {
    problems.push(
      `endpoint ${endpoint} must be a host whose first label is "vpc" (the SDK signs for that service name)`,
    )
  }
  return { protocol: url.protocol === 'http:' ? 'http://' : 'https://', host: url.host }
}
