// A map that would route the underlay into the mesh, forced onto real agents (written straight
// into the controller's Redis, past the API's checks, so the real controller pushes it over
// the agents' WebSockets). The agents must skip those prefixes, keep their control connection
// and every tunnel up, survive a restart on the saved bad map, and converge back when the
// operator deletes the bad entry through the controller alone. A route of ours that covers a
// peer's endpoint or the controller anyway (put there by hand) must not catch the agent's own
// traffic either: tunnel datagrams carry the fwmark, the controller has a throw entry.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, UNDERLAY, type TestbedNode, teardownMesh } from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

/** Port of the test's redis-server inside the wan namespace (its own loopback). */
const REDIS_PORT = 6390

/**
 * Adds a VPC record the way the controller's registry does (version +1, record, indexes, one
 * change-log entry, an announcement), without any of its validation.
 */
const INJECT = `
local v = redis.call('INCR', KEYS[1])
local rec = cjson.decode(ARGV[1])
rec['version'] = v
redis.call('SET', KEYS[2], cjson.encode(rec))
redis.call('SADD', KEYS[3], rec['id'])
redis.call('HSET', KEYS[4], rec['name'], rec['id'])
redis.call('ZADD', KEYS[5], v, cjson.encode({v = v, id = rec['id'], k = 'upsert'}))
redis.call('PUBLISH', KEYS[6], cjson.encode({v = v}))
return v`

describe('end to end: a map covering the underlay never cuts agents off', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let redis: ChildProcess
  let work: string
  let nodes: TestbedNode[]

  const ping = async (from: TestbedNode, to: string): Promise<boolean> =>
    (await tb.exec(from.hostNs, ['ping', '-c', '1', '-W', '1', to], { allowFail: true })).code === 0
  const allPairsPing = async (): Promise<boolean> => {
    for (const x of nodes) for (const y of nodes) if (x !== y && !(await ping(x, y.hostIp))) return false
    return true
  }
  const status = async (
    n: TestbedNode,
  ): Promise<{
    controller: { state: string }
    host: { table: number; skippedRoutes: Array<{ prefix: string; reason: string }> }
    peers: Array<{ up: boolean }>
  }> => JSON.parse(await mesh.agentGet(n, '/status'))
  const redisCli = async (args: string[]): Promise<string> =>
    (await tb.exec(tb.wanNs, ['redis-cli', '-p', String(REDIS_PORT), '--no-raw', ...args])).stdout.trim()

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-e2e-safety-'))
    tb = await Testbed.create({
      prefix: `vms${process.pid}`,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
        { name: 'c', cidr: '10.3.0.0/24' },
      ],
    })
    nodes = ['a', 'b', 'c'].map((n) => tb.node(n))
    redis = tb.spawn(tb.wanNs, [
      'redis-server',
      '--port',
      String(REDIS_PORT),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ])
    await pollUntil(
      'redis-server answering',
      async () =>
        (await tb.exec(tb.wanNs, ['redis-cli', '-p', String(REDIS_PORT), 'ping'], { allowFail: true })).stdout.includes(
          'PONG',
        ),
      { timeoutMs: 10_000, intervalMs: 50 },
    )
    mesh = new LocalMesh(tb, {
      launcher: join(root, 'bin', 'vpcmesh'),
      workDir: work,
      adminToken: 'e2e-admin-token-0123456789abcdef',
      redisUrl: `redis://127.0.0.1:${REDIS_PORT}`,
    })
    await mesh.startController()
    for (const n of nodes) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken)
    await mesh.awaitConverged(45_000)
  })

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({
      mesh,
      testbed: tb,
      workDir: work,
      extra: [
        [
          'stopping redis-server',
          async () => {
            if (redis !== undefined) await tb.kill(redis)
          },
        ],
      ],
    })
  })

  test('the API refuses the covering registration; forced in through Redis, every agent skips it and stays connected with all tunnels up', async () => {
    const refused = await mesh.cli([
      'vpc',
      'add',
      'evil',
      '--cidr',
      '100.64.0.0/16',
      '--endpoint',
      '198.51.100.66:51820',
    ])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /VPCMESH_ERR_PREFIX_COVERS_UNDERLAY/)

    const now = Date.now()
    const evil = {
      id: 'vpc_0000000000ee',
      name: 'evil',
      cidrs: ['100.64.0.0/16', 'fd64::/16'],
      routes: ['169.254.0.0/16', '10.1.0.0/16'],
      endpoint: '198.51.100.66:51820',
      masquerade: true,
      publicKey: null,
      createdAt: now,
      updatedAt: now,
      version: 0,
    }
    const keys = ['version', 'vpc:vpc_0000000000ee', 'vpcs', 'names', 'changes', 'events'].map((k) => `vpcmesh:${k}`)
    const version = Number(
      await redisCli(['EVAL', INJECT, String(keys.length), ...keys, JSON.stringify(evil)]).then((s) =>
        s.replace(/^\(integer\) /, ''),
      ),
    )
    assert.ok(version > 0)

    await pollUntil(
      'every agent applied the forced map',
      async () => {
        const st = await mesh.mustCli<{
          version: number
          agents: Array<{ name: string; connected: boolean; appliedVersion: number }>
        }>(['status'])
        return (
          st.version === version &&
          st.agents.filter((x) => x.name !== 'evil').every((x) => x.connected && x.appliedVersion === version)
        )
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    for (const n of nodes) {
      const s = await status(n)
      const skipped = Object.fromEntries(s.host.skippedRoutes.map((x) => [x.prefix, x.reason]))
      assert.equal(skipped['100.64.0.0/16'], 'underlay', `${n.name}: ${JSON.stringify(s.host.skippedRoutes)}`)
      assert.equal(skipped['fd64::/16'], 'underlay')
      assert.equal(skipped['169.254.0.0/16'], 'reserved')
      assert.equal(s.controller.state, 'connected')
      assert.match(await mesh.agentGet(n, '/metrics'), /vpcmesh_agent_routes_skipped\{[^}]*reason="underlay"[^}]*\} 2/)
    }
    assert.equal(
      skippedOf(await status(nodes[0] as TestbedNode), '10.1.0.0/16'),
      'local',
      "A's own network is never routed into its TUN",
    )
    assert.equal(
      skippedOf(await status(nodes[1] as TestbedNode), '10.1.0.0/16'),
      undefined,
      'the rest of the map applies on B',
    )
    assert.ok(await allPairsPing(), 'every pair of hosts still reaches each other through the tunnels')
    const a = nodes[0] as TestbedNode
    assert.match((await tb.exec(a.gwNs, ['ip', 'route', 'get', UNDERLAY.wanIp])).stdout, /dev eth0/)
  })

  test('an agent restarted on the saved bad map comes back connected, with every tunnel up', async () => {
    const a = nodes[0] as TestbedNode
    await mesh.stopAgent('a')
    mesh.startAgent(a)
    await pollUntil(
      'agent A connected with both peers up',
      async () => {
        try {
          const s = await status(a)
          return s.controller.state === 'connected' && s.peers.length >= 2 && s.peers.every((p) => p.up)
        } catch {
          return false
        }
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    )
    assert.ok(await allPairsPing())
  })

  test('deleting the bad entry through the controller alone converges every agent back', async () => {
    await mesh.mustCli(['vpc', 'rm', 'evil'])
    await pollUntil(
      'no agent skips anything',
      async () => {
        for (const n of nodes) if ((await status(n)).host.skippedRoutes.length > 0) return false
        return true
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    )
    await mesh.awaitConverged()
    assert.ok(await allPairsPing())
  })

  test("a route of ours covering a peer's endpoint or the controller does not catch the agent's own traffic (fwmark, throw)", async () => {
    const [a, b] = nodes as [TestbedNode, TestbedNode]
    const table = String((await status(a)).host.table)
    // What a bug or a stale entry could leave behind: the whole underlay routed into A's TUN.
    await tb.exec(a.gwNs, [
      'ip',
      'route',
      'replace',
      `${UNDERLAY.net}.0/24`,
      'dev',
      'vpcmesh0',
      'table',
      table,
      'proto',
      '112',
    ])
    assert.match(
      (await tb.exec(a.gwNs, ['ip', 'route', 'get', b.underlayIp])).stdout,
      /dev vpcmesh0/,
      'unmarked traffic to B would enter the TUN',
    )
    assert.match(
      (await tb.exec(a.gwNs, ['ip', 'route', 'get', b.underlayIp, 'mark', '0x766d'])).stdout,
      /dev eth0/,
      'marked tunnel datagrams go out on the underlay',
    )
    assert.match(
      (await tb.exec(a.gwNs, ['ip', 'route', 'get', UNDERLAY.wanIp])).stdout,
      /dev eth0/,
      'the controller has a throw entry',
    )
    // The tunnel to B (datagrams to B's endpoint) carries traffic while the route is there.
    for (let i = 0; i < 5; i++) assert.ok(await ping(a, b.hostIp), `ping ${i} through the tunnel`)
    const s = await status(a)
    assert.equal(s.controller.state, 'connected')
    await tb.exec(a.gwNs, ['ip', 'route', 'del', `${UNDERLAY.net}.0/24`, 'dev', 'vpcmesh0', 'table', table])
  })
})

function skippedOf(
  s: { host: { skippedRoutes: Array<{ prefix: string; reason: string }> } },
  prefix: string,
): string | undefined {
  return s.host.skippedRoutes.find((x) => x.prefix === prefix)?.reason
}
