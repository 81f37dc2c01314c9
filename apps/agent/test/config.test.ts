import { test } from 'node:test'
import { availableParallelism } from 'node:os'
import assert from 'node:assert/strict'
import { AgentConfigError, parseAgentConfig, plaintextControllers } from '../src/config.js'

test('flags win over the environment; defaults fill the rest; the result is frozen', () => {
  const c = parseAgentConfig(['--controller', 'http://c1:7700', '--controller', 'https://c2/prefix', '--mtu', '1380'], {
    VPCMESH_CONTROLLER: 'http://ignored:1',
    VPCMESH_JOIN_TOKEN: 'vmj_0123456789abcdef',
  })
  assert.deepEqual(c.controllers, ['http://c1:7700', 'https://c2/prefix'])
  assert.equal(c.joinToken, 'vmj_0123456789abcdef')
  assert.equal(c.mtu, 1380)
  assert.equal(c.tun, 'vpcmesh0')
  assert.equal(c.listenPort, 51820)
  assert.equal(c.offload, true)
  assert.equal(parseAgentConfig(['--no-offload'], { VPCMESH_CONTROLLER: 'http://a:1' }).offload, false)
  assert.equal(c.dataplaneWorkers, Math.min(availableParallelism(), 8))
  assert.equal(parseAgentConfig(['--dataplane-workers', '0'], { VPCMESH_CONTROLLER: 'http://a:1' }).dataplaneWorkers, 0)
  assert.equal(parseAgentConfig(['--dataplane-workers', '4'], { VPCMESH_CONTROLLER: 'http://a:1' }).dataplaneWorkers, 4)
  assert.ok(Object.isFrozen(c))
  assert.deepEqual(parseAgentConfig([], { VPCMESH_CONTROLLER: 'http://a:1, http://b:2' }).controllers, [
    'http://a:1',
    'http://b:2',
  ])
})

test('bad input lists every problem with code VPCMESH_ERR_CONFIG_INVALID', () => {
  try {
    parseAgentConfig(['--mtu', '100', '--listen-port', '0', '--dataplane-workers', '9'], {})
    assert.fail('no error')
  } catch (e) {
    assert.ok(e instanceof AgentConfigError)
    assert.equal(e.code, 'VPCMESH_ERR_CONFIG_INVALID')
    assert.ok(
      e.problems.some((p) => p.startsWith('controllers:')),
      e.message,
    )
    assert.ok(
      e.problems.some((p) => p.startsWith('mtu:')),
      e.message,
    )
    assert.ok(
      e.problems.some((p) => p.startsWith('listenPort:')),
      e.message,
    )
    assert.ok(
      e.problems.some((p) => p.startsWith('dataplaneWorkers:')),
      e.message,
    )
  }
  assert.throws(() => parseAgentConfig(['--bogus'], {}), AgentConfigError)
})

test('--cleanup ignores the environment, so a broken setting cannot block it', () => {
  const c = parseAgentConfig(['--cleanup', '--tun', 'mesh1'], {
    VPCMESH_CONTROLLER: 'not a url',
    VPCMESH_JOIN_TOKEN: 'short',
  })
  assert.equal(c.cleanup, true)
  assert.equal(c.tun, 'mesh1')
})

test('--require-tls refuses http:// controller URLs (also from VPCMESH_REQUIRE_TLS=1); https:// passes', () => {
  assert.throws(
    () => parseAgentConfig(['--require-tls', '--controller', 'https://c1:7700', '--controller', 'http://c2:7700'], {}),
    (e) =>
      e instanceof AgentConfigError &&
      e.problems.length === 1 &&
      /http:\/\/c2:7700 is plain HTTP; with --require-tls use https:\/\//.test(e.message),
  )
  assert.throws(
    () => parseAgentConfig([], { VPCMESH_CONTROLLER: 'http://c1:7700', VPCMESH_REQUIRE_TLS: '1' }),
    AgentConfigError,
  )
  assert.equal(parseAgentConfig(['--require-tls', '--controller', 'https://c1:7700'], {}).requireTls, true)
  assert.equal(parseAgentConfig(['--controller', 'http://c1:7700'], {}).requireTls, false)
})

test('plaintextControllers names http:// URLs to anything but loopback (the agent warns about them at start)', () => {
  assert.deepEqual(
    plaintextControllers([
      'http://10.0.0.5:7700',
      'https://c:7700',
      'http://127.0.0.1:7700',
      'http://localhost:7700',
      'http://[::1]:7700',
      'http://ctl.example/x',
    ]),
    ['http://10.0.0.5:7700', 'http://ctl.example/x'],
  )
})

test('--route-table and --fwmark: defaults, hex marks, reserved tables refused', () => {
  const c = parseAgentConfig(['--controller', 'http://a:1'], {})
  assert.deepEqual([c.routeTable, c.fwmark], [undefined, 0x766d])
  const d = parseAgentConfig(['--controller', 'http://a:1', '--route-table', '100', '--fwmark', '0x1234'], {})
  assert.deepEqual([d.routeTable, d.fwmark], [100, 0x1234])
  assert.throws(
    () => parseAgentConfig(['--controller', 'http://a:1', '--route-table', '254'], {}),
    /routeTable: must not be 253-255/,
  )
  assert.throws(
    () => parseAgentConfig(['--controller', 'http://a:1', '--fwmark', '0'], {}),
    /fwmark: must be 1-0x7fffffff/,
  )
  assert.equal(parseAgentConfig(['--cleanup', '--route-table', '100'], { VPCMESH_REQUIRE_TLS: '1' }).routeTable, 100)
})

test('--log-format: json by default, text from the flag or VPCMESH_LOG_FORMAT (flag wins, also with --cleanup); anything else is refused', () => {
  const env = { VPCMESH_CONTROLLER: 'http://a:1' }
  assert.equal(parseAgentConfig([], env).logFormat, 'json')
  assert.equal(parseAgentConfig(['--log-format', 'text'], env).logFormat, 'text')
  assert.equal(parseAgentConfig([], { ...env, VPCMESH_LOG_FORMAT: 'text' }).logFormat, 'text')
  assert.equal(parseAgentConfig(['--log-format', 'json'], { ...env, VPCMESH_LOG_FORMAT: 'text' }).logFormat, 'json')
  assert.equal(parseAgentConfig(['--cleanup'], { VPCMESH_LOG_FORMAT: 'text' }).logFormat, 'text')
  assert.throws(
    () => parseAgentConfig(['--log-format', 'pretty'], env),
    (e) => e instanceof AgentConfigError && e.problems.some((p) => p === 'logFormat: must be json or text'),
  )
})
