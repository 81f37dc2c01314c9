import { readFileSync } from 'node:fs'
import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import type { Metrics } from '@vpcmesh/metrics'
import { parseEndpoint, type Endpoint, type NetMap } from '@vpcmesh/protocol'
import { openPacketEngine, type PacketEngine } from '@vpcmesh/tun'
import { createDataplane, type Dataplane } from '@vpcmesh/dataplane'
import { createExecRunner, createLinuxRouter, type Router, type RouterState } from '@vpcmesh/linuxnet'
import type { AgentConfig } from '../config.js'
import { ControlClient } from '../control/client.js'
import type { StateDir } from '../state/state-dir.js'
import { startStatusServer, type StatusServer } from '../status/server.js'
import { AgentMetrics } from './agent-metrics.js'
import { resolveControllerAddresses, resolveEndpoint, type ResolvedEndpoint } from './endpoint-resolver.js'
import { Reconciler } from './reconciler.js'
import { translate } from './translate.js'

/** Dependencies of the {@link AgentEngine}. */
export interface AgentEngineComponents {
  config: AgentConfig
  state: StateDir
  logger: Logger
  clock: Clock
  metrics: Metrics
  /** base64 X25519 key pair of this agent. */
  keys: { privateKey: string; publicKey: string }
  agentVersion: string
  /**
   * Called when the agent cannot go on (its TUN device disappeared): the owner should exit
   * non-zero so the supervisor (systemd Restart=on-failure, Kubernetes) starts it again, and the
   * new process rebuilds everything from the saved map.
   */
  onFatal?: (reason: string) => void
}

/**
 * Owns the agent's moving parts: the packet engine (TUN + UDP), the data plane, the host
 * router, the control client, the reconciler and the status server. On start it applies the
 * last saved map before contacting any controller, so a restart while the controller is down
 * rebuilds the same forwarding state. Losing the controller never removes anything.
 */
export class AgentEngine {
  private engine: PacketEngine | undefined
  private dataplane: Dataplane | undefined
  private router: (Router & { current(): Promise<RouterState> }) | undefined
  /** What the host has programmed, read back after each apply (for /status). */
  private host: RouterState | undefined
  private client: ControlClient | undefined
  private reconciler: Reconciler | undefined
  private server: StatusServer | undefined
  private statusTimer: TimerHandle | undefined
  private refreshTimer: TimerHandle | undefined
  private linkTimer: TimerHandle | undefined
  private engineError: string | undefined
  /** `peerId\0code` of the skipped peer entries already logged. */
  private reportedSkips = new Set<string>()
  private readonly log: Logger

  constructor(private readonly c: AgentEngineComponents) {
    this.log = c.logger
  }

  async start(): Promise<void> {
    const { config } = this.c
    const engine = openPacketEngine({
      tunName: config.tun,
      mtu: config.mtu,
      bindHost: config.bindAddress,
      bindPort: config.listenPort,
      offload: config.offload,
      fwmark: config.fwmark,
    })
    this.engine = engine
    this.dataplane = createDataplane(
      {
        engine,
        clock: this.c.clock,
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
    this.dataplane.start()
    this.router = createLinuxRouter(
      { runner: createExecRunner(), logger: this.log },
      { routeTable: config.routeTable, fwmark: config.fwmark },
    )
    const m = new AgentMetrics(
      this.c.metrics,
      () => this.client?.state === 'connected',
      () => this.host?.skipped ?? [],
    )
    let persisted: NetMap | undefined
    this.reconciler = new Reconciler({
      clock: this.c.clock,
      logger: this.log,
      apply: async (map) => {
        await this.apply(map)
      },
      onApplied: (map, s) => {
        // A refresh re-applies the same map to repair the host: nothing new to persist or ack.
        if (map !== persisted) {
          this.c.state.saveNetMap(map)
          this.client?.ack(map)
          persisted = map
        }
        m.appliedVersion.set(map.version)
        this.reportApplied(m)
        m.reconciles.inc({ result: 'ok' })
        m.reconcileSeconds.observe(s)
      },
      onError: () => {
        m.reconciles.inc({ result: 'error' })
      },
    })
    const saved = this.c.state.loadNetMap()
    if (saved !== undefined) {
      this.log.info('applying the last saved map before contacting the controller', { version: saved.version })
      this.reconciler.submit(saved)
    }
    this.client = new ControlClient(
      {
        clock: this.c.clock,
        logger: this.log,
        vault: this.c.state,
        onMap: (map) => {
          this.reconciler?.submit(map)
        },
        onRemoved: () => {
          this.removed()
        },
      },
      {
        urls: config.controllers,
        joinToken: config.joinToken,
        publicKey: this.c.keys.publicKey,
        agentVersion: this.c.agentVersion,
        initialMap: saved,
        ca: config.caFile === undefined ? undefined : readFileSync(config.caFile),
      },
    )
    this.client.start()
    this.statusTimer = this.c.clock.setInterval(() => {
      this.client?.reportStatus(this.peerStatus())
    }, 5000)
    this.refreshTimer = this.c.clock.setInterval(() => {
      this.reconciler?.refresh()
    }, REFRESH_MS)
    this.linkTimer = this.c.clock.setInterval(() => {
      this.checkLink()
    }, LINK_CHECK_MS)
    this.server = await startStatusServer({ metrics: this.c.metrics, source: this }, listenAddress(config.statusListen))
    this.log.info('agent started', {
      tun: engine.info.tunName,
      udpPort: engine.info.udpPort,
      mtu: engine.info.mtu,
      status: config.statusListen,
    })
  }

  /** Stops everything; the TUN device (and with it the kernel routes through it) disappears. */
  async stop(): Promise<void> {
    this.statusTimer?.cancel()
    this.refreshTimer?.cancel()
    this.linkTimer?.cancel()
    this.client?.stop()
    this.reconciler?.stop()
    await this.server?.close()
    this.dataplane?.close()
    this.engine?.close()
  }

  /** /status document. */
  status(): unknown {
    const applied = this.reconciler?.applied
    return {
      vpc: applied?.self.name ?? null,
      vpcId: applied?.self.id ?? this.c.state.load()?.vpcId ?? null,
      appliedVersion: applied?.version ?? 0,
      controller: {
        state: this.client?.state ?? 'idle',
        url: this.client?.connectedUrl ?? null,
        lastError: this.client?.lastError ?? null,
      },
      tun: { name: this.c.config.tun, mtu: this.c.config.mtu },
      lastReconcileError: this.reconciler?.lastError ?? null,
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
      peers: this.dataplane?.status() ?? [],
      skippedPeers: (this.dataplane?.skippedPeers() ?? []).map((s) => ({
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
  private reportApplied(m: AgentMetrics): void {
    const skipped = this.dataplane?.skippedPeers() ?? []
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
    m.inputDenied.observe(this.host?.inputDenied?.packets)
  }

  health(): { ok: boolean; detail?: string } {
    if (this.engineError !== undefined) return { ok: false, detail: `data plane: ${this.engineError}` }
    const err = this.reconciler?.lastError
    return err === undefined ? { ok: true } : { ok: false, detail: `last apply failed: ${err}` }
  }

  /** Notices the TUN device being deleted under us (poll does not always report it). */
  private checkLink(): void {
    const name = this.engine?.info.tunName
    if (name === undefined || tunExists(name)) return
    this.linkTimer?.cancel()
    this.engineFailed(
      Object.assign(new Error(`TUN device ${name} disappeared`), { code: 'VPCMESH_ERR_TUN_DEVICE_GONE' }),
    )
  }

  private engineFailed(e: Error & { code: string }): void {
    this.engineError = `${e.code}: ${e.message}`
    if (FATAL_ENGINE_CODES.has(e.code)) this.c.onFatal?.(this.engineError)
  }

  private async apply(map: NetMap): Promise<void> {
    const endpoints = new Map<string, ResolvedEndpoint | null>()
    await Promise.all(
      map.peers.map(async (p) => {
        endpoints.set(p.id, await resolveEndpoint(p.endpoint))
      }),
    )
    const controllerAddresses = await resolveControllerAddresses(this.c.config.controllers)
    const cfg = translate(map, endpoints, {
      privateKey: this.c.keys.privateKey,
      tunName: this.c.config.tun,
      mtu: this.c.config.mtu,
      controllerAddresses,
    })
    const dp = (this.dataplane as Dataplane).reconfig(cfg.dataplane)
    const router = this.router as Router & { current(): Promise<RouterState> }
    const rt = await router.set(cfg.router)
    this.host = await router.current()
    this.log.info('applied map', { version: map.version, peers: map.peers.length, dataplane: dp, router: rt })
  }

  private peerStatus(): Array<{
    id: string
    up: boolean
    rttMs: number | null
    txBytes: number
    rxBytes: number
    lastHandshakeAgeS: number | null
  }> {
    return (this.dataplane?.status() ?? []).map((p) => ({
      id: p.id,
      up: p.up,
      rttMs: p.rttMs,
      txBytes: p.txBytes,
      rxBytes: p.rxBytes,
      lastHandshakeAgeS: p.lastHandshakeAgeS,
    }))
  }

  /** Our VPC was deleted: drop every peer and route, keep running (an admin may re-create it). */
  private removed(): void {
    const held = this.reconciler?.applied
    if (held === undefined) return
    this.log.warn('this VPC was deleted at the controller; removing all peers and routes')
    this.reconciler?.submit({ ...held, peers: [] })
  }
}

/** How often the applied map is re-applied to repair host state changed by others, ms. */
const REFRESH_MS = 30_000

/** How often the TUN device's presence is checked, ms. */
const LINK_CHECK_MS = 2000

/** True when this network namespace has an interface `name` (/proc/net/dev is per namespace). */
function tunExists(name: string): boolean {
  try {
    return readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .some((l) => l.trimStart().startsWith(`${name}:`))
  } catch {
    return true
  }
}

/** Engine failures after which the agent restarts rather than limp on. */
const FATAL_ENGINE_CODES = new Set(['VPCMESH_ERR_TUN_DEVICE_GONE'])

/** host and port of a validated `host:port` setting. */
function listenAddress(text: string): Endpoint {
  const e = parseEndpoint(text)
  if (typeof e === 'string') throw new Error(e)
  return e
}
