import { type Clock, type Logger, type Startable, errorMessage, startAll, stopAll } from '@vpcmesh/common'
import type { Metrics } from '@vpcmesh/metrics'
import { type AgentStatusDocument, parseEndpoint, type Endpoint, type NetMap, type PeerStatus } from '@vpcmesh/protocol'
import type { PacketEngine, PacketEngineOptions } from '@vpcmesh/tun'
import { createDataplane, type Dataplane } from '@vpcmesh/dataplane'
import type { CommandRunner, Router, RouterState } from '@vpcmesh/linuxnet'
import type { AgentConfig } from '../config.js'
import type { StateDir } from '../state/state-dir.js'
import type { StatusServer, StatusSource } from '../status/server.js'
import { AgentMetrics, routeTableError } from './agent-metrics.js'
import type { ControlChannel, ControlChannelFactory } from './control-channel.js'
import { resolveControllerAddresses, resolveEndpoint, type ResolvedEndpoint } from './endpoint-resolver.js'
import { Reconciler } from './reconciler.js'
import { gatewayKey, translate } from './translate.js'
import { GatewayRole, type RouteTableFactory } from './gateway-role.js'
import { MeshDns } from './mesh-dns.js'
import { Prober, forwarderServer } from '../explain/prober.js'
import type { NameResolver } from '../explain/dns-probe.js'

/** Starts the local status server; `startStatusServer` (apps/agent/src/status/server.ts) in production. */
export type StatusServerFactory = (
  c: { metrics: Metrics; source: StatusSource },
  o: { host: string; port: number },
) => Promise<StatusServer>

/**
 * Dependencies of the {@link AgentRuntime}. Everything that touches the host comes in here, so
 * the engine runs in unit tests over `MemoryPacketEngine` and a router over `FakeRunner`;
 * apps/agent/src/main.ts wires the real ones.
 */
export interface AgentRuntimeComponents {
  config: AgentConfig
  state: StateDir
  logger: Logger
  clock: Clock
  metrics: Metrics
  /** base64 X25519 key pair of this agent. */
  keys: { privateKey: string; publicKey: string }
  agentVersion: string
  /** Opens the packet engine (creates the TUN, binds UDP); called once per start(). Real: `openPacketEngine`. */
  openEngine: (options: PacketEngineOptions) => PacketEngine
  /** Programs routes, policy rule and nftables for the TUN. Real: `createLinuxRouter` over `createExecRunner`. */
  router: Router
  /** Creates the control client, not yet started. Real: `new ControlClient(c, o)`. */
  createControlClient: ControlChannelFactory
  /** Starts the /metrics, /healthz, /status server. Real: `startStatusServer`. */
  startStatusServer: StatusServerFactory
  /** Reads a whole file (the `--ca-file` bundle). Real: `readFileSync`. */
  readFile: (path: string) => Buffer
  /** Whether this network namespace has the link `name`, polled to notice the TUN vanishing. Real: `linkExists`. */
  linkExists: (name: string) => boolean
  /**
   * Called when the agent cannot go on (its TUN device disappeared): the owner should exit
   * non-zero so the supervisor (systemd Restart=on-failure, Kubernetes) starts it again, and the
   * new process rebuilds everything from the saved map.
   */
  onFatal?: (reason: string) => void
  /** Builds the VPC's route-table provider (HA). Absent: the route table is left alone. */
  routeTables?: RouteTableFactory
  /**
   * Runs the read-only commands of `vpcmesh explain` probes (`ip -j route`, `nft -j`,
   * `sysctl -n`), and resolves names for its dns hop. Absent: the agent answers no probes.
   */
  probe?: { runner: CommandRunner; resolver: NameResolver }
}

/** What exists from a successful start() until stop(). */
interface Running {
  dataplane: Dataplane
  client: ControlChannel
  reconciler: Reconciler
  /** Started in this order (data plane, saved map, client, timers, status server), stopped in reverse. */
  parts: Startable[]
}

/**
 * Owns the agent's moving parts: the packet engine (TUN + UDP), the data plane, the host
 * router, the control client, the reconciler and the status server. On start it applies the
 * last saved map before contacting any controller, so a restart while the controller is down
 * rebuilds the same forwarding state. Losing the controller never removes anything.
 */
export class AgentRuntime {
  private running: Running | undefined
  /** What the host has programmed, read back after each apply (for /status); undefined before the first. */
  private host: RouterState | undefined
  private engineError: string | undefined
  /** `peerId\0code` of the skipped peer entries already logged. */
  private reportedSkips = new Set<string>()
  private readonly log: Logger
  private readonly m: AgentMetrics
  private readonly role: GatewayRole
  private readonly dns: MeshDns | undefined
  private readonly prober: Prober | undefined

  constructor(private readonly c: AgentRuntimeComponents) {
    this.log = c.logger
    this.m = new AgentMetrics(
      c.metrics,
      () => this.running?.client.state === 'connected',
      () => this.host?.skipped ?? [],
      () => this.role.role,
    )
    // Validated by the config: listenAddress cannot throw here.
    const dnsAddress = (text: string): { address: string; port: number } => {
      const e = listenAddress(text)
      return { address: e.host, port: e.port }
    }
    this.dns =
      c.config.dnsListen === undefined
        ? undefined
        : new MeshDns(
            { logger: c.logger, metrics: c.metrics },
            { listen: dnsAddress(c.config.dnsListen), upstream: c.config.dnsUpstream.map(dnsAddress) },
          )
    const dnsServer = forwarderServer(c.config.dnsListen === undefined ? undefined : dnsAddress(c.config.dnsListen))
    this.prober =
      c.probe === undefined
        ? undefined
        : new Prober({
            runner: c.probe.runner,
            resolver: c.probe.resolver,
            view: () => {
              const s = this.status()
              return {
                vpcId: s.vpcId,
                tun: s.tun,
                table: s.host?.table ?? null,
                skippedRoutes: s.host?.skippedRoutes ?? [],
                peers: s.peers,
                dnsServer,
              }
            },
          })
    this.role = new GatewayRole({
      logger: c.logger,
      create: c.routeTables ?? (() => undefined),
      onError: (code) => {
        this.m.routeTableErrors.inc({ error: routeTableError(code) })
      },
    })
  }

  /**
   * Opens the packet engine and starts everything. When a step fails, what already started is
   * stopped (the engine closed, timers cancelled) and the error is rethrown. A second call
   * while running does nothing.
   */
  async start(): Promise<void> {
    if (this.running !== undefined) return
    const engine = this.c.openEngine(engineOptions(this.c.config))
    try {
      const running = this.assemble(engine)
      await startAll(running.parts)
      this.running = running
    } catch (e) {
      engine.close()
      throw e
    }
    this.log.info('agent started', {
      tun: engine.info.tunName,
      udpPort: engine.info.udpPort,
      mtu: engine.info.mtu,
      status: this.c.config.statusListen,
    })
  }

  /** Stops everything; the TUN device (and with it the kernel routes through it) disappears. Safe when not running. */
  async stop(): Promise<void> {
    const r = this.running
    if (r === undefined) return
    this.running = undefined
    await stopAll(r.parts)
  }

  /** Builds the parts over `engine` without starting any. */
  private assemble(engine: PacketEngine): Running {
    const { config, clock } = this.c
    const dataplane = createDataplane(
      {
        engine,
        clock,
        logger: this.log,
        metrics: this.c.metrics,
        onEngineError: (e) => {
          this.engineFailed(e)
        },
        timestamps: this.c.state.handshakeTimestamps((e) => {
          this.log.warn('cannot save handshake timestamps', { error: errorMessage(e) })
        }),
      },
      { keepaliveMs: config.keepaliveMs },
    )
    const saved = this.c.state.loadNetMap()
    const reconciler = this.reconciler(dataplane, (map) => client.ack(map))
    const client = this.c.createControlClient(
      {
        clock,
        logger: this.log,
        vault: this.c.state,
        onMap: (map) => {
          reconciler.submit(map)
        },
        onRemoved: () => {
          this.removed(reconciler)
        },
        ...(this.prober === undefined ? {} : { onProbe: (req) => (this.prober as Prober).probe(req) }),
      },
      {
        urls: config.controllers,
        joinToken: config.joinToken,
        publicKey: this.c.keys.publicKey,
        agentVersion: this.c.agentVersion,
        initialMap: saved,
        ca: config.caFile === undefined ? undefined : this.c.readFile(config.caFile),
        gateway: {
          name: config.gatewayName,
          ...(config.advertiseEndpoint === undefined ? {} : { endpoint: config.advertiseEndpoint }),
        },
      },
    )
    const parts = [
      part(
        () => dataplane.start(),
        () => {
          dataplane.close()
          engine.close()
        },
      ),
      part(
        () => this.applySaved(reconciler, saved),
        () => reconciler.stop(),
      ),
      part(
        () => client.start(),
        () => client.stop(),
      ),
      this.timers(engine, dataplane, client, reconciler),
      this.statusServer(),
      part(
        () => undefined,
        () => this.dns?.stop(),
      ),
    ]
    return { dataplane, client, reconciler, parts }
  }

  /** The reconciler over `dataplane` and the router; `ack` tells the controller about a newly applied map. */
  private reconciler(dataplane: Dataplane, ack: (map: NetMap) => void): Reconciler {
    let persisted: NetMap | undefined
    return new Reconciler({
      clock: this.c.clock,
      logger: this.log,
      apply: async (map) => {
        await this.apply(dataplane, map)
      },
      onApplied: (map, s) => {
        // A refresh re-applies the same map to repair the host: nothing new to persist or ack.
        if (map !== persisted) {
          this.c.state.saveNetMap(map)
          ack(map)
          persisted = map
        }
        this.m.appliedVersion.set(map.version)
        this.reportApplied(dataplane)
        this.m.reconciles.inc({ result: 'ok' })
        this.m.reconcileSeconds.observe(s)
      },
      onError: () => {
        this.m.reconciles.inc({ result: 'error' })
      },
    })
  }

  /** Applies the last saved map, if any, before any controller is contacted. */
  private applySaved(reconciler: Reconciler, saved: NetMap | undefined): void {
    if (saved === undefined) return
    this.log.info('applying the last saved map before contacting the controller', { version: saved.version })
    reconciler.submit(saved)
  }

  /** Status reports, host repair and the TUN presence check, on intervals. */
  private timers(
    engine: PacketEngine,
    dataplane: Dataplane,
    client: ControlChannel,
    reconciler: Reconciler,
  ): Startable {
    const { clock } = this.c
    const tun = engine.info.tunName
    const handles: Array<{ cancel(): void }> = []
    return part(
      () => {
        handles.push(
          clock.setInterval(() => {
            client.reportStatus(peerStatus(dataplane))
          }, STATUS_MS),
          clock.setInterval(() => {
            reconciler.refresh()
          }, REFRESH_MS),
        )
        // Poll does not always report the TUN device being deleted under us.
        const link = clock.setInterval(() => {
          if (this.c.linkExists(tun)) return
          link.cancel()
          this.engineFailed(
            Object.assign(new Error(`TUN device ${tun} disappeared`), { code: 'VPCMESH_ERR_TUN_DEVICE_GONE' }),
          )
        }, LINK_CHECK_MS)
        handles.push(link)
        handles.push(
          serially(clock, KEEPALIVE_MS, () => this.role.keepalive()),
          // Cut off from every controller: give way if another gateway took the role meanwhile.
          serially(clock, GUARD_MS, async () => {
            if (client.state !== 'connected') await this.role.guard()
          }),
        )
      },
      () => {
        for (const h of handles.splice(0)) h.cancel()
      },
    )
  }

  /** The status server, serving this engine. */
  private statusServer(): Startable {
    let server: StatusServer | undefined
    return part(
      async () => {
        server = await this.c.startStatusServer(
          { metrics: this.c.metrics, source: this },
          listenAddress(this.c.config.statusListen),
        )
      },
      async () => {
        await server?.close()
      },
    )
  }

  /** /status document. */
  status(): AgentStatusDocument {
    const r = this.running
    const applied = r?.reconciler.applied
    return {
      vpc: applied?.self.name ?? null,
      vpcId: applied?.self.id ?? this.c.state.load()?.vpcId ?? null,
      appliedVersion: applied?.version ?? 0,
      controller: {
        state: r?.client.state ?? 'idle',
        url: r?.client.connectedUrl ?? null,
        lastError: r?.client.lastError ?? null,
      },
      tun: { name: this.c.config.tun, mtu: this.c.config.mtu },
      lastReconcileError: r?.reconciler.lastError ?? null,
      host:
        this.host === undefined
          ? null
          : {
              table: this.host.table ?? null,
              routes: this.host.routes,
              throws: this.host.throws,
              skippedRoutes: this.host.skipped,
              nftables: this.host.nftRules !== undefined,
              warnings: this.host.warnings,
              forwardDenied: this.host.forwardDenied ?? null,
              inputDenied: this.host.inputDenied ?? null,
            },
      peers: r?.dataplane.status() ?? [],
      drops: r?.dataplane.drops(),
      skippedPeers: (r?.dataplane.skippedPeers() ?? []).map((s) => ({
        id: s.peerId,
        name: s.name,
        code: s.code,
        message: s.message,
      })),
    }
  }

  /**
   * After each successful apply (refreshes included): the skipped-peer gauge, one warning per
   * newly skipped peer entry (not repeated while it stays skipped), and the deny counters read
   * back from the host.
   */
  private reportApplied(dataplane: Dataplane): void {
    const { m } = this
    const skipped = dataplane.skippedPeers()
    m.setSkipped(skipped.map((s) => s.code))
    const now = new Set(skipped.map((s) => `${s.peerId}\0${s.code}`))
    for (const s of skipped) {
      if (!this.reportedSkips.has(`${s.peerId}\0${s.code}`))
        this.log.warn('peer skipped: its map entry is invalid; the rest of the map is applied', {
          peer: s.peerId,
          name: s.name,
          code: s.code,
          error: s.message,
        })
    }
    for (const k of this.reportedSkips)
      if (!now.has(k)) this.log.info('peer no longer skipped', { peer: k.split('\0')[0] })
    this.reportedSkips = now
    m.forwardDenied.observe(this.host?.forwardDenied?.packets)
    m.globalNatIn.observe(this.host?.globalNatIn?.packets)
    m.globalNatOut.observe(this.host?.globalNatOut?.packets)
    m.inputDenied.observe(this.host?.inputDenied?.packets)
  }

  health(): { ok: boolean; detail?: string } {
    if (this.engineError !== undefined) return { ok: false, detail: `data plane: ${this.engineError}` }
    const err = this.running?.reconciler.lastError
    return err === undefined ? { ok: true } : { ok: false, detail: `last apply failed: ${err}` }
  }

  private engineFailed(e: Error & { code: string }): void {
    this.engineError = `${e.code}: ${e.message}`
    if (FATAL_ENGINE_CODES.has(e.code)) this.c.onFatal?.(this.engineError)
  }

  private async apply(dataplane: Dataplane, map: NetMap): Promise<void> {
    const endpoints = new Map<string, ResolvedEndpoint | null>()
    // One endpoint per tunnel peer: the VPC's, or each gateway's when it has several.
    const wanted = map.peers.flatMap((p): Array<[string, string | null]> => {
      const gws = p.gateways ?? []
      return gws.length < 2 ? [[p.id, p.endpoint]] : gws.map((g) => [gatewayKey(p.id, g.id), g.endpoint])
    })
    await Promise.all(
      wanted.map(async ([key, text]) => {
        endpoints.set(key, text === null ? null : await resolveEndpoint(text))
      }),
    )
    const controllerAddresses = await resolveControllerAddresses(this.c.config.controllers)
    const cfg = translate(map, endpoints, {
      privateKey: this.c.keys.privateKey,
      tunName: this.c.config.tun,
      mtu: this.c.config.mtu,
      controllerAddresses,
    })
    const dp = dataplane.reconfig(cfg.dataplane)
    const rt = await this.c.router.set(cfg.router)
    this.host = await this.c.router.current()
    await this.role.update(map, this.c.state.load()?.gatewayId)
    await this.dns?.update(map)
    this.log.info('applied map', { version: map.version, peers: map.peers.length, dataplane: dp, router: rt })
  }

  /** Our VPC was deleted: drop every peer and route, keep running (an admin may re-create it). */
  private removed(reconciler: Reconciler): void {
    const held = reconciler.applied
    if (held === undefined) return
    this.log.warn('this VPC was deleted at the controller; removing all peers and routes')
    void this.role.vpcDeleted()
    reconciler.submit({ ...held, peers: [] })
  }
}

/** How often tunnel status is reported to the controller, ms. */
const STATUS_MS = 5000

/** How often the applied map is re-applied to repair host state changed by others, ms. */
const REFRESH_MS = 30_000

/** How often the active gateway renews what it holds (the VIP's lifetime), ms. */
const KEEPALIVE_MS = 1000

/** How often a gateway cut off from the controllers checks that no other gateway took its role, ms. */
const GUARD_MS = 2000

/** How often the TUN device's presence is checked, ms. */
const LINK_CHECK_MS = 2000

/** Engine failures after which the agent restarts rather than limp on. */
const FATAL_ENGINE_CODES = new Set(['VPCMESH_ERR_TUN_DEVICE_GONE'])

/** host and port of a validated `host:port` setting. */
function listenAddress(text: string): Endpoint {
  const e = parseEndpoint(text)
  if (typeof e === 'string') throw new Error(e)
  return e
}

/** The engine's options from the agent's configuration. */
function engineOptions(config: AgentConfig): PacketEngineOptions {
  return {
    tunName: config.tun,
    mtu: config.mtu,
    bindHost: config.bindAddress,
    bindPort: config.listenPort,
    offload: config.offload,
    fwmark: config.fwmark,
    workers: config.dataplaneWorkers,
  }
}

/** Runs `fn` every `ms`, skipping a tick while the previous run has not finished. */
function serially(clock: Clock, ms: number, fn: () => Promise<void>): { cancel(): void } {
  let busy = false
  return clock.setInterval(() => {
    if (busy) return
    busy = true
    void fn().finally(() => {
      busy = false
    })
  }, ms)
}

/** A Startable from two plain functions. */
function part(start: () => unknown, stop: () => unknown): Startable {
  return {
    start: async () => {
      await start()
    },
    stop: async () => {
      await stop()
    },
  }
}

/**
 * What the controller gets of each tunnel in a status report: one entry per peer VPC, and for a
 * VPC with several gateways one per gateway (`gateway` set), which the controller uses to notice
 * an active gateway that its peers cannot reach.
 */
function peerStatus(dataplane: Dataplane): PeerStatus[] {
  return dataplane.status().map((p) => {
    const [vpc, gateway] = p.id.split('/') as [string, string | undefined]
    return {
      id: vpc,
      ...(gateway === undefined ? {} : { gateway }),
      up: p.up,
      rttMs: p.rttMs,
      txBytes: p.txBytes,
      rxBytes: p.rxBytes,
      lastHandshakeAgeS: p.lastHandshakeAgeS,
    }
  })
}
