/**
 * Property-based tests of the agent's configuration edge (docs/testing.md, "Property and
 * protocol fuzzing"): arbitrary argv and environments either parse to a frozen config or
 * throw AgentConfigError with VPCMESH_ERR_CONFIG_INVALID, never another exception.
 * `VPCMESH_TEST_SEED` replays a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { hasCode } from '@vpcmesh/common'
import { parseAgentConfig } from '../src/config.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : undefined
const RUNS: fc.Parameters<unknown> = { numRuns: 800, ...(SEED === undefined ? {} : { seed: SEED }) }

const VARS = [
  'VPCMESH_CONTROLLER',
  'VPCMESH_JOIN_TOKEN',
  'VPCMESH_STATE_DIR',
  'VPCMESH_CA_FILE',
  'VPCMESH_LOG_LEVEL',
  'VPCMESH_LOG_FORMAT',
  'VPCMESH_REQUIRE_TLS',
  'UNRELATED',
]

const FLAGS = [
  '--controller',
  '--join-token',
  '--state-dir',
  '--ca-file',
  '--tun',
  '--listen-port',
  '--bind',
  '--mtu',
  '--status-listen',
  '--keepalive-ms',
  '--no-offload',
  '--dataplane-workers',
  '--log-level',
  '--log-format',
  '--route-table',
  '--fwmark',
  '--require-tls',
  '--cleanup',
  '--',
  '--nope',
  '-h',
]

const value = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt().map(String),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '253',
    '256',
    '0x766d',
    '0xffffffff',
    '1e309',
    'NaN',
    '99999999999999999999',
    'http://127.0.0.1:7700',
    'https://c.example:443/base',
    'http://a, https://b',
    'http://a b',
    '127.0.0.1:7701',
    '[::1]:7701',
    'vpcmesh0',
    'x'.repeat(16),
    'debug',
    'text',
    '1',
  ),
)

test('arbitrary argv and environments parse or throw the config error, never another exception', () => {
  const arg = fc.oneof(
    fc.constantFrom(...FLAGS),
    value,
    fc.constantFrom(...FLAGS).map((f) => `${f}=1`),
  )
  fc.assert(
    fc.property(
      fc.array(arg, { maxLength: 10 }),
      fc.dictionary(fc.constantFrom(...VARS), value, { maxKeys: 6 }),
      (argv, env) => {
        let cfg: unknown
        try {
          cfg = parseAgentConfig(argv, env)
        } catch (e) {
          assert.ok(hasCode(e) && e.code === 'VPCMESH_ERR_CONFIG_INVALID', `threw ${String(e)}`)
          assert.ok(e.message.length > 0)
          return
        }
        assert.ok(Object.isFrozen(cfg), 'a parsed config is frozen')
      },
    ),
    RUNS,
  )
})

test('with --cleanup a broken environment never stops the parse', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.constantFrom(...VARS), value, { maxKeys: 6 }), (env) => {
      const { VPCMESH_LOG_LEVEL: _l, VPCMESH_LOG_FORMAT: _f, ...rest } = env
      const cfg = parseAgentConfig(['--cleanup'], rest)
      assert.equal(cfg.cleanup, true)
    }),
    RUNS,
  )
})
