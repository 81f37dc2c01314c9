// `POST /v1/explain` across controller replicas: two real controllers on one redis-server, the
// agents' real ControlClients pinned one to each replica and answering probes with canned
// evidence. Asked on either replica, both agents are probed (one through the Redis relay) and
// every hop reads ok; an agent that does not offer probes (an older version) gets none, stays
// connected, and its hops read unknown.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noopLogger, systemClock } from '@vpcmesh/common'
import { ControlClient, StateDir } from '@vpcmesh/agent'
import type { ExplainResponse, ProbeRequest, ProbeResult } from '@vpcmesh/protocol'
import { awaitValue } from '@vpcmesh/testbed'
import { Harness } from './harness.js'

/** Healthy evidence of an agent whose VPC is `local`, for whatever `req` asks. */
function evidence(local: string, req: ProbeRequest): ProbeResult {
  return {
    vpcId: null,
    tun: { name: 'vpcmesh0', mtu: 1420 },
    table: 52,
    routes: req.routes.map((prefix) => ({ prefix, dev: 'vpcmesh0', type: 'unicast' })),
    skippedRoutes: [],
    peers: req.peers.map((id) => ({
      id,
      name: id,
      up: true,
      rttMs: 0.3,
      txBytes: 1,
      rxBytes: 1,
      txPackets: 1,
      rxPackets: 1,
      lastHandshakeAgeS: 2,
      endpoint: { address: '198.51.100.9', port: 51820 },
    })),
    nft: {
      table: true,
      comments: ['vpcmesh:mss-in-v4:f', 'vpcmesh:mss-in-v6:f', 'vpcmesh:mss-out:f'],
      localSet: [local],
      foreignDrops: [],
    },
    forwarding: { ipv4: true, ipv6: true },
    dns: null,
    errors: [],
  }
}

describe('explain across controller replicas', () => {
  let h: Harness
  let dir: string
  const clients: ControlClient[] = []
  const probed: string[] = []

  /** A ControlClient of VPC `name` on replica `i`; answers probes unless `probes` is false. */
  const agent = (name: string, joinToken: string, local: string, i: number, probes = true): ControlClient => {
    const state = new StateDir(join(dir, name))
    let c: ControlClient | undefined
    c = new ControlClient(
      {
        clock: systemClock,
        logger: noopLogger,
        vault: state,
        onMap: (m) => {
          c?.ack(m)
        },
        ...(probes
          ? {
              onProbe: async (req: ProbeRequest) => {
                probed.push(name)
                return evidence(local, req)
              },
            }
          : {}),
      },
      {
        urls: [(h.controllers[i] as { url: string }).url],
        joinToken,
        publicKey: randomBytes(32).toString('base64'),
        agentVersion: 'test',
        backoff: { initialMs: 50, maxMs: 200 },
      },
    )
    clients.push(c)
    c.start()
    return c
  }
  const explain = async (i: number, dst: string): Promise<ExplainResponse> => {
    const r = await h.api('POST', '/v1/explain', { src: '10.1.0.5', dst }, i)
    assert.equal(r.status, 200, JSON.stringify(r.body))
    return r.body as ExplainResponse
  }
  const connected = async (names: string[]): Promise<boolean> => {
    const st = await h.api('GET', '/v1/status')
    return names.every((n) => st.body.agents.find((x: { name: string }) => x.name === n)?.connected === true)
  }

  before(async () => {
    h = await Harness.start(2)
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-explain-'))
    const a = await h.mustCreateVpc('a', ['10.1.0.0/24'])
    const b = await h.mustCreateVpc('b', ['10.2.0.0/24'])
    const old = await h.mustCreateVpc('old', ['10.3.0.0/24'])
    agent('a', a.joinToken, '10.1.0.0/24', 0)
    agent('b', b.joinToken, '10.2.0.0/24', 1)
    agent('old', old.joinToken, '10.3.0.0/24', 1, false)
    await awaitValue('agents connected', () => connected(['a', 'b', 'old']), 15_000)
  })
  after(async () => {
    for (const c of clients) c.stop()
    await h.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('asked on either replica, both agents are probed and every hop is ok', async () => {
    for (const i of [0, 1]) {
      probed.length = 0
      const r = await explain(i, '10.2.0.7')
      assert.deepEqual(
        r.hops.map((x) => [x.hop, x.verdict]),
        ['locate', 'route', 'tunnel', 'mtu', 'route-back', 'forward'].map((x) => [x, 'ok']),
        JSON.stringify(r.hops),
      )
      assert.deepEqual([...probed].sort(), ['a', 'b'], `replica ${i}`)
    }
  })

  test('an agent that does not offer probes gets none: its hops are unknown, it stays connected', async () => {
    const r = await explain(0, '10.3.0.7')
    assert.equal(r.verdict, 'unknown')
    assert.equal(r.firstBroken, null)
    const back = r.hops.find((x) => x.hop === 'route-back')
    assert.deepEqual(back?.evidence, [
      'no evidence from the agent of old: agent does not answer probes (an older version); upgrade it',
    ])
    assert.equal(r.hops.find((x) => x.hop === 'route')?.verdict, 'ok')
    assert.ok(await connected(['old']))
    assert.equal(clients[2]?.state, 'connected')
  })
})
