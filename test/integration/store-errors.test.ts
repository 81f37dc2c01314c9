import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'

/** Words of the Redis client's own error texts that must never reach an API answer. */
const DRIVER_TEXT =
  /Stream isn't writeable|enableOfflineQueue|Connection is closed|ECONNREFUSED|ioredis|MaxRetriesPerRequest|Command timed out/i

let h: Harness
before(async () => {
  h = await Harness.start(1)
})
after(async () => {
  await h.stop()
})

test('Redis stopped under a real controller: API writes answer 503 with the code and retry hint only; the detail is in the controller log', async () => {
  await h.redis.stop()
  const bodies: string[] = []
  for (let i = 0; i < 3; i++) {
    const r = await h.api('POST', '/v1/vpcs', { name: `down-${i}`, cidrs: [`10.${i}.0.0/16`], endpoint: '192.0.2.1:1' })
    assert.equal(r.status, 503)
    assert.deepEqual(r.body, {
      code: 'VPCMESH_ERR_STORE_UNAVAILABLE',
      message: 'state store (Redis) unavailable; nothing was changed; retry when it is back',
      retryable: true,
    })
    bodies.push(JSON.stringify(r.body))
  }
  const ready = await fetch(`${h.controllers[0]!.url}/readyz`)
  assert.equal(ready.status, 503)
  bodies.push(await ready.text())
  for (const b of bodies) assert.doesNotMatch(b, DRIVER_TEXT)
  const line = await awaitValue('the failure is logged with its cause', () =>
    h.controllers[0]!.output.split('\n').find((l) => l.includes('request failed') && l.includes('"cause"')),
  )
  const logged = JSON.parse(line) as { level: string; code: string; cause: string }
  assert.equal(logged.level, 'error')
  assert.equal(logged.code, 'VPCMESH_ERR_STORE_UNAVAILABLE')
  assert.match(logged.cause, DRIVER_TEXT)
})
