// POST /v1/vpcs/:id/join-token promises that the previous token stops working. Under
// concurrent issues (two replicas, one Redis) exactly one of the issued tokens may stay valid.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'

describe('join tokens: concurrent issues on two replicas', () => {
  let h: Harness

  before(async () => {
    h = await Harness.start(2)
  })
  after(async () => {
    await h.stop()
  })

  /** Tries one join token with a fresh simulated agent: 'welcome' or the close code. */
  async function tryEnrol(token: string): Promise<'welcome' | number> {
    const a = h.agent()
    await a.connect(h.controllers[0]!.wsUrl, token)
    const got = await awaitValue(`answer to join token ${token.slice(0, 8)}…`, () =>
      a.of('welcome').length > 0 ? ('welcome' as const) : a.closeCode,
    )
    a.close()
    return got
  }

  test('20 concurrent issues leave exactly one valid token, and the creation token is void', async () => {
    const v = await h.mustCreateVpc('race', ['10.77.0.0/16'])
    const answers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => await h.api('POST', `/v1/vpcs/${v.id}/join-token`, undefined, i % 2)),
    )
    for (const r of answers) assert.equal(r.status, 201, JSON.stringify(r.body))
    const tokens = answers.map((r) => r.body.joinToken as string)
    assert.equal(new Set(tokens).size, 20)

    const outcomes: Array<'welcome' | number> = []
    for (const t of [v.joinToken, ...tokens]) outcomes.push(await tryEnrol(t))
    const enrolled = outcomes.filter((o) => o === 'welcome').length
    assert.equal(outcomes[0], 4401, 'the token from VPC creation was replaced')
    assert.equal(enrolled, 1, `exactly one of 20 concurrently issued tokens enrols; outcomes: ${outcomes.join(', ')}`)
    assert.ok(
      outcomes.every((o) => o === 'welcome' || o === 4401),
      outcomes.join(', '),
    )
  })
})
