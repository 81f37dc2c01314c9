import { type CloudRouteTableSettings, ROUTE_TABLE_ERROR_CODES, RouteTableError } from './provider.js'

const REGION = /^[a-z]{2}(-[a-z0-9]+){1,4}$/
const ROUTE_TABLE_ID = /^rtb-[0-9a-zA-Z]{1,40}$/
const INSTANCE_ID = /^i-[0-9a-zA-Z]{1,40}$/
const ENI_ID = /^eni-[0-9a-zA-Z]{1,40}$/
/** The mesh VPC id names tag keys (`vpcmesh:<vpcId>:routes:<n>`, at most 128 characters). */
const VPC_ID = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * Checks AWS provider settings and reports every problem at once.
 * @throws RouteTableError `config` naming each bad setting
 */
export function validateAwsSettings(settings: CloudRouteTableSettings): void {
  const problems: string[] = []
  const check = (ok: boolean, problem: string): void => {
    if (!ok) problems.push(problem)
  }
  check(REGION.test(settings.region), `region ${JSON.stringify(settings.region)} is not an AWS region (e.g. eu-west-1)`)
  check(settings.routeTableIds.length > 0, 'routeTableIds is empty: name at least one route table (rtb-…)')
  for (const id of settings.routeTableIds) {
    check(ROUTE_TABLE_ID.test(id), `route table id ${JSON.stringify(id)} is not an EC2 route table id (rtb-…)`)
  }
  check(new Set(settings.routeTableIds).size === settings.routeTableIds.length, 'routeTableIds lists a table twice')
  check(INSTANCE_ID.test(settings.instanceId), `instance id ${JSON.stringify(settings.instanceId)} is not i-…`)
  const eni = settings.networkInterfaceId
  check(eni === undefined || ENI_ID.test(eni), `network interface id ${JSON.stringify(eni)} is not eni-…`)
  check(VPC_ID.test(settings.vpcId), `vpc id ${JSON.stringify(settings.vpcId)} must be 1-64 of A-Z a-z 0-9 _ . -`)
  if (settings.endpoint !== undefined) check(isHttpUrl(settings.endpoint), 'endpoint is not an http(s) URL')
  if (problems.length > 0) {
    throw new RouteTableError(ROUTE_TABLE_ERROR_CODES.config, `aws route table settings: ${problems.join('; ')}`)
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:'
  } catch {
    return false
  }
}
