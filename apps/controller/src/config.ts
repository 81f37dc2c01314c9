import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { hostname } from 'node:os'
import { z } from 'zod'
import { MeshError, deepFreeze } from '@vpcmesh/common'
import { formatAddress, isCidrError, parseAddress, parsePrefix, specialRangeProblem } from '@vpcmesh/cidr'
import { HostPort, parseEndpoint } from '@vpcmesh/protocol'

/** A comma-separated `host:port` list, parsed into addresses. */
const Sentinels = z.string().transform((list, ctx) => {
  const out: Array<{ host: string; port: number }> = []
  for (const item of list.split(',').map((x) => x.trim())) {
    const e = parseEndpoint(item)
    if (typeof e === 'string') {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" is not host:port; give a comma-separated list, e.g. 10.0.0.5:26379,10.0.0.6:26379`,
      })
      return z.NEVER
    }
    out.push(e)
  }
  return out
})

/** A comma-separated list of IP addresses, canonicalized. */
const AddressList = z.string().transform((list, ctx) => {
  const out: string[] = []
  for (const item of list
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')) {
    try {
      out.push(formatAddress(parseAddress(item.replace(/^\[(.*)\]$/, '$1'))))
    } catch (e) {
      ctx.addIssue({
        code: 'custom',
        message: `"${item}" is not an IP address (${isCidrError(e) ? e.message : 'unparsable'}); give a comma-separated list, e.g. 203.0.113.7,10.0.0.7`,
      })
      return z.NEVER
    }
  }
  return out
})

/** Controller configuration, parsed once from the environment by {@link parseConfig}. */
export const ControllerConfig = z
  .object({
    /** Address the REST API and WebSocket hub listen on. */
    listen: HostPort.default('127.0.0.1:7700'),
    /**
     * Addresses agents use to reach the controller (a load balancer's, a NAT's), besides the
     * listen address. Prefixes containing any of them are refused at registration, so a
     * registration can never route the agents' control connection into the mesh.
     */
    advertiseAddresses: AddressList.default([]),
    /** Admin bearer token (VPCMESH_ADMIN_TOKEN or the content of VPCMESH_ADMIN_TOKEN_FILE). */
    adminToken: z
      .string({ error: 'is required: the bearer token operators and the CLI present' })
      .min(16, { message: 'must be at least 16 characters; generate one with `openssl rand -hex 32`' }),
    /** Redis URL (redis://host:port/db or rediss://...); unset means an embedded redis-server. */
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, { message: 'must start with redis:// or rediss://' })
      .optional(),
    /** Sentinels to ask for the Redis primary; exclusive with redisUrl. Unset: no Sentinel. */
    redisSentinels: Sentinels.optional(),
    /** Master group name the sentinels monitor (used only with redisSentinels). @default 'mymaster' */
    redisSentinelName: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 of A-Z a-z 0-9 _ . : -' })
      .optional(),
    /** AUTH password of the Redis primary and replicas (used only with redisSentinels). */
    redisPassword: z.string().min(1).optional(),
    /** AUTH password of the sentinels (used only with redisSentinels). */
    redisSentinelPassword: z.string().min(1).optional(),
    /** Data directory of the embedded redis-server (used only when neither REDIS_URL nor sentinels are set). */
    dataDir: z.string().min(1).default('/var/lib/vpcmesh-controller'),
    /** Prefix of every Redis key and channel. */
    redisPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
      .default('vpcmesh:'),
    /** This replica's name, shown in status. */
    replicaId: z.string().min(1).max(64).default(`${hostname()}-${process.pid}`),
    /**
     * Pool the global prefixes of global-mode VPCs are allocated from (IPv4). 242.0.0.0/8 lies in
     * 240.0.0.0/4, reserved and never used on the Internet or by clouds, and Linux routes it.
     */
    globalPool: z
      .string()
      .default('242.0.0.0/8')
      .transform((text, ctx) => {
        try {
          const p = parsePrefix(text.trim())
          const why = p.family === 4 ? specialRangeProblem(p) : 'the global pool must be IPv4'
          if (why === undefined) return p
          ctx.addIssue({ code: 'custom', message: `${text}: ${why}` })
        } catch (e) {
          ctx.addIssue({
            code: 'custom',
            message: `"${text}" is not a CIDR prefix (${isCidrError(e) ? e.message : 'unparsable'}); e.g. 242.0.0.0/8`,
          })
        }
        return z.NEVER
      }),
    /** Interval of WebSocket pings to agents, ms; an agent silent for 3 intervals is dropped. */
    heartbeatMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Lifetime of a join token, seconds. */
    joinTokenTtlS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86400)
      .default(86_400),
    /** Largest accepted request body, bytes. */
    bodyLimit: z.coerce
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(65_536),
    /** Admin API requests allowed per client address per minute (0 disables). */
    rateLimitPerMin: z.coerce.number().int().min(0).default(1200),
    /** Time from the WebSocket upgrade until an agent's hello must arrive, ms; then closed with 4407. */
    helloTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Agent connections without a completed hello per client address (0 disables); more: 429 at the upgrade. */
    unauthPerAddress: z.coerce.number().int().min(0).max(1_000_000).default(16),
    /** Agent connections without a completed hello on this replica (0 disables); more: 503 at the upgrade. */
    unauthMax: z.coerce.number().int().min(0).max(1_000_000).default(1024),
    /** Hellos per second per client address, token bucket refill (0 disables); more: closed with 4429. */
    helloRatePerS: z.coerce.number().min(0).max(100_000).default(5),
    /** Hellos a client address may send at once (token bucket size). */
    helloBurst: z.coerce.number().int().min(1).max(1_000_000).default(20),
    /** Change-log entries kept for delta catch-up; agents further behind get a snapshot. */
    changeLogMax: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Log lines: one JSON object each (log collectors), or human-readable text (a terminal, journald). */
    logFormat: z.enum(['json', 'text'], { message: 'must be json or text' }).default('json'),
    /** PEM certificate (chain) for HTTPS/WSS; with tlsKeyFile. Unset: plain HTTP (put a TLS proxy in front). */
    tlsCertFile: z.string().min(1).optional(),
    /** PEM private key of tlsCertFile. */
    tlsKeyFile: z.string().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.tlsCertFile === undefined) !== (c.tlsKeyFile === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.tlsCertFile === undefined ? 'tlsCertFile' : 'tlsKeyFile'],
        message: 'give both VPCMESH_TLS_CERT_FILE and VPCMESH_TLS_KEY_FILE, or neither',
      })
    }
    if (c.redisUrl !== undefined && c.redisSentinels !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['redisSentinels'],
        message:
          'cannot be combined with REDIS_URL: set REDIS_URL for one Redis, or the sentinels for a Sentinel group, not both',
      })
    }
    if (c.redisSentinels === undefined) {
      const urlHint = ' (with REDIS_URL, put the password in the URL: redis://:PASSWORD@host:port)'
      for (const key of ['redisSentinelName', 'redisPassword', 'redisSentinelPassword'] as const) {
        if (c[key] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `is used only with VPCMESH_REDIS_SENTINELS${key === 'redisPassword' ? urlHint : ''}`,
          })
      }
    }
  })
  .transform((c) => ({ ...c, redisSentinelName: c.redisSentinelName ?? 'mymaster' }))
export type ControllerConfig = Readonly<z.infer<typeof ControllerConfig>>

/** The environment variables read, by config key. */
const ENV: Record<keyof z.input<typeof ControllerConfig>, string> = {
  listen: 'VPCMESH_LISTEN',
  advertiseAddresses: 'VPCMESH_ADVERTISE_ADDRESSES',
  adminToken: 'VPCMESH_ADMIN_TOKEN',
  redisUrl: 'REDIS_URL',
  redisSentinels: 'VPCMESH_REDIS_SENTINELS',
  redisSentinelName: 'VPCMESH_REDIS_SENTINEL_NAME',
  redisPassword: 'VPCMESH_REDIS_PASSWORD',
  redisSentinelPassword: 'VPCMESH_REDIS_SENTINEL_PASSWORD',
  dataDir: 'VPCMESH_DATA_DIR',
  redisPrefix: 'VPCMESH_REDIS_PREFIX',
  replicaId: 'VPCMESH_REPLICA_ID',
  globalPool: 'VPCMESH_GLOBAL_POOL',
  heartbeatMs: 'VPCMESH_HEARTBEAT_MS',
  joinTokenTtlS: 'VPCMESH_JOIN_TOKEN_TTL_S',
  bodyLimit: 'VPCMESH_BODY_LIMIT',
  rateLimitPerMin: 'VPCMESH_RATE_LIMIT_PER_MIN',
  helloTimeoutMs: 'VPCMESH_HELLO_TIMEOUT_MS',
  unauthPerAddress: 'VPCMESH_UNAUTH_PER_ADDRESS',
  unauthMax: 'VPCMESH_UNAUTH_MAX',
  helloRatePerS: 'VPCMESH_HELLO_RATE_PER_S',
  helloBurst: 'VPCMESH_HELLO_BURST',
  changeLogMax: 'VPCMESH_CHANGELOG_MAX',
  logLevel: 'VPCMESH_LOG_LEVEL',
  logFormat: 'VPCMESH_LOG_FORMAT',
  tlsCertFile: 'VPCMESH_TLS_CERT_FILE',
  tlsKeyFile: 'VPCMESH_TLS_KEY_FILE',
}

/** Raised by {@link parseConfig}: every problem at once, one per line, naming the variable. */
export class ConfigError extends MeshError {
  constructor(readonly problems: string[]) {
    super('VPCMESH_ERR_CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`)
  }
}

/**
 * Parses the environment into a deep-frozen config. `VPCMESH_ADMIN_TOKEN_FILE` is read here
 * (trimmed) when `VPCMESH_ADMIN_TOKEN` is unset. Throws ConfigError listing all problems.
 */
export function parseConfig(env: Record<string, string | undefined>): ControllerConfig {
  const raw: Record<string, unknown> = {}
  for (const [key, name] of Object.entries(ENV)) {
    const v = env[name]
    if (v !== undefined && v !== '') raw[key] = v
  }
  const problems: string[] = []
  const tokenFile = env.VPCMESH_ADMIN_TOKEN_FILE
  if (raw.adminToken === undefined && tokenFile !== undefined && tokenFile !== '') {
    try {
      raw.adminToken = readFileSync(tokenFile, 'utf8').trim()
    } catch (e) {
      problems.push(`VPCMESH_ADMIN_TOKEN_FILE: cannot read ${tokenFile}: ${(e as Error).message}`)
    }
  }
  const r = ControllerConfig.safeParse(raw)
  if (!r.success) {
    for (const issue of r.error.issues) {
      const key = String(issue.path[0]) as keyof typeof ENV
      const hint = key === 'adminToken' ? 'VPCMESH_ADMIN_TOKEN (or VPCMESH_ADMIN_TOKEN_FILE)' : ENV[key]
      problems.push(`${hint}: ${issue.message}`)
    }
  }
  if (problems.length > 0 || !r.success) throw new ConfigError(problems)
  return deepFreeze(r.data)
}

/** Help text of `vpcmesh controller`. */
export const CONTROLLER_USAGE = `usage: vpcmesh controller [--listen HOST:PORT] [--advertise-addresses LIST]
                          [--redis-url URL | --redis-sentinels LIST [--redis-sentinel-name NAME] | --data-dir DIR]
                          [--admin-token-file PATH] [--tls-cert PATH --tls-key PATH] [--replica-id NAME]
                          [--log-level LEVEL] [--log-format FORMAT]

Runs the controller: REST API under /v1 (OpenAPI at /docs), the agents' WebSocket hub, /metrics.
Any number of replicas may share one Redis. Every flag has an environment variable:
  --listen HOST:PORT          VPCMESH_LISTEN (default 127.0.0.1:7700)
  --advertise-addresses LIST  VPCMESH_ADVERTISE_ADDRESSES: IPs agents reach the controller at, e.g. 203.0.113.7
  --redis-url URL             REDIS_URL, e.g. redis://127.0.0.1:6379; neither this nor sentinels: an embedded redis-server
  --redis-sentinels LIST      VPCMESH_REDIS_SENTINELS: find the primary through Sentinel, e.g. 10.0.0.5:26379,10.0.0.6:26379
  --redis-sentinel-name NAME  VPCMESH_REDIS_SENTINEL_NAME: the monitored master's name (default mymaster)
  --data-dir DIR              VPCMESH_DATA_DIR: the embedded redis-server's data (default /var/lib/vpcmesh-controller)
  --admin-token-file PATH     VPCMESH_ADMIN_TOKEN_FILE, or the token itself in VPCMESH_ADMIN_TOKEN
  --tls-cert PATH             VPCMESH_TLS_CERT_FILE: serve HTTPS and WSS with this PEM certificate (chain)
  --tls-key PATH              VPCMESH_TLS_KEY_FILE: its PEM private key
  --replica-id NAME           VPCMESH_REPLICA_ID (default hostname-pid)
  --log-level LEVEL           VPCMESH_LOG_LEVEL: debug|info|warn|error
  --log-format FORMAT         VPCMESH_LOG_FORMAT: json (default, one object per line) or text (one readable line)
  -h, --help                  this text
Also: VPCMESH_HEARTBEAT_MS, VPCMESH_JOIN_TOKEN_TTL_S, VPCMESH_BODY_LIMIT, VPCMESH_RATE_LIMIT_PER_MIN,
VPCMESH_HELLO_TIMEOUT_MS, VPCMESH_UNAUTH_PER_ADDRESS, VPCMESH_UNAUTH_MAX, VPCMESH_HELLO_RATE_PER_S, VPCMESH_HELLO_BURST,
VPCMESH_CHANGELOG_MAX, VPCMESH_REDIS_PREFIX, VPCMESH_REDIS_PASSWORD, VPCMESH_REDIS_SENTINEL_PASSWORD (see docs/api.md).`

/**
 * Maps command-line flags onto the environment variables they stand for, or 'help'.
 * Throws ConfigError for unknown flags or stray arguments.
 */
export function parseFlags(argv: string[]): Record<string, string> | 'help' {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        listen: { type: 'string' },
        'advertise-addresses': { type: 'string' },
        'redis-url': { type: 'string' },
        'redis-sentinels': { type: 'string' },
        'redis-sentinel-name': { type: 'string' },
        'admin-token-file': { type: 'string' },
        'replica-id': { type: 'string' },
        'data-dir': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (e) {
    throw new ConfigError([(e as Error).message])
  }
  if (values.help === true) return 'help'
  const map: Record<string, string> = {
    listen: 'VPCMESH_LISTEN',
    'advertise-addresses': 'VPCMESH_ADVERTISE_ADDRESSES',
    'redis-url': 'REDIS_URL',
    'redis-sentinels': 'VPCMESH_REDIS_SENTINELS',
    'redis-sentinel-name': 'VPCMESH_REDIS_SENTINEL_NAME',
    'admin-token-file': 'VPCMESH_ADMIN_TOKEN_FILE',
    'replica-id': 'VPCMESH_REPLICA_ID',
    'data-dir': 'VPCMESH_DATA_DIR',
    'tls-cert': 'VPCMESH_TLS_CERT_FILE',
    'tls-key': 'VPCMESH_TLS_KEY_FILE',
    'log-level': 'VPCMESH_LOG_LEVEL',
    'log-format': 'VPCMESH_LOG_FORMAT',
  }
  const out: Record<string, string> = {}
  for (const [flag, name] of Object.entries(map)) {
    const v = values[flag]
    if (typeof v === 'string') out[name] = v
  }
  return out
}
