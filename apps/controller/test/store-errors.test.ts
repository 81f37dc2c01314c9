import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Logger } from '@vpcmesh/common'
import { systemClock } from '@vpcmesh/common'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { createRedisStore } from '../src/state/redis-store.js'
import { TOKEN, auth, mustRedis } from './helpers.js'

/** Words of the Redis client's own error texts that must never reach an API answer. */
const DRIVER_TEXT =
  /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ioredis|MaxRetriesPerRequest|Command timed out/i

/** A Logger that keeps every line (message and fields) in `lines`. */
function recordingLogger(
  lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>,
  prefix = '',
): Logger {
  const at =
    (level: string) =>
    (msg: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, msg: prefix + msg, fields })
    }
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (c) => recordingLogger(lines, `${prefix}${c}: `),
  }
}

test("Redis gone: a write answers 503 with the stable code and a plain message; the driver's detail is only in the log", async () => {
  const redis = await mustRedis()
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = []
  const config = parseConfig({ VPCMESH_ADMIN_TOKEN: TOKEN, REDIS_URL: redis.url })
  const store = await createRedisStore({}, { url: redis.url, prefix: config.redisPrefix, commandTimeoutMs: 1000 })
  const app = await buildApp({
    config,
    store,
    metrics: prometheusMetrics(),
    logger: recordingLogger(lines),
    clock: systemClock,
  })
  await app.ready()
  try {
    await redis.stop()
    const r = await app.inject({
      method: 'POST',
      url: '/v1/vpcs',
      headers: auth,
      payload: { name: 'gone', cidrs: ['10.9.0.0/16'], endpoint: '192.0.2.1:1' },
    })
    assert.equal(r.statusCode, 503)
    assert.deepEqual(r.json(), {
      code: 'VPCMESH_ERR_STORE_UNAVAILABLE',
      message: 'state store (Redis) unavailable; nothing was changed; retry when it is back',
      retryable: true,
    })
    const ready = await app.inject({ method: 'GET', url: '/readyz' })
    assert.equal(ready.statusCode, 503)
    assert.doesNotMatch(ready.body, DRIVER_TEXT)
    const logged = lines.find((l) => l.level === 'error' && /request failed/.test(l.msg))
    assert.ok(logged !== undefined, JSON.stringify(lines))
    assert.equal(logged.fields?.code, 'VPCMESH_ERR_STORE_UNAVAILABLE')
    assert.match(String(logged.fields?.cause), DRIVER_TEXT, 'the log keeps what the driver said')
  } finally {
    await app.close()
    await store.close()
  }
})
