import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { z } from 'zod'
import { MeshError, deepFreeze } from '@vpcmesh/common'
import { HostPort } from '@vpcmesh/protocol'

/**
 * Most packet threads: the engine's own cap, which keeps the counter reordering of parallel
 * sealing inside the replay window (docs/protocol.md).
 */
export const MAX_DATAPLANE_WORKERS = 8
/** Packet threads when `--dataplane-workers` is not given: one per core, at most {@link MAX_DATAPLANE_WORKERS}. */
export const DEFAULT_DATAPLANE_WORKERS = Math.min(availableParallelism(), MAX_DATAPLANE_WORKERS)

/** Agent configuration: flags win over environment variables; parsed once by {@link parseAgentConfig}. */
export const AgentConfig = z
  .object({
    /** Controller base URLs, tried in turn. */
    controllers: z
      .array(z.string().regex(/^https?:\/\/[^\s/]+(?:\/\S*)?$/, { message: 'must be http(s)://host:port[/path]' }))
      .min(1, { message: 'give at least one --controller URL (or VPCMESH_CONTROLLER)' }),
    /** Single-use token from `vpcmesh vpc add`; needed only until the agent has enrolled. */
    joinToken: z.string().min(16).optional(),
    /** PEM CA certificate(s) to trust for https:// controllers, besides the system's. */
    caFile: z.string().min(1).optional(),
    /** Where the private key, credential and last applied map live. */
    stateDir: z.string().min(1).default('/var/lib/vpcmesh'),
    /** TUN device name. */
    tun: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/)
      .default('vpcmesh0'),
    /** UDP port for tunnels; must match the port of the VPC's registered endpoint. */
    listenPort: z.coerce.number().int().min(1).max(65535).default(51820),
    /** Address the UDP socket binds to. */
    bindAddress: z.string().default('0.0.0.0'),
    /** TUN MTU: underlay MTU minus 60 (IPv4) or 80 (IPv6) bytes of tunnel overhead. */
    mtu: z.coerce.number().int().min(576).max(9000).default(1420),
    /** Local address of /metrics, /healthz, /status. */
    statusListen: HostPort.default('127.0.0.1:7701'),
    /** Kernel offloads (TUN TSO, UDP GSO/GRO): several times the throughput; off for kernels that misbehave. */
    offload: z.boolean().default(true),
    /** Packet threads of the engine (0: packets go through the JS thread; N: N native threads route them). */
    dataplaneWorkers: z.coerce.number().int().min(0).max(MAX_DATAPLANE_WORKERS).default(DEFAULT_DATAPLANE_WORKERS),
    /** Tunnel keepalive interval, ms (a peer is down after 3 silent intervals). */
    keepaliveMs: z.coerce.number().int().min(100).max(60_000).default(2000),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** Log lines: one JSON object each (log collectors), or human-readable text (a terminal, journald). */
    logFormat: z.enum(['json', 'text'], { message: 'must be json or text' }).default('json'),
    /** Remove everything vpcmesh added on this host, then exit. */
    cleanup: z.boolean().default(false),
    /** Routing table of the TUN's routes; undefined: derived from the TUN name (30208-34303). */
    routeTable: z.coerce
      .number()
      .int()
      .min(1)
      .max(0x7fffffff)
      .refine((t) => t < 253 || t > 255, { message: 'must not be 253-255 (the default, main and local tables)' })
      .optional(),
    /** Firewall mark on tunnel datagrams (they skip the TUN's table); decimal or 0x hex. */
    fwmark: z
      .string()
      .regex(/^(?:0x[0-9a-fA-F]{1,8}|\d{1,10})$/, { message: 'must be a number, e.g. 0x766d' })
      .transform((t) => Number(t))
      .refine((n) => n >= 1 && n <= 0x7fffffff, { message: 'must be 1-0x7fffffff' })
      .default(0x766d),
    /** Refuse plain http:// controller URLs. */
    requireTls: z.boolean().default(false),
    /** This gateway's name within its VPC (HA); enrolling again under a name replaces that gateway. */
    gatewayName: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, { message: 'must be 1-32 characters of a-z, 0-9, inner -' })
      .default('gw'),
    /** Underlay host:port where this gateway receives tunnel traffic (HA: each gateway its own). */
    advertiseEndpoint: z.string().min(3).max(300).optional(),
    /** Cloud route tables (aws, aliyun, tencent): where this gateway's VPC lives and which tables to program. */
    cloud: z
      .object({
        region: z.string().min(1).max(64).optional(),
        routeTableIds: z.array(z.string().min(1).max(64)).max(16).default([]),
        /** The next hop: instance id (AWS, Aliyun) or private IPv4 (Tencent NORMAL_CVM). */
        instanceId: z.string().min(1).max(64).optional(),
        networkInterfaceId: z.string().min(1).max(64).optional(),
        /** API endpoint override (a private endpoint). */
        endpoint: z.string().min(1).max(300).optional(),
      })
      .default({ routeTableIds: [] }),
    /** Where the agent's DNS forwarder listens (`host:port`, inside the VPC); absent: no forwarder. */
    dnsListen: HostPort.optional(),
    /** Resolvers for names outside every mesh zone (`host:port`); none: such names get REFUSED. */
    dnsUpstream: z.array(HostPort).max(8).default([]),
    /** `vip` route tables: the LAN interface that carries the floating address. */
    vipInterface: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,15}$/)
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.requireTls || c.cleanup) return
    for (const u of c.controllers.filter((x) => x.startsWith('http://'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['controllers'],
        message: `${u} is plain HTTP; with --require-tls use https:// (the join token and credential would cross the network in clear)`,
      })
    }
  })
export type AgentConfig = Readonly<z.infer<typeof AgentConfig>>

/** Raised by {@link parseAgentConfig}: all problems at once, one per line. */
export class AgentConfigError extends MeshError {
  constructor(readonly problems: string[]) {
    super('VPCMESH_ERR_CONFIG_INVALID', problems.join('; '))
  }
}

/** Help text of `vpcmesh agent`. */
export const AGENT_USAGE = `usage: vpcmesh agent --controller URL [--controller URL ...] [--join-token TOKEN] [options]
       vpcmesh agent --cleanup [--tun NAME] [--route-table N]

Runs on the route-target VM of one VPC: enrols with the controller, builds encrypted tunnels
to every other VPC, programs routes and the nftables table 'inet vpcmesh'.

  --controller URL      controller URL, repeatable (env VPCMESH_CONTROLLER, comma-separated)
  --join-token TOKEN    single-use token from 'vpcmesh vpc add' (env VPCMESH_JOIN_TOKEN); used to
                        enrol, and again if the controller refuses the stored credential
  --ca-file PATH        PEM CA to trust for https:// controllers (env VPCMESH_CA_FILE)
  --state-dir DIR       key, credential, last map (env VPCMESH_STATE_DIR; default /var/lib/vpcmesh)
  --tun NAME            TUN device (default vpcmesh0)
  --listen-port PORT    UDP port, as in the registered endpoint (default 51820)
  --bind ADDRESS        UDP bind address (default 0.0.0.0)
  --mtu BYTES           TUN MTU (default 1420 for a 1500-byte underlay)
  --status-listen H:P   /metrics /healthz /status (default 127.0.0.1:7701)
  --keepalive-ms MS     tunnel keepalive (default 2000)
  --no-offload          disable TUN TSO and UDP GSO/GRO offloads (default: on)
  --dataplane-workers N  native packet threads, 0-8 (default: one per core, at most 8; 0: every packet on the main thread)
  --route-table N       routing table of the TUN's routes (default: derived from --tun, 30208-34303)
  --fwmark N            firewall mark of tunnel datagrams, which skip that table (default 0x766d)
  --require-tls         refuse http:// controller URLs (env VPCMESH_REQUIRE_TLS=1)
  --gateway-name NAME   this gateway's name in its VPC, for HA (env VPCMESH_GATEWAY_NAME; default gw)
  --advertise-endpoint H:P  underlay host:port of this gateway's UDP port (HA: one per gateway)
  --vip-interface IF    LAN interface of the VPC's floating address (routeTable provider vip)
  --cloud-region R      cloud region of this VPC (routeTable aws|aliyun|tencent; env VPCMESH_CLOUD_REGION)
  --route-table-id ID   a VPC route table the active gateway programs, repeatable
  --instance-id ID      this gateway's instance (AWS i-…, Aliyun i-…; Tencent: its private IPv4)
  --network-interface-id ID  route to this ENI instead of the instance (AWS, Aliyun)
  --cloud-endpoint URL  cloud API endpoint override (a private endpoint)
  --dns-listen H:P      run the DNS forwarder for the mesh's zones on this address (inside the VPC)
  --dns-upstream H:P    resolver for every other name, repeatable (default: none, answered REFUSED)
  --log-level LEVEL     debug|info|warn|error (env VPCMESH_LOG_LEVEL)
  --log-format FORMAT   json (default, one object per line) or text (env VPCMESH_LOG_FORMAT)
  --cleanup             remove routes, rule and nftables table vpcmesh added for --tun, then exit
  -h, --help            this text`

/**
 * Parses argv and env into a frozen config. Throws AgentConfigError listing every problem.
 * With `--cleanup` only `--tun`, `--route-table`, `--log-level` and `--log-format` matter: the environment (controller URL,
 * join token) is ignored, so a broken setting can never stop a cleanup.
 */
export function parseAgentConfig(argv: string[], env: Record<string, string | undefined>): AgentConfig {
  if (argv.includes('--cleanup'))
    env = { VPCMESH_LOG_LEVEL: env.VPCMESH_LOG_LEVEL, VPCMESH_LOG_FORMAT: env.VPCMESH_LOG_FORMAT }
  let values: Record<string, string | boolean | string[] | undefined>
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        controller: { type: 'string', multiple: true },
        'join-token': { type: 'string' },
        'state-dir': { type: 'string' },
        'ca-file': { type: 'string' },
        tun: { type: 'string' },
        'listen-port': { type: 'string' },
        bind: { type: 'string' },
        mtu: { type: 'string' },
        'status-listen': { type: 'string' },
        'keepalive-ms': { type: 'string' },
        'no-offload': { type: 'boolean' },
        'dataplane-workers': { type: 'string' },
        'log-level': { type: 'string' },
        'log-format': { type: 'string' },
        'route-table': { type: 'string' },
        fwmark: { type: 'string' },
        'require-tls': { type: 'boolean' },
        cleanup: { type: 'boolean' },
        'gateway-name': { type: 'string' },
        'advertise-endpoint': { type: 'string' },
        'vip-interface': { type: 'string' },
        'cloud-region': { type: 'string' },
        'route-table-id': { type: 'string', multiple: true },
        'instance-id': { type: 'string' },
        'network-interface-id': { type: 'string' },
        'cloud-endpoint': { type: 'string' },
        'dns-listen': { type: 'string' },
        'dns-upstream': { type: 'string', multiple: true },
      },
    }).values
  } catch (e) {
    throw new AgentConfigError([(e as Error).message])
  }
  const envControllers = env.VPCMESH_CONTROLLER?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const raw = {
    controllers:
      (values.controller as string[] | undefined) ??
      envControllers ??
      (values.cleanup === true ? ['http://127.0.0.1:7700'] : []),
    joinToken: values['join-token'] ?? env.VPCMESH_JOIN_TOKEN,
    stateDir: values['state-dir'] ?? env.VPCMESH_STATE_DIR,
    caFile: values['ca-file'] ?? env.VPCMESH_CA_FILE,
    tun: values.tun,
    listenPort: values['listen-port'],
    bindAddress: values.bind,
    mtu: values.mtu,
    statusListen: values['status-listen'],
    keepaliveMs: values['keepalive-ms'],
    offload: values['no-offload'] === true ? false : undefined,
    dataplaneWorkers: values['dataplane-workers'],
    logLevel: values['log-level'] ?? env.VPCMESH_LOG_LEVEL,
    logFormat: values['log-format'] ?? env.VPCMESH_LOG_FORMAT,
    cleanup: values.cleanup,
    routeTable: values['route-table'],
    fwmark: values.fwmark,
    requireTls: values['require-tls'] === true || env.VPCMESH_REQUIRE_TLS === '1' ? true : undefined,
    gatewayName: values['gateway-name'] ?? env.VPCMESH_GATEWAY_NAME,
    advertiseEndpoint: values['advertise-endpoint'],
    vipInterface: values['vip-interface'],
    dnsListen: values['dns-listen'],
    dnsUpstream: values['dns-upstream'],
    cloud: Object.fromEntries(
      Object.entries({
        region: values['cloud-region'] ?? env.VPCMESH_CLOUD_REGION,
        routeTableIds: values['route-table-id'],
        instanceId: values['instance-id'],
        networkInterfaceId: values['network-interface-id'],
        endpoint: values['cloud-endpoint'],
      }).filter(([, v]) => v !== undefined && v !== ''),
    ),
  }
  const r = AgentConfig.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== '')),
  )
  if (!r.success)
    throw new AgentConfigError(r.error.issues.map((i) => `${String(i.path[0] ?? 'config')}: ${i.message}`))
  return deepFreeze(r.data)
}

/**
 * Controller URLs that send the join token and the agent's credential in clear over a
 * network: `http://` to anything but a loopback address or `localhost`.
 */
export function plaintextControllers(urls: readonly string[]): string[] {
  return urls.filter((u) => {
    if (!u.startsWith('http://')) return false
    const host = controllerHost(u)
    return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host))
  })
}

/** The host of a controller URL, IPv6 without brackets; throws for a URL `new URL` refuses. */
export function controllerHost(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1')
}
