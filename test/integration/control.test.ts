import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from './harness.js'
import type { SimAgent } from './sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

describe('control plane: two replicas on one Redis, simulated agents over real WebSockets', () => {
  let h: Harness
  const agent = (): SimAgent => h.agent()

  before(async () => {
    h = await Harness.start(2)
  })
  after(async () => {
    await h.stop()
  })

  test('an agent enrols with its join token, gets a snapshot, acks, and shows in status', async () => {
    const a = await h.mustCreateVpc('alpha', ['10.10.0.0/16'])
    const b = await h.mustCreateVpc('beta', ['10.20.0.0/16'])
    const sa = agent()
    await sa.connect(h.controllers[0]!.wsUrl, a.joinToken)
    await awaitValue('snapshot', () => sa.of('snapshot').length > 0)
    assert.equal(sa.vpcId, a.id)
    assert.match(sa.credential ?? '', /^vmc_/)
    assert.equal(sa.self?.publicKey, sa.publicKey)
    assert.deepEqual([...sa.peers.keys()], [b.id])
    const st = await awaitValue('status shows alpha connected and acked', async () => {
      const r = await h.api('GET', '/v1/status')
      const me = r.body.agents.find((x: { id: string }) => x.id === a.id)
      return me?.connected === true && me.appliedVersion === r.body.version && me.lag === 0 ? me : undefined
    })
    assert.equal(st.replica, 'replica-1')
    const reuse = agent()
    await reuse.connect(h.controllers[0]!.wsUrl, a.joinToken)
    assert.equal(await reuse.awaitClosed(), 4401, 'a join token works once')
    assert.match(reuse.of('error')[0]?.message as string, /already used/)
  })

  test('a change through replica 1 reaches an agent on replica 2', async () => {
    const c = await h.mustCreateVpc('gamma', ['10.30.0.0/16'])
    const sc = agent()
    await sc.connect(h.controllers[1]!.wsUrl, c.joinToken)
    await awaitValue('gamma snapshot', () => sc.self !== undefined)
    const before = sc.version
    const d = await h.mustCreateVpc('delta', ['10.40.0.0/16'], 0)
    await sc.awaitVersion(before + 1)
    assert.ok(sc.peers.has(d.id), 'replica 2 pushed the VPC created on replica 1')
    assert.equal(sc.of('delta').length >= 1, true, 'as a delta, not a snapshot')
    const r = await h.api('POST', `/v1/vpcs/${d.id}/routes`, { cidr: '100.64.0.0/16' }, 0)
    assert.equal(r.status, 201)
    await awaitValue('route reached replica 2', () => sc.peers.get(d.id)?.routes.includes('100.64.0.0/16'))
  })

  test('an agent offline across three changes catches up by one delta', async () => {
    const e = await h.mustCreateVpc('epsilon', ['10.50.0.0/16'])
    const se = agent()
    await se.connect(h.controllers[0]!.wsUrl, e.joinToken)
    await awaitValue('epsilon snapshot', () => se.self !== undefined)
    se.close()
    await se.awaitClosed()
    const had = se.version
    const f = await h.mustCreateVpc('zeta', ['10.60.0.0/16'])
    const gammaId = [...se.peers.values()].find((p) => p.name === 'gamma')!.id
    assert.equal((await h.api('PATCH', `/v1/vpcs/${gammaId}`, { endpoint: '192.0.2.77:4000' })).status, 200)
    const alphaId = [...se.peers.values()].find((p) => p.name === 'alpha')!.id
    assert.equal((await h.api('DELETE', `/v1/vpcs/${alphaId}`)).status, 204)
    const snapshots = se.of('snapshot').length
    await se.connect(h.controllers[1]!.wsUrl)
    await se.awaitVersion(had + 3)
    assert.equal(se.of('snapshot').length, snapshots, 'no new snapshot')
    const last = se.of('delta').at(-1)!
    assert.equal(last.fromVersion, had)
    assert.deepEqual((last.upsert as Array<{ name: string }>).map((p) => p.name).sort(), ['gamma', 'zeta'])
    assert.deepEqual(last.remove, [alphaId])
    assert.equal(se.peers.get(gammaId)?.endpoint, '192.0.2.77:4000')
    assert.ok(se.peers.has(f.id) && !se.peers.has(alphaId))
  })

  test('deleting a VPC closes its agent with 4404', async () => {
    const v = await h.mustCreateVpc('eta', ['10.70.0.0/16'])
    const sv = agent()
    await sv.connect(h.controllers[1]!.wsUrl, v.joinToken)
    await awaitValue('eta snapshot', () => sv.self !== undefined)
    assert.equal((await h.api('DELETE', `/v1/vpcs/${v.id}`, undefined, 0)).status, 204)
    assert.equal(await sv.awaitClosed(), 4404)
  })

  test('malformed frames close only that connection; the controller serves the others', async () => {
    const v = await h.mustCreateVpc('theta', ['10.80.0.0/16'])
    const good = agent()
    await good.connect(h.controllers[0]!.wsUrl, v.joinToken)
    await awaitValue('theta snapshot', () => good.self !== undefined)
    const bad: Array<[string | Buffer, number]> = [
      ['not json at all', 4400],
      [JSON.stringify({ type: 'hello', protocol: 1 }), 4400],
      [JSON.stringify({ type: 'ack', version: 1 }), 4400],
      [Buffer.from([0xff, 0x00, 0x13]), 4400],
      [
        JSON.stringify({
          type: 'hello',
          protocol: 1,
          agentVersion: 'x',
          auth: { kind: 'join', token: 'vmj_wrongwrongwrongwrong' },
          publicKey: Buffer.alloc(32).toString('base64'),
          lastVersion: 0,
        }),
        4401,
      ],
    ]
    for (const [frame, code] of bad) {
      const s = agent()
      const ws = new (await import('ws')).default(h.controllers[0]!.wsUrl)
      await new Promise((resolve) => ws.once('open', resolve))
      const closed = new Promise<number>((resolve) =>
        ws.once('close', (c: number) => {
          resolve(c)
        }),
      )
      ws.send(frame)
      assert.equal(await closed, code, `frame ${String(frame).slice(0, 40)}`)
      s.terminate()
    }
    // The good agent on the same replica is still served.
    const before = good.version
    await h.mustCreateVpc('iota', ['10.90.0.0/16'])
    await good.awaitVersion(before + 1)
    assert.equal(good.closeCode, undefined)
  })

  test('20 concurrent overlapping registrations across both replicas → exactly one 201', async () => {
    const results = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) =>
          await h.api(
            'POST',
            '/v1/vpcs',
            { name: `race-${i}`, cidrs: [`172.16.${i}.0/24`, '172.31.0.0/16'], endpoint: `192.0.2.1:${51820 + i}` },
            i % 2,
          ),
      ),
    )
    const statuses = results.map((r) => r.status)
    assert.equal(statuses.filter((s) => s === 201).length, 1, JSON.stringify(statuses))
    assert.equal(
      statuses.filter((s) => s === 409).length,
      19,
      JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409).map((r) => r.body)),
    )
    for (const r of results.filter((x) => x.status === 409)) assert.equal(r.body.code, 'VPCMESH_ERR_CIDR_OVERLAP')
  })

  test('a controller restart and a Redis restart lose nothing', async () => {
    const before = await h.api('GET', '/v1/vpcs')
    await h.controllers[0]!.stop()
    await h.restartRedis()
    await h.controllers[0]!.start()
    const after = await awaitValue('list after restart', async () => {
      const r = await h.api('GET', '/v1/vpcs')
      return r.status === 200 ? r : undefined
    })
    assert.deepEqual(after.body, before.body)
  })

  test('Redis losing its data → a new epoch, and agents get a snapshot instead of a stale delta', async () => {
    const v = await h.mustCreateVpc('lambda', ['10.110.0.0/16'])
    const sl = agent()
    await sl.connect(h.controllers[0]!.wsUrl, v.joinToken)
    await awaitValue('lambda snapshot', () => sl.self !== undefined)
    const oldEpoch = sl.epoch
    sl.close()
    await sl.awaitClosed()
    const { Redis } = await import('ioredis')
    const r = new Redis(h.redis.url)
    await r.flushall()
    r.disconnect()
    // A fresh registry whose versions overlap the agent's old ones.
    const again = await h.mustCreateVpc('lambda', ['10.110.0.0/16'])
    const fresh = agent()
    fresh.vpcId = again.id
    fresh.version = sl.version
    fresh.epoch = oldEpoch
    await fresh.connect(h.controllers[1]!.wsUrl, again.joinToken)
    await awaitValue('snapshot in the new epoch', () => fresh.of('snapshot').length > 0)
    assert.notEqual(fresh.epoch, oldEpoch)
    assert.equal(fresh.of('delta').length, 0)
  })

  test('Redis down → 503 VPCMESH_ERR_STORE_UNAVAILABLE and /readyz 503; back → writes resume', async () => {
    const port = h.redis.port
    await h.redis.stop()
    const r = await h.api('POST', '/v1/vpcs', { name: 'kappa', cidrs: ['10.100.0.0/16'], endpoint: '192.0.2.1:1' })
    assert.equal(r.status, 503)
    assert.deepEqual([r.body.code, r.body.retryable], ['VPCMESH_ERR_STORE_UNAVAILABLE', true])
    assert.equal((await fetch(`${h.controllers[0]!.url}/readyz`)).status, 503)
    await h.restartRedis()
    assert.equal(h.redis.port, port)
    await awaitValue(
      'writes resume',
      async () =>
        (await h.api('POST', '/v1/vpcs', { name: 'kappa', cidrs: ['10.100.0.0/16'], endpoint: '192.0.2.1:1' }))
          .status === 201,
    )
    const list = await h.api('GET', '/v1/vpcs')
    assert.equal(
      list.body.vpcs.filter((v: { name: string }) => v.name === 'kappa').length,
      1,
      'exactly one kappa: nothing half-applied',
    )
  })
})
