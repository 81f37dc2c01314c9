import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTableRoutes, readTableRoutes } from '../../src/explain/route-probe.js'
import { ScriptedRunner } from './scripted-runner.js'

// Recorded with `ip -4 -j route show table 52` and `ip -6 …` (iproute2 6.x) on a TUN vpcmesh0.
const V4 =
  '[{"dst":"10.2.0.0/24","dev":"vpcmesh0","protocol":"112","scope":"link","flags":["linkdown"]},' +
  '{"type":"throw","dst":"10.3.0.0/24","protocol":"112","flags":[]},{"type":"blackhole","dst":"10.4.0.0/24","flags":[]},' +
  '{"dst":"10.9.0.7","dev":"vpcmesh0","protocol":"112","scope":"link","flags":["linkdown"]}]\n'
const V6 =
  '[{"dst":"fd00:2::/64","dev":"vpcmesh0","protocol":"112","metric":1024,"flags":["linkdown"],"pref":"medium"}]\n'
const NO_TABLE = { code: 2, stderr: 'Error: ipv4: FIB table does not exist.\nDump terminated\n' }

test('parseTableRoutes: types, host routes and default made canonical', () => {
  assert.deepEqual(parseTableRoutes(V4, 4), [
    { prefix: '10.2.0.0/24', dev: 'vpcmesh0', type: 'unicast' },
    { prefix: '10.3.0.0/24', dev: '', type: 'throw' },
    { prefix: '10.4.0.0/24', dev: '', type: 'blackhole' },
    { prefix: '10.9.0.7/32', dev: 'vpcmesh0', type: 'unicast' },
  ])
  assert.deepEqual(parseTableRoutes('[{"dst":"default","dev":"eth0"}]', 6), [
    { prefix: '::/0', dev: 'eth0', type: 'unicast' },
  ])
  assert.deepEqual(parseTableRoutes('', 4), [])
  assert.throws(() => parseTableRoutes('{}', 4), /no array/)
})

test('readTableRoutes: each asked prefix with its entry, or none; one read per family needed', async () => {
  const runner = new ScriptedRunner({
    'ip -4 -j route show table 52': { stdout: V4 },
    'ip -6 -j route show table 52': { stdout: V6 },
  })
  const got = await readTableRoutes(runner, 52, [
    '10.2.0.0/24',
    '10.3.0.0/24',
    '10.4.0.0/24',
    '10.5.0.0/24',
    'fd00:2::/64',
  ])
  assert.deepEqual(got, [
    { prefix: '10.2.0.0/24', dev: 'vpcmesh0', type: 'unicast' },
    { prefix: '10.3.0.0/24', dev: null, type: 'throw' },
    { prefix: '10.4.0.0/24', dev: null, type: 'blackhole' },
    { prefix: '10.5.0.0/24', dev: null, type: null },
    { prefix: 'fd00:2::/64', dev: 'vpcmesh0', type: 'unicast' },
  ])
  assert.deepEqual(runner.ran, ['ip -4 -j route show table 52', 'ip -6 -j route show table 52'])
})

test('readTableRoutes: a table with no route left does not exist, which reads as empty', async () => {
  const runner = new ScriptedRunner({ 'ip -4 -j route show table 52': NO_TABLE })
  assert.deepEqual(await readTableRoutes(runner, 52, ['10.2.0.0/24']), [
    { prefix: '10.2.0.0/24', dev: null, type: null },
  ])
})

test('readTableRoutes: another failure is an error naming the command', async () => {
  const runner = new ScriptedRunner({ 'ip -4 -j route show table 52': { code: 255, stderr: 'Error: something else' } })
  await assert.rejects(
    readTableRoutes(runner, 52, ['10.2.0.0/24']),
    /ip -4 -j route show table 52 exited with code 255/,
  )
})
