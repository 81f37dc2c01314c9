import type { LocalMesh } from './local-mesh.js'
import type { Testbed } from './testbed.js'
import { UNDERLAY, type TestbedNode } from './topology.js'

/** One gateway of an HA VPC built by {@link buildHaLan}. */
export interface HaGateway {
  /** Agent label in the LocalMesh (its state directory and log name). */
  label: string
  /** Gateway name (`--gateway-name`). */
  name: string
  ns: string
  underlayIp: string
  lanIp: string
}

/** An HA VPC's LAN: its gateways, its host's namespace and the floating address. */
export interface HaLan {
  gateways: HaGateway[]
  /** The floating address (no prefix length); the host's default route points at it. */
  vip: string
  /** `vip/24`, as registered in the VPC's routeTable. */
  vipPrefix: string
}

/**
 * Turns testbed VPC `n` (a /24, gateway .1, host .2) into a VPC with two gateways on one LAN:
 * a bridge namespace joins the host, the node's gateway (`lan0`, .1) and a second gateway
 * namespace (`lan0`, .3, underlay 100.64.0.10 on the wan bridge); the host's default route
 * points at the floating address .254, which no one holds until an agent claims it.
 * Namespaces are added through the testbed, so `destroy()` removes them.
 */
export async function buildHaLan(tb: Testbed, n: TestbedNode): Promise<HaLan> {
  const net = n.cidr.replace(/\.0\/24$/, '')
  const lan = await tb.addNamespace(`${n.name}lan`)
  const gw2 = await tb.addNamespace(`${n.name}gw2`)
  const ip = async (ns: string, ...args: string[]): Promise<void> => {
    await tb.exec(ns, ['ip', ...args])
  }
  await ip(n.gwNs, 'link', 'del', 'lan0')
  await ip(lan, 'link', 'add', 'br0', 'type', 'bridge')
  await ip(lan, 'link', 'set', 'br0', 'up')
  const port = async (i: number, ns: string, ifname: string, addr: string): Promise<void> => {
    await ip(lan, 'link', 'add', `p${i}`, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns)
    await ip(lan, 'link', 'set', `p${i}`, 'master', 'br0', 'up')
    await ip(ns, 'addr', 'add', `${addr}/24`, 'dev', ifname)
    await ip(ns, 'link', 'set', ifname, 'up')
  }
  await port(1, n.gwNs, 'lan0', n.lanIp)
  await port(2, gw2, 'lan0', `${net}.3`)
  await port(3, n.hostNs, 'eth0', n.hostIp)
  const vip = `${net}.254`
  await ip(n.hostNs, 'route', 'add', 'default', 'via', vip)
  const gw2Underlay = `${UNDERLAY.net}.10`
  await ip(tb.wanNs, 'link', 'add', 'wanx', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', gw2)
  await ip(tb.wanNs, 'link', 'set', 'wanx', 'master', 'br0', 'up')
  await ip(gw2, 'addr', 'add', `${gw2Underlay}/${UNDERLAY.bits}`, 'dev', 'eth0')
  await ip(gw2, 'link', 'set', 'eth0', 'up')
  await tb.exec(gw2, ['sysctl', '-qw', 'net.ipv4.ip_forward=1'])
  return {
    vip,
    vipPrefix: `${vip}/24`,
    gateways: [
      { label: n.name, name: `gw-${n.name}1`, ns: n.gwNs, underlayIp: n.underlayIp, lanIp: n.lanIp },
      { label: `${n.name}2`, name: `gw-${n.name}2`, ns: gw2, underlayIp: gw2Underlay, lanIp: `${net}.3` },
    ],
  }
}

/** Starts the agent of HA gateway `g` of VPC `n` (with a join token the first time). */
export function startHaGateway(mesh: LocalMesh, n: TestbedNode, g: HaGateway, joinToken?: string): void {
  mesh.startAgent(n, joinToken, {
    label: g.label,
    ns: g.ns,
    statusIp: g.underlayIp,
    args: ['--gateway-name', g.name, '--advertise-endpoint', `${g.underlayIp}:51820`, '--vip-interface', 'lan0'],
  })
}
