import Fastify from 'fastify'
import type { Metrics } from '@vpcmesh/metrics'
import { AgentStatusDocument } from '@vpcmesh/protocol'

/** What the status server shows; the agent's engine implements it. */
export interface StatusSource {
  /**
   * The /status document: an {@link AgentStatusDocument} (libs/protocol/src/agent-status.ts).
   * Checked against that schema on every answer, so the wire never carries a shape the CLI
   * cannot read; a mismatch is a bug and answers 500.
   */
  status(): AgentStatusDocument
  /** Liveness for /healthz: ok unless the data plane failed or the last apply failed. */
  health(): { ok: boolean; detail?: string }
}

/**
 * The agent's local HTTP server: /metrics (Prometheus text), /healthz (200 or 503 with the
 * reason), /status (peers, versions, controller connection). Meant for 127.0.0.1; it has no
 * authentication and shows no secrets.
 */
export async function startStatusServer(
  c: { metrics: Metrics; source: StatusSource },
  o: { host: string; port: number },
): Promise<StatusServer> {
  const app = Fastify({ logger: false })
  app.get('/metrics', async (_req, reply) => {
    const e = await c.metrics.render()
    return await reply.header('content-type', e.contentType).send(e.body)
  })
  app.get('/healthz', async (_req, reply) => {
    const h = c.source.health()
    return await reply.status(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unhealthy', detail: h.detail })
  })
  app.get('/status', async (): Promise<AgentStatusDocument> => {
    const doc = c.source.status()
    // Checked, then served as given: a field the schema lacks still shows (and the e2e test,
    // test/e2e/mesh.test.ts, fails until the schema has it); a wrong shape throws, answering 500.
    AgentStatusDocument.parse(doc)
    return doc
  })
  await app.listen({ host: o.host, port: o.port })
  return {
    close: async () => {
      await app.close()
    },
  }
}

/** A running status server. */
export interface StatusServer {
  /** Stops listening; resolves when closed. */
  close(): Promise<void>
}
