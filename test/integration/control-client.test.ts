import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noopLogger, systemClock } from '@vpcmesh/common'
import { ControlClient, StateDir } from '@vpcmesh/agent'
import type { NetMap } from '@vpcmesh/protocol'
import { Harness } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'

describe('agent control client against real controllers', () => {
  let h: Harness
  let dir: string
  before(async () => {
    h = await Harness.start(2)
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-agent-'))
  })
  after(async () => {
    await h.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('enrols, stores its credential 0600, follows changes, and fails over between replicas', async () => {
    const a = await h.mustCreateVpc('one', ['10.1.0.0/16'])
    await h.mustCreateVpc('two', ['10.2.0.0/16'])
    const state = new StateDir(join(dir, 'one'))
    const maps: NetMap[] = []
    let client: ControlClient | undefined
    const mk = (urls: string[], initialMap?: NetMap): ControlClient =>
      new ControlClient(
        {
          clock: systemClock,
          logger: noopLogger,
          vault: state,
          onMap: (m) => {
            maps.push(m)
            state.saveNetMap(m)
            client?.ack(m)
          },
        },
        {
          urls,
          joinToken: a.joinToken,
          publicKey: randomBytes(32).toString('base64'),
          agentVersion: 'test',
          initialMap,
          backoff: { initialMs: 50, maxMs: 200 },
        },
      )
    client = mk(h.controllers.map((c) => c.url))
    client.start()
    await awaitValue('first map', () => maps.length > 0)
    assert.equal(state.load()?.vpcId, a.id)
    assert.equal(statSync(state.credentialPath).mode & 0o777, 0o600)
    assert.deepEqual(
      maps.at(-1)!.peers.map((p) => p.name),
      ['two'],
    )
    await h.mustCreateVpc('three', ['10.3.0.0/16'], 1)
    await awaitValue('delta with three', () => maps.at(-1)!.peers.some((p) => p.name === 'three'))
    await awaitValue('acked in status', async () => {
      const st = await h.api('GET', '/v1/status')
      const me = st.body.agents.find((x: { id: string }) => x.id === a.id)
      return me.appliedVersion === st.body.version
    })
    // Stop the replica the client is on; it must reconnect to the other and keep following.
    const on = h.controllers.findIndex((c) => c.url === client!.connectedUrl)
    await h.controllers[on]!.stop()
    await h.mustCreateVpc('four', ['10.4.0.0/16'], 1 - on)
    await awaitValue(
      'map with four via the other replica',
      () => maps.at(-1)!.peers.some((p) => p.name === 'four'),
      15_000,
    )
    assert.equal(client.connectedUrl, h.controllers[1 - on]!.url)
    client.stop()
    await h.controllers[on]!.start()
    // A restarted agent resumes from its saved map with its stored credential (no join token needed).
    const saved = state.loadNetMap()!
    const before = maps.length
    client = mk([h.controllers[on]!.url], saved)
    client.start()
    await h.mustCreateVpc('five', ['10.5.0.0/16'])
    await awaitValue('map with five after restart', () => maps.at(-1)!.peers.some((p) => p.name === 'five'))
    assert.ok(maps.length - before <= 2, 'resumed by delta')
    client.stop()
  })

  test('a refused stored credential falls back to the join token (re-enrolment)', async () => {
    const v = await h.mustCreateVpc('six', ['10.6.0.0/16'])
    const state = new StateDir(join(dir, 'six'))
    state.save({ vpcId: v.id, credential: 'vmc_this-credential-was-never-issued' })
    const maps: NetMap[] = []
    const client = new ControlClient(
      {
        clock: systemClock,
        logger: noopLogger,
        vault: state,
        onMap: (m) => {
          maps.push(m)
        },
      },
      {
        urls: [h.controllers[0]!.url],
        joinToken: v.joinToken,
        publicKey: randomBytes(32).toString('base64'),
        agentVersion: 'test',
        backoff: { initialMs: 50, maxMs: 200 },
      },
    )
    client.start()
    try {
      await awaitValue('enrolled with the join token', () => maps.length > 0)
      assert.notEqual(state.load()?.credential, 'vmc_this-credential-was-never-issued')
      assert.equal(maps[0]!.self.id, v.id)
    } finally {
      client.stop()
    }
  })
})
