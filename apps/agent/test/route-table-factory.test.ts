// The route-table factory builds each provider from the VPC's setting and the agent's flags,
// loading a cloud provider's module (and SDK) only when a VPC uses it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopLogger } from '@vpcmesh/common'
import { FakeRunner } from '@vpcmesh/linuxnet/testing'
import { parseAgentConfig } from '../src/config.js'
import { type RouteTableDeps, createRouteTable } from '../src/route-table/factory.js'

/** Factory deps for an agent started with `flags` (besides controller and state dir). */
const deps = (...flags: string[]): RouteTableDeps => ({
  config: parseAgentConfig(['--controller', 'http://127.0.0.1:7700', '--state-dir', '/nonexistent', ...flags], {}),
  runner: new FakeRunner(),
  logger: noopLogger,
  vpcId: 'vpc_0123456789ab',
})
const cloud = (region: string, table: string, instance: string): RouteTableDeps =>
  deps('--cloud-region', region, '--route-table-id', table, '--instance-id', instance)

test('createRouteTable: none is no provider; vip and each cloud provider build from the flags', async () => {
  assert.equal(await createRouteTable({ provider: 'none' }, deps()), undefined)
  const vip = await createRouteTable({ provider: 'vip', vip: '10.1.0.254/24' }, deps('--vip-interface', 'eth1'))
  assert.equal(vip?.kind, 'vip')
  const aws = await createRouteTable(
    { provider: 'aws' },
    cloud('eu-west-1', 'rtb-0123456789abcdef0', 'i-0123456789abcdef0'),
  )
  assert.equal(aws?.kind, 'aws')
  const aliyun = await createRouteTable(
    { provider: 'aliyun' },
    cloud('cn-hangzhou', 'vtb-0123456789abcdef0', 'i-0123456789abcdef0'),
  )
  assert.equal(aliyun?.kind, 'aliyun')
  const tencent = await createRouteTable({ provider: 'tencent' }, cloud('ap-guangzhou', 'rtb-abcd1234', '10.1.0.5'))
  assert.equal(tencent?.kind, 'tencent')
})

test('createRouteTable: a provider without its flags is refused (undefined), not thrown', async () => {
  assert.equal(await createRouteTable({ provider: 'aws' }, deps()), undefined)
  assert.equal(await createRouteTable({ provider: 'vip', vip: '10.1.0.254/24' }, deps()), undefined)
})
