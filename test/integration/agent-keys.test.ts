import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Harness } from './harness.js'
import type { SimAgent } from './sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

/** 32 little-endian bytes of `n`, base64. */
function keyOf(n: bigint): string {
  const b = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) {
    b[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return b.toString('base64')
}

/** The same 32 bytes as `k`, but with the unused low bits of the last base64 digit set. */
function flipPadding(k: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  return `${k.slice(0, 42) + (alphabet[alphabet.indexOf(k[42] as string) | 3] as string)}=`
}

/** A key whose last base64 digit has no padding bits set, so flipPadding changes it. */
function cleanKey(): string {
  for (;;) {
    const k = randomBytes(32).toString('base64')
    if (flipPadding(k) !== k) return k
  }
}

describe("agent keys: refused when unusable or already another VPC's, at enrolment and at every hello", () => {
  let h: Harness
  const agent = (key?: string): SimAgent => h.agent(key)

  before(async () => {
    h = await Harness.start(2)
  })
  after(async () => {
    await h.stop()
  })

  test('flipped padding bits or a low-order point (any form) → 4422 VPCMESH_ERR_WS_KEY_INVALID; the token stays usable', async () => {
    const v = await h.mustCreateVpc('k-alpha', ['10.1.0.0/16'])
    const p = (1n << 255n) - 19n
    const bad = [
      flipPadding(cleanKey()),
      keyOf(0n),
      keyOf(1n),
      keyOf(p),
      keyOf(p + 1n),
      keyOf(p - 1n),
      keyOf(325606250916557431795983626356110631294008115727848805560023387167927233504n | (1n << 255n)),
    ]
    for (const key of bad) {
      const a = agent(key)
      await a.connect(h.controllers[0]!.wsUrl, v.joinToken)
      assert.equal(await a.awaitClosed(), 4422, `key ${key}`)
      assert.equal(a.of('error')[0]?.code, 'VPCMESH_ERR_WS_KEY_INVALID', key)
    }
    const good = agent()
    await good.connect(h.controllers[0]!.wsUrl, v.joinToken)
    await awaitValue('enrolled after the refusals', () => good.self !== undefined)
    assert.equal(good.self?.publicKey, good.publicKey)
  })

  test("a second VPC enrolling with the first VPC's key → 4423 VPCMESH_ERR_WS_KEY_IN_USE; with its own key it enrols and every map keeps flowing", async () => {
    const a = await h.mustCreateVpc('k-beta', ['10.2.0.0/16'])
    const b = await h.mustCreateVpc('k-gamma', ['10.3.0.0/16'])
    const sa = agent()
    await sa.connect(h.controllers[0]!.wsUrl, a.joinToken)
    await awaitValue('beta enrolled', () => sa.self !== undefined)
    const copy = agent(sa.publicKey)
    await copy.connect(h.controllers[1]!.wsUrl, b.joinToken)
    assert.equal(await copy.awaitClosed(), 4423)
    assert.equal(copy.of('error')[0]?.code, 'VPCMESH_ERR_WS_KEY_IN_USE')
    assert.doesNotMatch(
      copy.of('error')[0]?.message as string,
      new RegExp(a.id),
      'the other VPC is not named to the agent',
    )
    const sb = agent()
    await sb.connect(h.controllers[1]!.wsUrl, b.joinToken)
    await awaitValue('gamma enrolled with its own key', () => sb.self !== undefined)
    await awaitValue("beta sees gamma with gamma's key", () => sa.peers.get(b.id)?.publicKey === sb.publicKey)
    const keys = [...sa.peers.values(), sa.self!].map((n) => n.publicKey).filter((k) => k !== null)
    assert.equal(new Set(keys).size, keys.length, 'no key twice in the map')
  })

  test('an enrolled agent re-keying to a bad or taken key is refused at hello; its old key stays; deleting or re-keying a VPC frees its key', async () => {
    const a = await h.mustCreateVpc('k-delta', ['10.4.0.0/16'])
    const b = await h.mustCreateVpc('k-eps', ['10.5.0.0/16'])
    const sa = agent()
    await sa.connect(h.controllers[0]!.wsUrl, a.joinToken)
    const sb = agent()
    await sb.connect(h.controllers[0]!.wsUrl, b.joinToken)
    await awaitValue('both enrolled', () => sa.self !== undefined && sb.self !== undefined)
    const own = sb.publicKey
    sb.close()
    await sb.awaitClosed()
    sb.publicKey = keyOf(0n)
    await sb.connect(h.controllers[1]!.wsUrl)
    assert.equal(await sb.awaitClosed(), 4422, 'low-order key at a credential hello')
    sb.publicKey = sa.publicKey
    await sb.connect(h.controllers[1]!.wsUrl)
    assert.equal(await sb.awaitClosed(), 4423, "another VPC's key at a credential hello")
    assert.equal((await h.api('GET', `/v1/vpcs/${b.id}`)).body.vpc.publicKey, own, 'the stored key is unchanged')
    // Re-key: the old key becomes free for another VPC.
    const fresh = cleanKey()
    sb.publicKey = fresh
    await sb.connect(h.controllers[1]!.wsUrl)
    await awaitValue('re-keyed', async () => (await h.api('GET', `/v1/vpcs/${b.id}`)).body.vpc.publicKey === fresh)
    const c = await h.mustCreateVpc('k-zeta', ['10.6.0.0/16'])
    const sc = agent(own)
    await sc.connect(h.controllers[0]!.wsUrl, c.joinToken)
    await awaitValue("zeta enrolled with epsilon's old key", () => sc.self !== undefined)
    // Delete: the key becomes free too.
    const taken = sa.publicKey
    assert.equal((await h.api('DELETE', `/v1/vpcs/${a.id}`)).status, 204)
    await sa.awaitClosed()
    const d = await h.mustCreateVpc('k-eta', ['10.7.0.0/16'])
    const sd = agent(taken)
    await sd.connect(h.controllers[1]!.wsUrl, d.joinToken)
    await awaitValue("eta enrolled with the deleted VPC's key", () => sd.self !== undefined)
  })

  test('keys stored before the key index existed are indexed by the next enrolment, which refuses a duplicate of them', async () => {
    const a = await h.mustCreateVpc('k-old', ['10.8.0.0/16'])
    const sa = agent()
    await sa.connect(h.controllers[0]!.wsUrl, a.joinToken)
    await awaitValue('old enrolled', () => sa.self !== undefined)
    const { Redis } = await import('ioredis')
    const r = new Redis(h.redis.url)
    try {
      await r.del('vpcmesh:pubkeys', 'vpcmesh:pubkeys:indexed')
      const b = await h.mustCreateVpc('k-new', ['10.9.0.0/16'])
      const copy = agent(sa.publicKey)
      await copy.connect(h.controllers[1]!.wsUrl, b.joinToken)
      assert.equal(await copy.awaitClosed(), 4423)
      const sb = agent()
      await sb.connect(h.controllers[1]!.wsUrl, b.joinToken)
      await awaitValue('new enrolled with its own key', () => sb.self !== undefined)
      assert.equal(await r.hget('vpcmesh:pubkeys', sa.publicKey), a.id, 'the old key is in the index now')
      assert.equal(await r.hget('vpcmesh:pubkeys', sb.publicKey), b.id)
    } finally {
      r.disconnect()
    }
  })

  test('two VPCs enrolling with one key at the same time through two replicas: exactly one wins', async () => {
    const key = cleanKey()
    const vs = await Promise.all(
      ['k-r1', 'k-r2', 'k-r3', 'k-r4'].map(async (n, i) => await h.mustCreateVpc(n, [`10.${20 + i}.0.0/16`])),
    )
    const racers = vs.map(() => agent(key))
    await Promise.all(
      racers.map(async (r, i) => {
        await r.connect(h.controllers[i % 2]!.wsUrl, vs[i]!.joinToken)
      }),
    )
    await awaitValue('every racer enrolled or refused', () =>
      racers.every((r) => r.self !== undefined || r.closeCode !== undefined),
    )
    assert.equal(racers.filter((r) => r.self !== undefined).length, 1)
    assert.deepEqual(
      racers.filter((r) => r.self === undefined).map((r) => r.closeCode),
      [4423, 4423, 4423],
    )
  })
})
