import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import type { MapCache } from '../mesh/map-cache.js'
import type { MapView } from '../mesh/map-view.js'
import { statusKeys } from '../state/status-key.js'
import type { AgentRecord, GatewayLeases, VpcRecord } from '../state/store.js'
import { peersVerdict } from './peer-verdict.js'

/** A connected gateway as the keeper sees it (a ready session on this replica). */
export interface GatewaySession {
  readonly vpcId: string | undefined
  readonly gatewayId: string | undefined
  readonly ready: boolean
  /** When the agent was last heard (ms since the Unix epoch; it pings every heartbeat). */
  readonly lastHeard: number
}

export interface LeaseKeeperComponents {
  store: GatewayLeases
  /**
   * Registry views. A pass reads the held one (kept current by the pushes of every change), so
   * the 250 ms passes cost no store read; only the first pass reads. The store's transactions
   * and compare-and-set scripts decide, so a view a change behind only delays a step by a pass.
   */
  maps: Pick<MapCache, 'latest' | 'held'>
  clock: Clock
  logger: Logger
  /** The ready sessions of this replica. */
  sessions: () => Iterable<GatewaySession>
  /** Counts an election by reason (`elected`, `failover`). */
  onElected?: (vpcId: string, reason: string) => void
  /** Reads agent status records (the store's `agents`), for the peers' view of active gateways. */
  reports?: (keys: readonly string[]) => Promise<AgentRecord[]>
}

export interface LeaseKeeperOptions {
  /** Lease time to live, ms: a gateway whose session stops renewing loses the role after it. */
  ttlMs: number
  /**
   * A session not heard for this long neither renews nor is elected, and the lease of an active
   * gateway that went this silent is released at once (its agent pings every heartbeat, so
   * this is 1.5 heartbeats: well before the heartbeat closes the session). @default ttlMs / 2
   */
  silentMs?: number
  /** How often the peers' reports are checked, ms (agents report every 5 s). @default 5000 */
  healthEveryMs?: number
  /** Reports older than this are ignored, ms. @default 15000 */
  staleMs?: number
}

/**
 * Runs the active-gateway election of the VPCs whose gateways are connected to this replica.
 * Every `ttlMs / 3` it renews the lease of each active gateway connected here (only while its
 * session is ready: a silent agent is closed by the heartbeat, which stops the renewals), and
 * for a VPC whose lease is free it asks the store to elect a connected, undrained gateway from
 * here (the store's transaction lets exactly one replica win). When an active gateway's
 * session closes, its lease is released at once so a standby takes over within one tick,
 * instead of after the TTL. Only VPCs with two or more gateways have a lease. Errors are
 * logged and retried next tick; the keeper never throws.
 *
 * Controller loss alone never moves the role: for two TTLs after this replica starts, it only
 * re-elects the gateway that was active (a restarted or replacement controller gives the
 * active agent time to reconnect), and the hub does not release leases when it shuts down.
 */
export class LeaseKeeper {
  private timer: TimerHandle | undefined
  private running: Promise<void> | undefined
  private readonly log: Logger
  private readonly startedAt: number
  private lastHealth = Number.NEGATIVE_INFINITY
  /** VPCs whose active gateway the last health check found unreachable: the epoch and the standby. */
  private readonly suspects = new Map<string, { epoch: number; target: string }>()

  constructor(
    private readonly c: LeaseKeeperComponents,
    private readonly o: LeaseKeeperOptions,
  ) {
    this.log = c.logger.child('leases')
    this.startedAt = c.clock.monotonic()
  }

  start(): void {
    this.timer = this.c.clock.setInterval(
      () => {
        this.kick()
      },
      Math.max(50, Math.min(250, Math.floor(this.o.ttlMs / 3))),
    )
  }

  stop(): void {
    this.timer?.cancel()
    this.timer = undefined
  }

  /** Runs a pass now unless one is running. */
  kick(): void {
    if (this.running !== undefined) return
    this.running = this.pass()
      .catch((e: unknown) => {
        this.log.warn('lease pass failed; retrying next tick', { error: errorMessage(e) })
      })
      .finally(() => {
        this.running = undefined
      })
  }

  /** A session closed: release its lease if it held the active role, then elect a successor. */
  async closed(s: GatewaySession): Promise<void> {
    if (s.vpcId === undefined || s.gatewayId === undefined) return
    try {
      const rec = (await this.c.maps.latest()).byId.get(s.vpcId)
      const active = rec?.active
      if (active == null || active.gateway !== s.gatewayId) return
      await this.c.store.releaseLease(s.vpcId, s.gatewayId, active.epoch)
      this.log.info('active gateway disconnected; lease released', { vpc: s.vpcId, gateway: s.gatewayId })
    } catch (e) {
      this.log.warn('lease release failed; it lapses after its TTL', { vpc: s.vpcId, error: errorMessage(e) })
    }
    this.kick()
  }

  /** One pass: renew what is ours, elect where the lease is free. */
  async pass(): Promise<void> {
    const here = new Map<string, Set<string>>()
    const silent: Array<[string, string]> = []
    const nowMs = this.c.clock.now()
    const silentMs = this.o.silentMs ?? this.o.ttlMs / 2
    for (const s of this.c.sessions()) {
      if (!s.ready || s.vpcId === undefined || s.gatewayId === undefined) continue
      if (nowMs - s.lastHeard > silentMs) {
        silent.push([s.vpcId, s.gatewayId])
        continue
      }
      const set = here.get(s.vpcId) ?? new Set<string>()
      set.add(s.gatewayId)
      here.set(s.vpcId, set)
    }
    if (here.size === 0 && silent.length === 0) return
    const view = this.c.maps.held() ?? (await this.c.maps.latest())
    for (const [vpcId, gw] of silent) {
      const active = view.byId.get(vpcId)?.active
      if (active?.gateway !== gw) continue
      await this.c.store.releaseLease(vpcId, gw, active.epoch)
      this.log.warn('active gateway silent; lease released', { vpc: vpcId, gateway: gw, silentMs })
    }
    for (const [vpcId, gateways] of here) {
      const rec = view.byId.get(vpcId)
      if (rec === undefined || (rec.gateways?.length ?? 0) < 2) continue
      await this.keep(rec, gateways)
    }
    const now = this.c.clock.monotonic()
    if (now - this.lastHealth >= (this.o.healthEveryMs ?? 5000)) {
      this.lastHealth = now
      await this.checkPeers(view, here)
    }
  }

  /**
   * The data-plane trigger: for each HA VPC whose active gateway is connected here, when every
   * fresh peer report sees its tunnel down and a standby's up on two checks in a row (at the
   * same epoch), the role moves to that standby (reason `failover`; the old gateway stays an
   * eligible standby). Its controller session alone says nothing about its tunnels.
   */
  private async checkPeers(view: MapView, here: ReadonlyMap<string, ReadonlySet<string>>): Promise<void> {
    const mine = [...here].flatMap(([vpcId, gws]) => {
      const rec = view.byId.get(vpcId)
      return rec?.active != null && (rec.gateways?.length ?? 0) >= 2 && gws.has(rec.active.gateway) ? [rec] : []
    })
    for (const id of this.suspects.keys()) if (!mine.some((r) => r.id === id)) this.suspects.delete(id)
    if (mine.length === 0 || this.c.reports === undefined) return
    const records = await this.c.reports(statusKeys(view.snap.vpcs))
    const nowMs = this.c.clock.now()
    for (const rec of mine) {
      const active = rec.active as NonNullable<VpcRecord['active']>
      const target = peersVerdict(rec, records, nowMs, this.o.staleMs ?? 15_000)
      const prev = this.suspects.get(rec.id)
      if (target === undefined) {
        this.suspects.delete(rec.id)
        continue
      }
      if (prev === undefined || prev.epoch !== active.epoch || prev.target !== target) {
        this.suspects.set(rec.id, { epoch: active.epoch, target })
        continue
      }
      this.suspects.delete(rec.id)
      const moved = await this.c.store.drainGateway(rec.id, active.gateway, target, this.o.ttlMs, 'failover')
      this.log.warn('peers cannot reach the active gateway; moved the role to a standby they reach', {
        vpc: rec.id,
        from: active.gateway,
        to: target,
        epoch: moved.active?.epoch,
      })
      this.c.onElected?.(rec.id, 'failover')
    }
  }

  private async keep(rec: VpcRecord, here: ReadonlySet<string>): Promise<void> {
    const active = rec.active
    if (active != null && here.has(active.gateway)) {
      if (await this.c.store.renewLease(rec.id, active.gateway, active.epoch, this.o.ttlMs)) return
    }
    // The lease is free, lapsed or held elsewhere: try each eligible gateway here (the store
    // refuses at once while a lease is held). The active one first: it keeps the role.
    const order = [...here].sort((a, b) => (a === active?.gateway ? -1 : b === active?.gateway ? 1 : 0))
    for (const gw of order) {
      const g = rec.gateways?.find((x) => x.id === gw)
      if (g === undefined || g.drained) continue
      const young = this.c.clock.monotonic() - this.startedAt < 2 * this.o.ttlMs
      if (young && active != null && gw !== active.gateway) continue
      const won = await this.c.store.electGateway(rec.id, gw, this.o.ttlMs)
      if (won === undefined) return
      const reason = won.active?.reason ?? 'elected'
      this.log.info('gateway elected active', { vpc: rec.id, gateway: gw, epoch: won.active?.epoch, reason })
      this.c.onElected?.(rec.id, reason)
      return
    }
  }
}
