import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, startRedisServer, type RedisServer } from '@vpcmesh/controller/testing'
import { teardown } from '@vpcmesh/testbed'
import { ControllerProc } from './controller-proc.js'
import { SimAgent } from './sim-agent.js'

export const ADMIN_TOKEN = 'integration-admin-token-0123456789'

/** Answer of an API call: status and parsed body (undefined for 204). */
export interface ApiAnswer {
  status: number
  body: any
}

/**
 * A real mesh control plane: one redis-server (with persistence in a temp dir) and N
 * controller processes sharing it, each on its own free port.
 */
export class Harness {
  redis!: RedisServer
  readonly controllers: ControllerProc[] = []
  private dir = ''
  private readonly agents: SimAgent[] = []

  /** Starts redis-server and `replicas` controllers with extra `env`; `nodeArgs` go to each controller's node. */
  static async start(replicas = 1, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<Harness> {
    const h = new Harness()
    h.dir = mkdtempSync(join(tmpdir(), 'vpcmesh-it-'))
    h.redis = await startRedisServer({ dir: join(h.dir, 'redis') })
    for (let i = 0; i < replicas; i++) {
      const c = new ControllerProc(
        await freePort(),
        {
          VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN,
          REDIS_URL: h.redis.url,
          VPCMESH_REPLICA_ID: `replica-${i + 1}`,
          VPCMESH_HEARTBEAT_MS: '1000',
          VPCMESH_LOG_LEVEL: 'warn',
          ...env,
        },
        nodeArgs,
      )
      await c.start()
      h.controllers.push(c)
    }
    return h
  }

  /** Restarts redis-server on the same port and data directory. */
  async restartRedis(): Promise<void> {
    const port = this.redis.port
    await this.redis.stop()
    this.redis = await startRedisServer({ dir: join(this.dir, 'redis'), port })
  }

  /** Calls the REST API of replica `i` with the admin token. */
  async api(method: string, path: string, body?: unknown, i = 0): Promise<ApiAnswer> {
    const c = this.controllers[i] as ControllerProc
    const r = await fetch(`${c.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    return { status: r.status, body: text === '' ? undefined : JSON.parse(text) }
  }

  /** VPCs registered through {@link Harness.mustCreateVpc} so far. */
  private created = 0

  /** Registers a VPC; fails the test unless 201. Returns id and join token. */
  async mustCreateVpc(name: string, cidrs: string[], i = 0): Promise<{ id: string; joinToken: string }> {
    // Endpoints are unique per mesh: each VPC gets its own port.
    const r = await this.api(
      'POST',
      '/v1/vpcs',
      { name, cidrs, endpoint: `192.0.2.${cidrs.length}:${10_000 + this.created++}` },
      i,
    )
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`)
    return { id: r.body.vpc.id, joinToken: r.body.joinToken }
  }

  /** A new simulated agent (with `publicKey`, or a random one), terminated by {@link Harness.stop}. */
  agent(publicKey?: string): SimAgent {
    const a = new SimAgent(publicKey)
    this.agents.push(a)
    return a
  }

  /** Terminates the agents, stops every controller and Redis and removes the work dir, each even when another failed. */
  async stop(): Promise<void> {
    await teardown([
      [
        `terminating ${this.agents.length} simulated agents`,
        () => {
          for (const a of this.agents.splice(0)) a.terminate()
        },
      ],
      ...this.controllers.map(
        (c) =>
          [
            `stopping the controller on ${c.port}`,
            async () => {
              await c.stop()
            },
          ] as const,
      ),
      [
        'stopping redis-server',
        async () => {
          await this.redis.stop()
        },
      ],
      [
        'removing the work dir',
        () => {
          rmSync(this.dir, { recursive: true, force: true })
        },
      ],
    ])
  }
}
