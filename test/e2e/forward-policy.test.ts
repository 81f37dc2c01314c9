// An agent forwards (and delivers to itself) from the mesh only towards its own VPC's prefixes
// (issue 8 item 4). Peer B is made to route an outside network (198.51.100.0/24, in a namespace
// behind gateway A) and the metadata address (169.254.169.254, on gateway A's loopback)
// into the tunnel to A, as a misbehaving or compromised peer would: B runs on a saved map that
// gives those prefixes to A, and is cut off from the controller so it keeps that map. A must
// refuse both, count the drops, and keep forwarding B's traffic to its own hosts. B's map also
// holds a poisoned peer entry (issue 8 item 2), which B must skip and report, applying the rest.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { AGENT_STATUS_PORT, LocalMesh, Testbed, UNDERLAY, type TestbedNode, teardownMesh } from '@vpcmesh/testbed'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..', '..')
const fixture = (name: string): string => join(here, 'fixtures', `${name}.js`)
const node = process.execPath

/** The outside network behind gateway A: a namespace on a veth, never one of A's prefixes. */
const OUTSIDE = { net: '198.51.100.0/24', gw: '198.51.100.254', host: '198.51.100.1' } as const
const METADATA = '169.254.169.254'

if (process.getuid?.() !== 0)
  throw new Error('the end-to-end tests need root (network namespaces, TUN, nftables); run as root')

describe('end to end: an agent forwards from the mesh only to its own VPC', () => {
  let tb: Testbed
  let mesh: LocalMesh
  let work: string
  let a: TestbedNode, b: TestbedNode
  const prefix = `vmfw${process.pid}`
  /** Made by {@link buildOutside} through the testbed, which removes it with its own. */
  let outsideNs: string

  const ping = async (ns: string, to: string, count = 2): Promise<number> => {
    const r = await tb.exec(ns, ['ping', '-c', String(count), '-i', '0.2', '-W', '1', to], { allowFail: true })
    return Number(/(\d+(?:\.\d+)?)% packet loss/.exec(r.stdout)?.[1] ?? 100)
  }
  /** Packets counted by the named nftables counter in A's gateway. */
  const denied = async (name: string): Promise<number> => {
    const r = await tb.exec(a.gwNs, ['nft', '-j', 'list', 'counter', 'inet', 'vpcmesh', name])
    const doc = JSON.parse(r.stdout) as { nftables: Array<{ counter?: { packets: number } }> }
    return doc.nftables.find((o) => o.counter !== undefined)?.counter?.packets ?? -1
  }
  const metric = async (n: TestbedNode, name: string): Promise<number> => {
    const line = (await mesh.agentGet(n, '/metrics')).split('\n').find((l) => l.startsWith(`${name} `))
    return Number(line?.split(' ')[1] ?? -1)
  }

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vpcmesh-e2e-fw-'))
    tb = await Testbed.create({
      prefix,
      vpcs: [
        { name: 'a', cidr: '10.1.0.0/24' },
        { name: 'b', cidr: '10.2.0.0/24' },
      ],
    })
    ;[a, b] = [tb.node('a'), tb.node('b')]
    await buildOutside()
    mesh = new LocalMesh(tb, {
      launcher: join(root, 'bin', 'vpcmesh'),
      workDir: work,
      adminToken: 'e2e-admin-token-0123456789abcdef',
    })
    await mesh.startController()
    const ids = new Map<string, string>()
    for (const n of [a, b]) {
      const v = await mesh.addVpc(n)
      ids.set(n.name, v.id)
      mesh.startAgent(n, v.joinToken)
    }
    await mesh.awaitConverged(30_000)
    await misrouteB(ids.get('a') ?? '')
  })

  /** The outside namespace on a veth behind gateway A, and the metadata address on A's loopback. */
  async function buildOutside(): Promise<void> {
    outsideNs = await tb.addNamespace('x')
    await tb.exec(a.gwNs, ['ip', 'link', 'add', 'fwx0', 'type', 'veth', 'peer', 'name', 'fwx1', 'netns', outsideNs])
    await tb.exec(a.gwNs, ['ip', 'addr', 'add', `${OUTSIDE.gw}/24`, 'dev', 'fwx0'])
    await tb.exec(a.gwNs, ['ip', 'link', 'set', 'fwx0', 'up'])
    await tb.exec(outsideNs, ['ip', 'addr', 'add', `${OUTSIDE.host}/24`, 'dev', 'fwx1'])
    await tb.exec(outsideNs, ['ip', 'link', 'set', 'fwx1', 'up'])
    await tb.exec(outsideNs, ['ip', 'route', 'add', 'default', 'via', OUTSIDE.gw])
    await tb.exec(a.gwNs, ['ip', 'addr', 'add', `${METADATA}/32`, 'dev', 'lo'])
    assert.equal(await ping(a.gwNs, OUTSIDE.host, 1), 0, 'gateway A reaches the outside network')
  }

  /**
   * Restarts agent B on a saved map that gives A the outside network and the metadata address,
   * with the controller unreachable from B (a blackhole route), so B keeps routing them to A.
   * B's data plane sends the metadata address to A (the map lists it as A's); B's router does
   * not install it, so the test routes it into B's TUN by hand.
   */
  async function misrouteB(aId: string): Promise<void> {
    await mesh.stopAgent('b')
    const path = join(work, 'b', 'netmap.json')
    const map = JSON.parse(readFileSync(path, 'utf8')) as {
      self: { publicKey: string | null }
      peers: Array<Record<string, unknown> & { id: string; routes: string[] }>
    }
    const peerA = map.peers.find((p) => p.id === aId)
    assert.ok(peerA !== undefined && map.self.publicKey !== null, "B's saved map has A and B's key")
    peerA.routes.push(OUTSIDE.net, `${METADATA}/32`)
    // A poisoned entry no wire schema can refuse: B's own key under another network's name.
    map.peers.push({
      ...peerA,
      id: 'vpc_0000000000ee',
      name: 'evil',
      cidrs: ['10.66.0.0/24'],
      routes: [],
      endpoint: '100.64.0.66:51820',
      publicKey: map.self.publicKey,
    })
    writeFileSync(path, `${JSON.stringify(map)}\n`, { mode: 0o600 })
    await tb.exec(b.gwNs, ['ip', 'route', 'add', 'blackhole', `${UNDERLAY.wanIp}/32`])
    mesh.startAgent(b)
    await pollUntil(
      'B routes the outside network into its TUN',
      async () => {
        const r = await tb.exec(b.gwNs, ['ip', 'route', 'show', 'table', 'all', OUTSIDE.net], { allowFail: true })
        return r.stdout.includes('vpcmesh0')
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    )
    // Agent B itself never routes a link-local prefix into its TUN (it skips it as reserved);
    // a hostile host B does it by hand, in the main table, where B's agent leaves it alone.
    await tb.exec(b.gwNs, ['ip', 'route', 'add', `${METADATA}/32`, 'dev', 'vpcmesh0'])
    await pollUntil('host B → host A through the new agent B', async () => (await ping(b.hostNs, a.hostIp, 1)) === 0, {
      timeoutMs: 10_000,
      intervalMs: 100,
    })
  }

  after(async () => {
    if (process.exitCode !== undefined && process.exitCode !== 0)
      for (const [k, v] of mesh?.logs ?? []) process.stderr.write(`--- ${k}\n${v.slice(-3000)}\n`)
    await teardownMesh({ mesh, testbed: tb, workDir: work })
  })

  test('agent B skips and reports the poisoned peer entry once, applies the rest and stays healthy', async () => {
    const get = async (path: string): Promise<string> =>
      (await tb.exec(b.gwNs, ['curl', '-s', '--max-time', '5', `http://${b.underlayIp}:${AGENT_STATUS_PORT}${path}`]))
        .stdout
    const st = JSON.parse(await get('/status')) as {
      peers: Array<{ name: string }>
      skippedPeers: Array<{ id: string; name: string; code: string }>
    }
    assert.deepEqual(
      st.peers.map((p) => p.name),
      ['a'],
    )
    assert.deepEqual(
      st.skippedPeers.map((p) => [p.id, p.name, p.code]),
      [['vpc_0000000000ee', 'evil', 'VPCMESH_ERR_DATAPLANE_INVALID_KEY']],
    )
    assert.match(await get('/metrics'), /^vpcmesh_agent_peers_skipped\{reason="invalid_key"\} 1$/m)
    assert.deepEqual(JSON.parse(await get('/healthz')), { status: 'ok' })
    assert.equal((mesh.logs.get('agent-b') ?? '').split('peer skipped').length - 1, 1, 'one warning line for the entry')
  })

  test('host B reaches host A (ping and TCP) while the mesh policy is in place', async () => {
    assert.equal(await ping(b.hostNs, a.hostIp, 3), 0)
    const sink = tb.spawn(a.hostNs, [node, fixture('tcp-sink'), '9100'])
    let out = ''
    sink.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('sink listening', () => out.includes('listening'))
    const src = await tb.exec(b.hostNs, [node, fixture('tcp-source'), a.hostIp, '9100', '100000'])
    await pollUntil('sink done', () => out.split('\n').length > 2, { timeoutMs: 10_000 })
    assert.equal(out.split('\n')[1], src.stdout.trim())
  })

  test('agent A refuses to forward from the mesh to a network outside its VPC, and counts it', async () => {
    const before = await denied('mesh_forward_denied')
    assert.equal(await ping(b.hostNs, OUTSIDE.host, 3), 100, 'the outside network answered through agent A')
    const sink = tb.spawn(outsideNs, [node, fixture('tcp-sink'), '9101'])
    let out = ''
    sink.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    await pollUntil('outside sink listening', () => out.includes('listening'))
    const src = await tb.exec(b.hostNs, ['timeout', '3', node, fixture('tcp-source'), OUTSIDE.host, '9101', '1000'], {
      allowFail: true,
    })
    assert.notEqual(src.code, 0, 'a TCP connection to the outside network succeeded')
    assert.equal(out.trim(), 'listening', 'the outside sink received a connection')
    await tb.kill(sink)
    assert.ok((await denied('mesh_forward_denied')) >= before + 4, 'the forward drops are counted')
    assert.equal(await ping(a.gwNs, OUTSIDE.host, 1), 0, 'A itself still reaches the outside network')
  })

  test('agent A never lets the mesh reach the metadata address, on the host or beyond it', async () => {
    const before = await denied('mesh_input_denied')
    assert.equal(await ping(b.hostNs, METADATA, 3), 100, 'the metadata address answered through agent A')
    assert.ok((await denied('mesh_input_denied')) >= before + 3, 'the drops are counted')
    assert.equal(await ping(a.hostNs, METADATA, 1), 0, 'hosts of VPC A still reach it (not mesh traffic)')
  })

  test("the drops show in agent A's metrics and /status after its next apply; forwarding goes on", async () => {
    const fwd = await denied('mesh_forward_denied')
    assert.ok(fwd > 0)
    await mesh.mustCli(['route', 'add', 'a', '10.77.0.0/24'])
    await pollUntil(
      'A exports the forward drops',
      async () => (await metric(a, 'vpcmesh_agent_forward_denied_packets_total')) >= fwd,
      { timeoutMs: 10_000, intervalMs: 200 },
    )
    assert.ok((await metric(a, 'vpcmesh_agent_input_denied_packets_total')) >= 3)
    const st = JSON.parse(await mesh.agentGet(a, '/status')) as {
      host: { forwardDenied: { packets: number } }
      skippedPeers: unknown[]
    }
    assert.ok(st.host.forwardDenied.packets >= fwd, 'the table replaced for the new route kept its counts')
    assert.deepEqual(st.skippedPeers, [])
    assert.deepEqual(JSON.parse(await mesh.agentGet(a, '/healthz')), { status: 'ok' })
    assert.equal(await ping(b.hostNs, a.hostIp, 2), 0)
  })
})
