// The RouterConfig the LinuxRouter tests start from (FakeRunner and real namespace alike).
import type { RouterConfig } from '../src/index.js'

/** TUN vmt0, two IPv4 and one IPv6 route (unsorted), one local CIDR, masquerade on. */
export const BASE: RouterConfig = {
  tunName: 'vmt0',
  mtu: 1380,
  routes: ['10.2.0.0/16', '10.1.0.0/16', 'fd00:2::/64'],
  localCidrs: ['10.0.0.0/16'],
  masquerade: true,
}
