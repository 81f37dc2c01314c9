/** One simulated VPC: a gateway namespace (where the agent runs) and a host behind it. */
export interface TestbedVpc {
  /** Short name (a-z0-9, ≤ 6 characters), used in namespace names. */
  name: string
  /** The VPC's /24, e.g. 10.1.0.0/24: the gateway gets .1, the host .2. */
  cidr: string
}

/** Addresses and namespaces of one VPC in a built testbed. */
export interface TestbedNode {
  name: string
  cidr: string
  /** Namespace of the route-target VM (agent). */
  gwNs: string
  /** Namespace of a host inside the VPC. */
  hostNs: string
  /** The gateway's underlay address (interface `eth0` in gwNs). */
  underlayIp: string
  /** The gateway's IPv6 underlay address (same interface): fd64::N. */
  underlayIp6: string
  /** The gateway's address inside the VPC (interface `lan0`). */
  lanIp: string
  /** The host's address (interface `eth0` in hostNs, default route via lanIp). */
  hostIp: string
  /** The VPC's IPv6 /64 (fd00:N::/64, N = position + 1): the gateway has ::1, the host ::2. */
  cidr6: string
  lanIp6: string
  hostIp6: string
}

/** Underlay (the "internet" between VPCs): a bridge in its own namespace. */
export const UNDERLAY = {
  /** First three octets of the underlay /24. */
  net: '100.64.0',
  /** Address of the bridge in the wan namespace: where the controller listens. */
  wanIp: '100.64.0.254',
  bits: 24,
  /** IPv6 underlay /64 prefix text (addresses are this + N); the bridge has ::fe. */
  net6: 'fd64::',
  wanIp6: 'fd64::fe',
} as const

/** Plans the addresses of each VPC; pure. Throws for a CIDR that is not a /24 or a bad name. */
export function planNodes(prefix: string, vpcs: TestbedVpc[]): TestbedNode[] {
  return vpcs.map((v, i) => {
    if (!/^[a-z0-9]{1,6}$/.test(v.name)) throw new Error(`testbed VPC name "${v.name}" must be 1-6 of a-z0-9`)
    const m = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(v.cidr)
    if (m === null) throw new Error(`testbed VPC cidr "${v.cidr}" must be a /24 like 10.1.0.0/24`)
    const net = m[1] as string
    return {
      name: v.name,
      cidr: v.cidr,
      gwNs: `${prefix}-${v.name}-gw`,
      hostNs: `${prefix}-${v.name}-h`,
      underlayIp: `${UNDERLAY.net}.${i + 1}`,
      underlayIp6: `${UNDERLAY.net6}${i + 1}`,
      lanIp: `${net}.1`,
      hostIp: `${net}.2`,
      cidr6: `fd00:${i + 1}::/64`,
      lanIp6: `fd00:${i + 1}::1`,
      hostIp6: `fd00:${i + 1}::2`,
    }
  })
}
