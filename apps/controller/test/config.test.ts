import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigError, parseConfig, parseFlags } from '../src/config.js'

const TOKEN = { VPCMESH_ADMIN_TOKEN: 'x'.repeat(20) }

function problems(env: Record<string, string>): string[] {
  try {
    parseConfig(env)
  } catch (e) {
    assert.ok(e instanceof ConfigError)
    assert.equal(e.code, 'VPCMESH_ERR_CONFIG_INVALID')
    return e.problems
  }
  return []
}

test('defaults are applied and the result is frozen', () => {
  const c = parseConfig({ ...TOKEN })
  assert.equal(c.listen, '127.0.0.1:7700')
  assert.equal(c.redisUrl, undefined)
  assert.equal(c.heartbeatMs, 10_000)
  assert.ok(Object.isFrozen(c))
})

test('every problem is reported at once, each naming its variable', () => {
  const p = problems({ VPCMESH_LISTEN: 'nope', VPCMESH_HEARTBEAT_MS: '5', REDIS_URL: 'http://x' })
  assert.ok(
    p.some((x) => x.startsWith('VPCMESH_ADMIN_TOKEN (or VPCMESH_ADMIN_TOKEN_FILE): is required')),
    p.join('\n'),
  )
  assert.ok(
    p.some((x) => x.startsWith('VPCMESH_LISTEN:')),
    p.join('\n'),
  )
  assert.ok(
    p.some((x) => x.startsWith('VPCMESH_HEARTBEAT_MS:')),
    p.join('\n'),
  )
  assert.ok(
    p.some((x) => x.startsWith('REDIS_URL:')),
    p.join('\n'),
  )
})

test('REDIS_URL and Sentinel are mutually exclusive; sentinel settings need sentinels', () => {
  assert.ok(
    problems({ ...TOKEN, REDIS_URL: 'redis://127.0.0.1:6379', VPCMESH_REDIS_SENTINELS: '127.0.0.1:26379' }).some((x) =>
      x.startsWith('VPCMESH_REDIS_SENTINELS'),
    ),
  )
  assert.ok(problems({ ...TOKEN, VPCMESH_REDIS_SENTINEL_NAME: 'm' }).length > 0)
  const c = parseConfig({ ...TOKEN, VPCMESH_REDIS_SENTINELS: '127.0.0.1:26379,[::1]:26380' })
  assert.ok(c.redisSentinels !== undefined)
})

test('flags map onto their variables; unknown flags and stray arguments are refused', () => {
  assert.deepEqual(parseFlags(['--listen', '0.0.0.0:7700', '--redis-url', 'redis://r:6379']), {
    VPCMESH_LISTEN: '0.0.0.0:7700',
    REDIS_URL: 'redis://r:6379',
  })
  assert.equal(parseFlags(['-h']), 'help')
  assert.throws(() => parseFlags(['--bogus']), ConfigError)
  assert.throws(() => parseFlags(['stray']), ConfigError)
})

test('agent hub limits: defaults, 0 disables, out-of-range values are refused', () => {
  const c = parseConfig({ ...TOKEN })
  assert.deepEqual(
    [c.helloTimeoutMs, c.unauthPerAddress, c.unauthMax, c.helloRatePerS, c.helloBurst],
    [10_000, 16, 1024, 5, 20],
  )
  const off = parseConfig({
    ...TOKEN,
    VPCMESH_UNAUTH_PER_ADDRESS: '0',
    VPCMESH_UNAUTH_MAX: '0',
    VPCMESH_HELLO_RATE_PER_S: '0.5',
  })
  assert.deepEqual([off.unauthPerAddress, off.unauthMax, off.helloRatePerS], [0, 0, 0.5])
  const p = problems({ ...TOKEN, VPCMESH_HELLO_TIMEOUT_MS: '10', VPCMESH_HELLO_BURST: '0', VPCMESH_UNAUTH_MAX: '-1' })
  for (const v of ['VPCMESH_HELLO_TIMEOUT_MS:', 'VPCMESH_HELLO_BURST:', 'VPCMESH_UNAUTH_MAX:'])
    assert.ok(
      p.some((x) => x.startsWith(v)),
      p.join('\n'),
    )
})

test('log format: json by default, text from VPCMESH_LOG_FORMAT or --log-format; anything else is refused', () => {
  assert.equal(parseConfig({ ...TOKEN }).logFormat, 'json')
  assert.equal(parseConfig({ ...TOKEN, VPCMESH_LOG_FORMAT: 'text' }).logFormat, 'text')
  assert.deepEqual(parseFlags(['--log-format', 'text']), { VPCMESH_LOG_FORMAT: 'text' })
  assert.deepEqual(problems({ ...TOKEN, VPCMESH_LOG_FORMAT: 'pretty' }), ['VPCMESH_LOG_FORMAT: must be json or text'])
})
