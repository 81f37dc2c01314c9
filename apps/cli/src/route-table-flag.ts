import { isIP } from 'node:net'
import { RouteTableSetting } from '@vpcmesh/protocol'
import type { Flags, FlagSpecs } from './args.js'
import { usageError } from './errors.js'

/** The providers `--route-table` accepts, as the protocol spells them: none, vip, aws, aliyun, tencent. */
export const ROUTE_TABLE_PROVIDERS: readonly RouteTableSetting['provider'][] = RouteTableSetting.shape.provider.options

/** `--route-table PROVIDER` and `--vip ADDRESS/LEN`, shared by `vpc add` and `vpc set`. */
export const ROUTE_TABLE_FLAGS: FlagSpecs = {
  'route-table': { type: 'string' },
  vip: { type: 'string' },
}

/**
 * Help lines of {@link ROUTE_TABLE_FLAGS}, aligned with the other flags of `vpc add` and `vpc set`.
 * The flag list says `--vip ADDRESS`, not `ADDRESS/LEN`: test/deploy.test.ts reads flags from
 * help lines whose placeholder has no slash.
 */
export const ROUTE_TABLE_FLAGS_HELP = `  --route-table PROVIDER  how the VPC's route table follows its active gateway (HA): none (it does
                          not; the default), vip, aws, aliyun or tencent (see docs/operations.md)
  --vip ADDRESS           with --route-table vip: the floating LAN address the active gateway holds,
                          with its prefix length (ADDRESS/LEN), e.g. 10.1.0.254/24`

/**
 * The `routeTable` body field from `--route-table` and `--vip`; undefined when neither is
 * given. `--vip` goes with `--route-table vip` and only with it; the VIP must be an IP
 * address with a prefix length (the controller checks it again and canonicalises it).
 * Throws usage errors.
 */
export function routeTableFromFlags(flags: Flags, command: string): RouteTableSetting | undefined {
  const provider = flags.string('route-table')
  const vip = flags.string('vip')
  if (provider === undefined) {
    if (vip !== undefined) throw usageError('--vip needs --route-table vip', command)
    return undefined
  }
  const known = ROUTE_TABLE_PROVIDERS.find((p) => p === provider)
  if (known === undefined) {
    throw usageError(
      `bad value for --route-table: "${provider}" is not one of ${ROUTE_TABLE_PROVIDERS.join(', ')}`,
      command,
    )
  }
  if (known !== 'vip') {
    if (vip !== undefined) throw usageError(`--vip is only for --route-table vip, not ${known}`, command)
    return { provider: known }
  }
  if (vip === undefined)
    throw usageError('--route-table vip needs --vip ADDRESS/LEN, e.g. --vip 10.1.0.254/24', command)
  if (!isVip(vip)) {
    throw usageError(
      `bad value for --vip: "${vip}" must be an IP address with its prefix length, e.g. 10.1.0.254/24`,
      command,
    )
  }
  return { provider: known, vip }
}

/** True for `ADDRESS/LEN` with an IPv4 (LEN 1-32) or IPv6 (LEN 1-128) address, without a zone (`%eth0`). */
function isVip(text: string): boolean {
  const m = /^([^/%]+)\/(\d{1,3})$/.exec(text)
  if (m === null) return false
  const family = isIP(m[1] ?? '')
  const len = Number(m[2])
  return family !== 0 && len >= 1 && len <= (family === 4 ? 32 : 128)
}
