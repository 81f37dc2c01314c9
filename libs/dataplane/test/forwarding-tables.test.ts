// What a data plane uploads to a forwarding engine (forwarding-tables.ts): stable peer
// indices, group ids, routes and slot owners, watched through a spy on the engine's tables.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopLogger } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import type { ForwardingRoute } from '@vpcmesh/tun'
import { ChannelNetwork, MemoryPacketEngine } from '@vpcmesh/tun/testing'
import { createDataplane } from '../src/index.js'
import { cfg, peer } from './config-fixtures.js'

/** A data plane on a forwarding engine, and every table call it makes. */
function rig(): {
  dp: ReturnType<typeof createDataplane>
  engine: MemoryPacketEngine
  routes: string[][]
  peers: Map<number, [number, number]>
  calls: string[]
} {
  const engine = new MemoryPacketEngine(new ChannelNetwork(), {
    endpoint: { address: '192.0.2.1', port: 51820 },
    maxSlots: 64,
    workers: 1,
  })
  const fwd = engine.forwarding
  assert.ok(fwd !== undefined)
  const out = { engine, routes: [] as string[][], peers: new Map<number, [number, number]>(), calls: [] as string[] }
  const setRoutes = fwd.setRoutes.bind(fwd)
  const setPeer = fwd.setPeer.bind(fwd)
  fwd.setRoutes = (routes: readonly ForwardingRoute[]) => {
    out.routes.push(routes.map((r) => `${r.address.join('.')}/${r.bits}>${r.peer}`))
    setRoutes(routes)
  }
  fwd.setPeer = (index, slot, group) => {
    out.calls.push(`peer ${index} ${slot} ${group}`)
    out.peers.set(index, [slot, group])
    setPeer(index, slot, group)
  }
  const dp = createDataplane({ engine, clock: new FakeClock(), logger: noopLogger })
  return { ...out, dp }
}

const P = {
  b: peer('b', ['10.2.0.0/16'], { group: 'vpc-x' }),
  c: peer('c', ['10.3.0.0/16', '10.33.0.0/16'], { group: 'vpc-x' }),
  d: peer('d', ['10.4.0.0/16']),
  e: peer('e', ['10.5.0.0/16']),
}

test('forwarding tables: each peer gets a small index; peers of one group share a group id', () => {
  const r = rig()
  r.dp.reconfig(cfg([P.b, P.c, P.d]))
  assert.deepEqual(r.routes, [['10.2.0.0/16>0', '10.3.0.0/16>1', '10.33.0.0/16>1', '10.4.0.0/16>2']])
  const [b, c, d] = [r.peers.get(0), r.peers.get(1), r.peers.get(2)]
  assert.deepEqual([b?.[0], c?.[0], d?.[0]], [-1, -1, -1], 'no send slot before a handshake')
  assert.equal(b?.[1], c?.[1], 'b and c are gateways of one VPC')
  assert.notEqual(b?.[1], d?.[1])
  assert.ok((b?.[1] ?? 0) > 0 && (d?.[1] ?? 0) > 0, 'group 0 is never a configured group')
  r.dp.start()
  assert.equal(r.routes.length, 1, 'start uploads nothing new: the routes are current')
  r.dp.close()
})

test('forwarding tables: a removed peer is cleared and its index reused only once no route names it', () => {
  const r = rig()
  const { b, c, d, e } = P
  r.dp.reconfig(cfg([b, c, d]))
  r.calls.length = 0
  assert.equal(r.dp.reconfig(cfg([b, d, e])), 'changed')
  assert.deepEqual(r.calls.slice(0, 2), ['peer 1 -1 0', `peer 3 -1 ${(r.peers.get(3) ?? [0, 0])[1]}`])
  assert.deepEqual(r.routes.at(-1), ['10.2.0.0/16>0', '10.4.0.0/16>2', '10.5.0.0/16>3'])
  assert.equal(r.dp.reconfig(cfg([b, d, e, { ...c, id: 'c2', name: 'c2' }])), 'changed')
  assert.deepEqual(r.routes.at(-1), [
    '10.2.0.0/16>0',
    '10.4.0.0/16>2',
    '10.5.0.0/16>3',
    '10.3.0.0/16>1',
    '10.33.0.0/16>1',
  ])
  const before = r.routes.length
  assert.equal(r.dp.reconfig(cfg([{ ...b, name: 'b-renamed' }, d, e, { ...c, id: 'c2', name: 'c2' }])), 'changed')
  assert.equal(r.routes.length, before, 'a change that moves no route uploads no routes')
  r.dp.close()
})

test('forwarding tables: a group change gives the peer the new group id; the old group keeps its id', () => {
  const r = rig()
  const { b, c } = P
  r.dp.reconfig(cfg([b, c]))
  const group = r.peers.get(0)?.[1]
  r.dp.reconfig(cfg([{ ...b, group: 'vpc-y' }, c]))
  assert.equal(r.peers.get(1)?.[1], group)
  assert.notEqual(r.peers.get(0)?.[1], group)
  r.dp.reconfig(cfg([{ ...b, group: 'vpc-x' }, c]))
  assert.equal(r.peers.get(0)?.[1], group, 'back in vpc-x: the id c kept')
  r.dp.close()
})
