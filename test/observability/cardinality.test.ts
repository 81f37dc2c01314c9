// Label cardinality of an agent's data plane (docs/metrics.md, "Label cardinality"): the series
// an agent exports are C + k·N for N peers, k counted from the per-peer metrics of METRICS and
// their label sets. Checked on a real data plane rendering through prom-client (the production
// Metrics), configured with 0, 3 and 6 peers that are real data planes on an in-memory network,
// so every per-peer series exists (traffic both ways, handshake age, RTT).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeClock } from '@vpcmesh/common/testing'
import { noopLogger } from '@vpcmesh/common'
import {
  createDataplane,
  DROP_REASONS,
  generateKeyPair,
  HANDSHAKE_RESULTS,
  METRICS,
  type Dataplane,
  type DataplaneConfig,
  type KeyPairText,
  type PeerConfig,
} from '@vpcmesh/dataplane'
import { prometheusMetrics, type Metrics } from '@vpcmesh/metrics'
import { MemoryPacketEngine, ChannelNetwork } from '@vpcmesh/tun/testing'

/** Values of the `direction` label of the per-peer counters. */
const DIRECTIONS = ['tx', 'rx']

/** k: series per peer, from METRICS: each metric with a `peer` label, times its other labels' value counts. */
const K = METRICS.filter((m) => m.labels.includes('peer')).reduce(
  (sum, m) =>
    sum +
    m.labels.filter((l) => l !== 'peer').reduce((n, l) => n * (l === 'direction' ? DIRECTIONS.length : Number.NaN), 1),
  0,
)

/** Upper bound of the data plane's series without a `peer` label: one per label value of each. */
const C_MAX = METRICS.filter((m) => !m.labels.includes('peer')).reduce(
  (sum, m) =>
    sum +
    (m.labels.length === 0
      ? 1
      : m.labels[0] === 'reason'
        ? DROP_REASONS.length
        : m.labels[0] === 'result'
          ? HANDSHAKE_RESULTS.length
          : m.labels[0] === 'direction'
            ? DIRECTIONS.length
            : Number.NaN),
  0,
)

interface Node {
  name: string
  keys: KeyPairText
  engine: MemoryPacketEngine
  dataplane: Dataplane
  endpoint: { address: string; port: number }
  prefix: string
}

/** Series lines of a text exposition, split into per-peer and the rest. */
function count(text: string): { all: number; perPeer: number; peers: Set<string> } {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
  const peers = new Set(lines.flatMap((l) => /peer="([^"]*)"/.exec(l)?.[1] ?? []))
  return { all: lines.length, perPeer: lines.filter((l) => l.includes('peer="')).length, peers }
}

test('cardinality: k is 7 (bytes and packets by direction; up, handshake age, RTT) and C is bounded by the label sets', () => {
  assert.equal(K, 7)
  assert.equal(C_MAX, 1 + DROP_REASONS.length + HANDSHAKE_RESULTS.length + DIRECTIONS.length)
  assert.equal(C_MAX, 26)
})

test('cardinality: a data plane exports C + k·N series; 6 peers add exactly 3·k over 3 peers, as 3 peers do over 0', async () => {
  const network = new ChannelNetwork()
  const clock = new FakeClock()
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 12; i++)
      await new Promise<void>((resolve) => {
        setImmediate(resolve)
      })
  }
  const step = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += 50) {
      clock.advance(50)
      await flush()
    }
  }
  const make = (i: number, metrics?: Metrics): Node => {
    const endpoint = { address: `192.0.2.${i + 1}`, port: 51820 }
    const engine = new MemoryPacketEngine(network, { endpoint, tunName: `card${i}`, maxSlots: 64 })
    const dataplane = createDataplane(
      { engine, clock, logger: noopLogger, ...(metrics === undefined ? {} : { metrics }) },
      { keepaliveMs: 1000 },
    )
    return {
      name: i === 0 ? 'self' : `peer${i}`,
      keys: generateKeyPair(),
      engine,
      dataplane,
      endpoint,
      prefix: `10.${i}.0.0/24`,
    }
  }
  const metrics = prometheusMetrics()
  const self = make(0, metrics)
  const peers = [1, 2, 3, 4, 5, 6].map((i) => make(i))
  const peerConfig = (n: Node): PeerConfig => ({
    id: `id-${n.name}`,
    name: n.name,
    publicKey: n.keys.publicKey,
    endpoint: { ...n.endpoint },
    allowedPrefixes: [n.prefix],
  })
  const selfConfig = (n: number): DataplaneConfig => ({
    privateKey: self.keys.privateKey,
    peers: peers.slice(0, n).map(peerConfig),
  })
  try {
    for (const p of peers) {
      p.dataplane.reconfig({ privateKey: p.keys.privateKey, peers: [peerConfig(self)] })
      p.dataplane.start()
    }
    self.dataplane.reconfig(selfConfig(0))
    self.dataplane.start()
    await step(500)
    const render = async (): Promise<string> => (await metrics.render()).body
    const settle = async (n: number): Promise<ReturnType<typeof count>> => {
      self.dataplane.reconfig(selfConfig(n))
      // Until every per-peer series exists: handshakes, a pong (RTT) and traffic both ways.
      for (let i = 0; i < 100; i++) {
        await step(500)
        const c = count(await render())
        if (c.perPeer === K * n) return c
      }
      assert.fail(`per-peer series did not reach k·N = ${K * n} for N = ${n}:\n${await render()}`)
    }
    const c0 = count(await render())
    const c3 = await settle(3)
    const c6 = await settle(6)
    const text6 = await render()
    assert.equal(c0.perPeer, 0)
    assert.deepEqual([...c3.peers].sort(), ['peer1', 'peer2', 'peer3'])
    assert.equal(c6.peers.size, 6)
    // Linear in N: the per-peer part is exactly k·N, the rest (C) is bounded and does not grow with N.
    assert.equal(c6.perPeer - c3.perPeer, 3 * K)
    assert.equal(c3.perPeer - c0.perPeer, 3 * K)
    assert.ok(c6.all - c3.all <= 3 * K, `count(6) - count(3) = ${c6.all - c3.all} > 3·k`)
    for (const c of [c0, c3, c6]) assert.ok(c.all - c.perPeer <= C_MAX, `C = ${c.all - c.perPeer} > ${C_MAX}`)
    // Each per-peer metric contributes its share for every peer.
    for (const m of METRICS.filter((x) => x.labels.includes('peer'))) {
      const n = text6.split('\n').filter((l) => l.startsWith(`${m.name}{`)).length
      assert.equal(n, 6 * (m.labels.includes('direction') ? 2 : 1), m.name)
    }
    // Peers that leave take every series with them: an agent's series are C + k·N for the N
    // peers it has now, never growing with traffic or with peers that came and went.
    self.dataplane.reconfig(selfConfig(3))
    await step(500)
    const back = count(await render())
    assert.equal(back.perPeer, K * 3, `after removing 3 peers: ${back.perPeer}`)
    assert.doesNotMatch(await render(), /peer="peer[456]"/, 'a series of a removed peer')
  } finally {
    self.dataplane.close()
    for (const p of peers) p.dataplane.close()
  }
})
