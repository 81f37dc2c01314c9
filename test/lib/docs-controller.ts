// Builds the real controller app (buildApp, the public entry point) without Redis or a socket,
// to read what it registers: its metrics and its HTTP routes (for docs.test.ts).
import { noopLogger, systemClock } from '@vpcmesh/common'
import { buildApp, parseConfig, type Store } from '@vpcmesh/controller'
import type {
  Counter,
  Exposition,
  Gauge,
  GaugeOptions,
  Histogram,
  HistogramOptions,
  MetricOptions,
  Metrics,
} from '@vpcmesh/metrics'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import type { MetricKind, MetricRegistration } from './docs-sources.js'

/** A Metrics that records each registration (kind, name, labels) and delegates to MemoryMetrics. */
export class RecordingMetrics implements Metrics {
  readonly registrations: MetricRegistration[] = []
  private readonly inner = new MemoryMetrics()

  constructor(private readonly owner: string) {}

  counter(o: MetricOptions): Counter {
    this.note('counter', o)
    return this.inner.counter(o)
  }
  gauge(o: GaugeOptions): Gauge {
    this.note('gauge', o)
    return this.inner.gauge(o)
  }
  histogram(o: HistogramOptions): Histogram {
    this.note('histogram', o)
    return this.inner.histogram(o)
  }
  async render(): Promise<Exposition> {
    return await this.inner.render()
  }
  listNames(): string[] {
    return this.inner.listNames()
  }

  private note(kind: MetricKind, o: MetricOptions): void {
    if (this.registrations.some((r) => r.name === o.name)) return
    this.registrations.push({
      name: o.name,
      kind,
      labels: [...(o.labelNames ?? [])].sort(),
      where: `registered by ${this.owner}`,
    })
  }
}

const unused = async (): Promise<never> => {
  throw new Error('docs test: the store is not used')
}

/** Answers of the reads buildApp makes while starting; every other Store method rejects. */
const EMPTY: Record<string, unknown> = {
  getVpc: async () => undefined,
  currentVersion: async () => 0,
  snapshot: async () => ({ version: 0, vpcs: [] }),
  changesSince: async () => ({ version: 0, changes: [] }),
  agents: async () => [],
  ping: async () => undefined,
  onVersion: () => () => undefined,
  close: async () => undefined,
}

/**
 * A Store that holds nothing: enough for buildApp to register routes and metrics. A Proxy, so
 * methods added to the Store interface later need no change here (they reject if called).
 */
export function emptyStore(): Store {
  return new Proxy(
    {},
    {
      get: (_t, prop) =>
        prop === 'then' ? undefined : ((typeof prop === 'string' ? EMPTY[prop] : undefined) ?? unused),
    },
  ) as Store
}

/** The controller as built by buildApp: its metric registrations and its fastify instance (ready). */
export interface BuiltController {
  metrics: RecordingMetrics
  app: App
}

/** The fastify instance buildApp returns. */
export type App = Awaited<ReturnType<typeof buildApp>>

/** Builds and readies the controller app; the caller closes `app`. */
export async function buildController(): Promise<BuiltController> {
  const metrics = new RecordingMetrics('apps/controller (buildApp)')
  const config = parseConfig({
    VPCMESH_ADMIN_TOKEN: 'docs-test-admin-token-0123456789',
    REDIS_URL: 'redis://127.0.0.1:1',
  })
  const app = await buildApp({ config, store: emptyStore(), metrics, logger: noopLogger, clock: systemClock })
  await app.ready()
  return { metrics, app }
}

/** `METHOD /path` (fastify `:param` syntax) of every route in the app's OpenAPI document. */
export function openApiRoutes(app: App): string[] {
  // swagger() is added by @fastify/swagger, whose type augmentation the test does not load.
  const doc = (app as unknown as { swagger: () => { paths?: Record<string, Record<string, unknown>> } }).swagger()
  const out: string[] = []
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const method of Object.keys(ops)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`)
    }
  }
  return out.sort()
}

/**
 * `METHOD /path` of every route the app serves, from fastify's `printRoutes()` tree (which,
 * unlike OpenAPI, includes hidden routes such as probes and the WebSocket endpoint). The HEAD
 * routes fastify adds for each GET are left out. Sorted.
 */
export function routeTable(app: App): string[] {
  const out: string[] = []
  const stack: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (m === null || line.trim() === '') continue
    const depth = [...(m[1] ?? '')].length / 4
    stack.length = depth
    stack.push(m[2] ?? '')
    for (const method of (m[3] ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '' && x !== 'HEAD')) {
      out.push(`${method} ${stack.join('')}`)
    }
  }
  return out.sort()
}
