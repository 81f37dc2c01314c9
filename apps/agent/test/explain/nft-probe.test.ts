import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRuleset, readRuleset } from '../../src/explain/nft-probe.js'
import { RECORDED_RULESET } from './ruleset-fixture.js'
import { ScriptedRunner } from './scripted-runner.js'

test('a recorded ruleset: our comments, the policy sets, and the foreign drop chains with their accepts', () => {
  const r = parseRuleset(RECORDED_RULESET, 'vpcmesh0')
  assert.equal(r.table, true)
  assert.ok(r.comments.some((c) => c.startsWith('vpcmesh:mss-in-v4:')))
  assert.ok(r.comments.some((c) => c.startsWith('vpcmesh:mss-out:')))
  assert.ok(r.comments.some((c) => c.startsWith('vpcmesh:forward-deny-v4:')))
  assert.deepEqual(r.localSet, ['10.2.0.0/24', '10.2.1.7/32', 'fd00:2::/64'])
  assert.deepEqual(r.foreignDrops, [
    { family: 'ip', table: 'filter', chain: 'FORWARD', acceptsFromTun: true, acceptsToTun: true },
    { family: 'inet', table: 'fw', chain: 'fwdrop', acceptsFromTun: false, acceptsToTun: true },
  ])
})

test('another TUN name: the same chains accept nothing of it (the wildcard vpc* still matches)', () => {
  const r = parseRuleset(RECORDED_RULESET, 'vpcx1')
  assert.deepEqual(
    r.foreignDrops.map((c) => [c.chain, c.acceptsFromTun, c.acceptsToTun]),
    [
      ['FORWARD', false, true],
      ['fwdrop', false, true],
    ],
  )
})

test('an empty ruleset: no table, nothing else', () => {
  assert.deepEqual(parseRuleset('{"nftables":[{"metainfo":{"version":"1.0.9"}}]}', 'vpcmesh0'), {
    table: false,
    comments: [],
    localSet: [],
    foreignDrops: [],
  })
})

test('a policy-accept forward chain and a drop chain on another hook are not foreign drops', () => {
  const doc = {
    nftables: [
      { chain: { family: 'ip', table: 't', name: 'f', type: 'filter', hook: 'forward', prio: 0, policy: 'accept' } },
      { chain: { family: 'ip', table: 't', name: 'i', type: 'filter', hook: 'input', prio: 0, policy: 'drop' } },
      { chain: { family: 'ip', table: 't', name: 'plain' } },
    ],
  }
  assert.deepEqual(parseRuleset(JSON.stringify(doc), 'vpcmesh0').foreignDrops, [])
})

test('an accept on a set of names counts; a drop rule on the TUN does not', () => {
  const chain = { family: 'inet', table: 'x', name: 'fw', type: 'filter', hook: 'forward', prio: 0, policy: 'drop' }
  const rule = (key: string, right: unknown, verdict: string): object => ({
    rule: {
      family: 'inet',
      table: 'x',
      chain: 'fw',
      expr: [{ match: { op: '==', left: { meta: { key } }, right } }, { [verdict]: null }],
    },
  })
  const doc = {
    nftables: [
      { chain },
      rule('iifname', { set: ['eth0', 'vpcmesh0'] }, 'accept'),
      rule('oifname', 'vpcmesh0', 'drop'),
    ],
  }
  assert.deepEqual(parseRuleset(JSON.stringify(doc), 'vpcmesh0').foreignDrops, [
    { family: 'inet', table: 'x', chain: 'fw', acceptsFromTun: true, acceptsToTun: false },
  ])
})

test('output that is not ruleset JSON is an error', () => {
  assert.throws(() => parseRuleset('nope', 'vpcmesh0'), /invalid JSON/)
  assert.throws(() => parseRuleset('{"x":1}', 'vpcmesh0'), /no "nftables" array/)
})

test('readRuleset runs one nft -j list ruleset', async () => {
  const runner = new ScriptedRunner({ 'nft -j list ruleset': { stdout: RECORDED_RULESET } })
  assert.equal((await readRuleset(runner, 'vpcmesh0')).table, true)
  assert.deepEqual(runner.ran, ['nft -j list ruleset'])
})
