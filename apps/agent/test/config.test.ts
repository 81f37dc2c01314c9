import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AgentConfigError, parseAgentConfig } from '../src/config.js'

test('flags win over the environment; defaults fill the rest; the result is frozen', () => {
  const c = parseAgentConfig(['--controller', 'http://c1:7700', '--controller', 'https://c2/prefix', '--mtu', '1380'], { VPCMESH_CONTROLLER: 'http://ignored:1', VPCMESH_JOIN_TOKEN: 'vmj_0123456789abcdef' })
  assert.deepEqual(c.controllers, ['http://c1:7700', 'https://c2/prefix'])
  assert.equal(c.joinToken, 'vmj_0123456789abcdef')
  assert.equal(c.mtu, 1380)
  assert.equal(c.tun, 'vpcmesh0')
  assert.equal(c.listenPort, 51820)
  assert.equal(c.offload, true)
  assert.equal(parseAgentConfig(['--no-offload'], { VPCMESH_CONTROLLER: 'http://a:1' }).offload, false)
  assert.ok(Object.isFrozen(c))
  assert.deepEqual(parseAgentConfig([], { VPCMESH_CONTROLLER: 'http://a:1, http://b:2' }).controllers, ['http://a:1', 'http://b:2'])
})

test('bad input lists every problem with code VPCMESH_ERR_CONFIG_INVALID', () => {
  try {
    parseAgentConfig(['--mtu', '100', '--listen-port', '0'], {})
    assert.fail('no error')
  } catch (e) {
    assert.ok(e instanceof AgentConfigError)
    assert.equal(e.code, 'VPCMESH_ERR_CONFIG_INVALID')
    assert.ok(e.problems.some((p) => p.startsWith('controllers:')), e.message)
    assert.ok(e.problems.some((p) => p.startsWith('mtu:')), e.message)
    assert.ok(e.problems.some((p) => p.startsWith('listenPort:')), e.message)
  }
  assert.throws(() => parseAgentConfig(['--bogus'], {}), AgentConfigError)
})

test('--cleanup ignores the environment, so a broken setting cannot block it', () => {
  const c = parseAgentConfig(['--cleanup', '--tun', 'mesh1'], { VPCMESH_CONTROLLER: 'not a url', VPCMESH_JOIN_TOKEN: 'short' })
  assert.equal(c.cleanup, true)
  assert.equal(c.tun, 'mesh1')
})
