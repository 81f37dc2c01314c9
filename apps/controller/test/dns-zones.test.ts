import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePrefix } from '@vpcmesh/cidr'
import { assertDnsServersInside } from '../src/state/registry-ops.js'

const inside = [parsePrefix('10.2.0.0/24'), parsePrefix('10.96.0.0/12')]

test('DNS zones: servers inside the VPC prefixes pass; outside, not an IP, or a zone twice is refused', () => {
  assertDnsServersInside(
    [
      { zone: 'corp.internal', server: '10.2.0.53' },
      { zone: 'b.cluster.local', server: '10.96.0.10:53', rewriteTo: 'cluster.local' },
    ],
    inside,
  )
  const refused = (zones: Parameters<typeof assertDnsServersInside>[0], re: RegExp): void => {
    assert.throws(
      () => assertDnsServersInside(zones, inside),
      (e: { code?: string; message?: string }) => e.code === 'VPCMESH_ERR_VALIDATION' && re.test(e.message ?? ''),
    )
  }
  refused([{ zone: 'corp.internal', server: '10.3.0.53' }], /not inside the VPC's CIDRs or routes/)
  refused([{ zone: 'corp.internal', server: 'ns1.corp.internal' }], /must be an IP address/)
  refused([{ zone: 'corp.internal', server: '10.2.0.53:70000' }], /must be an IP address|port must be/)
  refused(
    [
      { zone: 'corp.internal', server: '10.2.0.53' },
      { zone: 'CORP.internal', server: '10.2.0.54' },
    ],
    /listed twice/,
  )
})
