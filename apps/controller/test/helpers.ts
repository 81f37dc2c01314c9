import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { noopLogger, systemClock } from '@vpcmesh/common'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { createRedisStore } from '../src/state/redis-store.js'
import type { Store } from '../src/state/store.js'
import { startRedisServer, type RedisServer } from '../src/state/redis-server.js'

export const TOKEN = 'test-admin-token-0123456789'
export const auth = { authorization: `Bearer ${TOKEN}` }

/** A real redis-server in a temp dir; `stop` removes both. */
export async function mustRedis(): Promise<RedisServer & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-redis-'))
  const r = await startRedisServer({ dir })
  return Object.assign(Object.create(r) as RedisServer, r, {
    dir,
    stop: async () => {
      await r.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  })
}

/** A controller app (not listening) on the given Redis, with its store. */
export async function mustApp(
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<{ app: FastifyInstance; store: Store; close: () => Promise<void> }> {
  const config = parseConfig({ VPCMESH_ADMIN_TOKEN: TOKEN, REDIS_URL: redisUrl, VPCMESH_HEARTBEAT_MS: '1000', ...env })
  const store = await createRedisStore({}, { url: redisUrl, prefix: config.redisPrefix })
  const app = await buildApp({ config, store, metrics: prometheusMetrics(), logger: noopLogger, clock: systemClock })
  await app.ready()
  return {
    app,
    store,
    close: async () => {
      await app.close()
      await store.close()
    },
  }
}
