/**
 * Property-based tests of the controller's configuration edge (docs/testing.md, "Property and
 * protocol fuzzing"): arbitrary environments and argv either parse to a frozen config or
 * throw ConfigError with VPCMESH_ERR_CONFIG_INVALID, never another exception.
 * `VPCMESH_TEST_SEED` replays a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { hasCode } from '@vpcmesh/common'
import { parseConfig, parseFlags } from '../src/config.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : undefined
const RUNS: fc.Parameters<unknown> = { numRuns: 500, ...(SEED === undefined ? {} : { seed: SEED }) }

const VARS = [
  'VPCMESH_LISTEN',
  'VPCMESH_ADVERTISE_ADDRESSES',
  'VPCMESH_ADMIN_TOKEN',
  'VPCMESH_ADMIN_TOKEN_FILE',
  'REDIS_URL',
  'VPCMESH_REDIS_SENTINELS',
  'VPCMESH_REDIS_SENTINEL_NAME',
  'VPCMESH_REDIS_PASSWORD',
  'VPCMESH_REDIS_SENTINEL_PASSWORD',
  'VPCMESH_DATA_DIR',
  'VPCMESH_REDIS_PREFIX',
  'VPCMESH_REPLICA_ID',
  'VPCMESH_HEARTBEAT_MS',
  'VPCMESH_JOIN_TOKEN_TTL_S',
  'VPCMESH_BODY_LIMIT',
  'VPCMESH_RATE_LIMIT_PER_MIN',
  'VPCMESH_HELLO_TIMEOUT_MS',
  'VPCMESH_UNAUTH_PER_ADDRESS',
  'VPCMESH_UNAUTH_MAX',
  'VPCMESH_HELLO_RATE_PER_S',
  'VPCMESH_HELLO_BURST',
  'VPCMESH_CHANGELOG_MAX',
  'VPCMESH_LOG_LEVEL',
  'VPCMESH_LOG_FORMAT',
  'VPCMESH_TLS_CERT_FILE',
  'VPCMESH_TLS_KEY_FILE',
  'UNRELATED',
]

const FLAGS = [
  '--listen',
  '--advertise-addresses',
  '--redis-url',
  '--redis-sentinels',
  '--redis-sentinel-name',
  '--admin-token-file',
  '--replica-id',
  '--data-dir',
  '--tls-cert',
  '--tls-key',
  '--log-level',
  '--log-format',
  '--help',
  '-h',
  '--',
  '--nope',
  '-x',
]

/** Values that are close to valid, at the edges, or junk. */
function values(tokenFile: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.bigInt().map(String),
    fc.constantFrom(
      '',
      ' ',
      '0',
      '-1',
      '1e309',
      'NaN',
      '0x10',
      '99999999999999999999',
      '127.0.0.1:0',
      '127.0.0.1:7700',
      '[::1]:7700',
      'redis://127.0.0.1:6379',
      'http://x',
      '10.0.0.5:26379,10.0.0.6:26379',
      '203.0.113.7,2001:db8::1',
      'x'.repeat(20),
      'debug',
      'text',
      'json',
      tokenFile,
      join(tokenFile, 'missing'),
      '/',
    ),
  )
}

/** Asserts `e` is the config error: its code and a message naming the problem. */
function assertConfigError(e: unknown): void {
  assert.ok(hasCode(e) && e.code === 'VPCMESH_ERR_CONFIG_INVALID', `threw ${String(e)}`)
  assert.ok(e.message.length > 0)
}

/** Checks one outcome: a frozen config, or the config error with its code. */
function parsesOrConfigError(run: () => unknown): void {
  let result: unknown
  try {
    result = run()
  } catch (e) {
    return assertConfigError(e)
  }
  assert.ok(Object.isFrozen(result), 'a parsed config is frozen')
}

test('arbitrary environments parse or throw the config error, never another exception', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-cfg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, `${'t'.repeat(24)}\n`)
  const env = fc.dictionary(fc.constantFrom(...VARS), values(tokenFile), { maxKeys: 10 })
  fc.assert(
    fc.property(env, fc.boolean(), (e, withToken) => {
      const full = withToken ? { VPCMESH_ADMIN_TOKEN: 'a'.repeat(20), ...e } : e
      parsesOrConfigError(() => parseConfig(full))
    }),
    RUNS,
  )
})

test('arbitrary argv parses or throws the config error, and flags feed parseConfig the same way', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-cfg-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, 'short\n')
  const arg = fc.oneof(
    fc.constantFrom(...FLAGS),
    values(tokenFile),
    fc.constantFrom(...FLAGS).map((f) => `${f}=x`),
  )
  fc.assert(
    fc.property(fc.array(arg, { maxLength: 8 }), (argv) => {
      let flags: ReturnType<typeof parseFlags>
      try {
        flags = parseFlags(argv)
      } catch (e) {
        return assertConfigError(e)
      }
      if (flags === 'help') return
      const env = flags
      parsesOrConfigError(() => parseConfig({ VPCMESH_ADMIN_TOKEN: 'a'.repeat(20), ...env }))
    }),
    RUNS,
  )
})
