import Fastify, { type FastifyInstance } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import fastifyWebsocket from '@fastify/websocket'
import fastifyRateLimit from '@fastify/rate-limit'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Clock, Logger } from '@vpcmesh/common'
import type { Metrics } from '@vpcmesh/metrics'
import { MAX_FRAME_BYTES } from '@vpcmesh/protocol'
import type { ControllerConfig } from './config.js'
import type { Store } from './state/store.js'
import { adminGuard } from './auth.js'
import { frameworkErrors, installErrorHandler } from './error-handler.js'
import { rateLimitOptions } from './rate-limit.js'
import type { RateLimitRedis } from './state/rate-limit-redis.js'
import { ControllerMetrics } from './controller-metrics.js'
import { Hub } from './session/hub.js'
import { MapCache } from './mesh/map-cache.js'
import type { MapView } from './mesh/map-view.js'
import { Notifier } from './mesh/notifier.js'
import { vpcApi } from './routes/vpcs.js'
import { routeApi } from './routes/routes.js'
import { gatewayApi } from './routes/gateways.js'
import { statusApi } from './routes/status.js'
import { healthApi } from './routes/health.js'
import { explainApi } from './routes/explain.js'
import type { ProbeBus } from './session/probe-bus.js'
import { ProbeRelay } from './session/probe-relay.js'

/** What {@link buildApp} needs; `main.ts` builds these. */
export interface AppDeps {
  config: ControllerConfig
  store: Store
  metrics: Metrics
  logger: Logger
  clock: Clock
  /** PEM certificate and key: serve HTTPS (and WSS). Absent: plain HTTP. */
  tls?: { cert: Buffer; key: Buffer }
  /**
   * The rate limit's Redis connection, shared by every replica (`main.ts` always gives one).
   * Absent: each app counts in its own memory (tests that need no shared count).
   */
  rateLimitRedis?: RateLimitRedis
  /**
   * Relays `vpcmesh explain` probes between replicas (`main.ts` gives the Redis one). Absent:
   * only agents connected to this app can be probed.
   */
  probeBus?: ProbeBus
}

/** The agent hub's upgrade path: open without the admin token (agents authenticate in hello), but rate limited. */
const AGENT_CONNECT = '/v1/agents/connect'
/** Paths open without the admin token and outside the rate limit: probes, metrics, docs. */
const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics', '/docs', '/docs/json'])

/**
 * Builds the controller: REST API, WebSocket hub and notifier on one fastify instance. Never
 * listens (the caller does, or uses `inject`). The notifier starts on `ready` and everything
 * stops on `close`, which also closes agent connections with 1001.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, store, clock } = deps
  const log = deps.logger.child('api')
  const base = {
    bodyLimit: config.bodyLimit,
    logger: false,
    trustProxy: false,
    forceCloseConnections: true,
    frameworkErrors,
  }
  const app = (deps.tls === undefined
    ? Fastify(base)
    : Fastify({ ...base, https: deps.tls })) as unknown as FastifyInstance
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  let meshVersion = 0
  let hub: Hub | undefined
  const cm = new ControllerMetrics(deps.metrics, {
    agents: () => (hub?.ready() ?? []).map((s) => ({ name: s.vpcName, appliedVersion: s.appliedVersion })),
    connections: () => hub?.connections ?? 0,
    unauthenticated: () => hub?.unauthenticated ?? 0,
    meshVersion: () => meshVersion,
    gateways: () => gatewayRows(maps.held(), hub?.ready() ?? []),
  })
  const maps = new MapCache({ store })
  const notifier = new Notifier({
    store,
    maps,
    clock,
    logger: deps.logger,
    targets: () => hub?.ready() ?? [],
    onPush: (v, s) => {
      meshVersion = Math.max(meshVersion, v)
      cm.pushDuration.observe(s)
    },
  })
  hub = new Hub(
    {
      store,
      maps,
      clock,
      logger: deps.logger,
      events: cm,
      catchUp: (s) => {
        notifier.catchUp(s)
      },
      onElected: (vpcId, reason) => {
        cm.elected(maps.held()?.byId.get(vpcId)?.name ?? vpcId, reason)
      },
    },
    {
      replicaId: config.replicaId,
      heartbeatMs: config.heartbeatMs,
      helloTimeoutMs: config.helloTimeoutMs,
      unauthPerAddress: config.unauthPerAddress,
      unauthTotal: config.unauthMax,
      helloRatePerS: config.helloRatePerS,
      helloBurst: config.helloBurst,
    },
  )
  const relay = new ProbeRelay(
    {
      sessions: { sessionFor: (key) => hub?.sessionFor(key) },
      ...(deps.probeBus === undefined ? {} : { bus: deps.probeBus }),
      clock,
      logger: deps.logger,
    },
    { prefix: config.redisPrefix },
  )
  const unsubscribe = store.onVersion((v) => {
    meshVersion = Math.max(meshVersion, v)
  })

  installErrorHandler(app, log, () => {
    cm.storeErrors.inc()
  })
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'vpcmesh controller', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  })
  await app.register(fastifyWebsocket, {
    options: { maxPayload: MAX_FRAME_BYTES },
    // A frame the ws layer refuses (1009, 1007, 1002; docs/errors.md) is already closing with
    // its code: terminating, as the plugin's default handler does, would cut that close frame off.
    errorHandler: (_err, socket) => {
      if (socket.readyState === socket.OPEN) socket.terminate()
    },
  })

  const guard = adminGuard(config.adminToken)
  await app.register(
    fastifyRateLimit,
    rateLimitOptions({
      perMinute: config.rateLimitPerMin,
      prefix: config.redisPrefix,
      redis: deps.rateLimitRedis?.client,
    }),
  )
  const limit = config.rateLimitPerMin === 0 ? undefined : app.rateLimit()
  // Counted before authentication (slows token guessing); see docs/api.md, "Rate limits".
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0] ?? ''
    if (UNLIMITED.has(path)) return
    await limit?.call(app, req, reply)
    if (path !== AGENT_CONNECT) guard(req)
  })
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched'
    cm.httpRequests.inc({ route, method: req.method, status: String(reply.statusCode) })
    cm.httpDuration.observe({ route, method: req.method }, reply.elapsedTime / 1000)
  })

  const rd = { config, store, clock, logger: log }
  await app.register(vpcApi(rd))
  await app.register(routeApi(rd))
  await app.register(gatewayApi(rd))
  await app.register(statusApi(rd))
  await app.register(healthApi({ ...rd, metrics: deps.metrics }))
  await app.register(explainApi({ ...rd, probe: (agent, request) => relay.probe(agent, request) }))
  await app.register(async (scoped) => {
    hub?.route(scoped)
  })

  app.addHook('onReady', async () => {
    meshVersion = await store.currentVersion().catch(() => 0)
    notifier.start()
    await relay.start()
  })
  app.addHook('preClose', async () => {
    notifier.stop()
    unsubscribe()
    await relay.stop()
    await hub?.closeAll()
  })
  return app
}

/** The gateway gauges' rows: every VPC with several gateways, its epoch and its standbys ready here. */
function gatewayRows(
  view: MapView | undefined,
  ready: ReadonlyArray<{ vpcId: string | undefined; gatewayId: string | undefined }>,
): Array<{ vpc: string; epoch: number; standbys: number }> {
  if (view === undefined) return []
  const rows: Array<{ vpc: string; epoch: number; standbys: number }> = []
  for (const r of view.byId.values()) {
    const gws = r.gateways ?? []
    if (gws.length < 2) continue
    const here = ready.filter((s) => s.vpcId === r.id && s.gatewayId !== r.active?.gateway)
    const standbys = here.filter((s) => gws.some((g) => g.id === s.gatewayId && !g.drained)).length
    rows.push({ vpc: r.name, epoch: r.active?.epoch ?? 0, standbys })
  }
  return rows
}
