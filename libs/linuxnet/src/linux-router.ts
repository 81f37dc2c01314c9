/**
 * LinuxRouter: the Router for Linux, programming the TUN link, routes, nftables and sysctls
 * through a CommandRunner (tailscale osrouter router_linux.go, without iptables).
 */
import { type Logger, noopLogger } from '@vpcmesh/common'
import { cleanupHost, removeTable } from './cleanup.js'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'
import { readHostAddresses } from './host-addresses.js'
import { ensureLink } from './link.js'
import { NFT_COUNTERS, readNftTable, renderNftables, syncNftables } from './nftables.js'
import { DEFAULT_FWMARK, DEFAULT_RULE_PRIORITY, type PolicyRule, syncPolicyRule } from './policy-rule.js'
import type { Router, RouterState, SetResult } from './router.js'
import { type NormalizedRouterConfig, type RouterConfig, normalizeRouterConfig } from './router-config.js'
import { type SkippedRoute, planTable } from './route-plan.js'
import {
  type OwnedRoute,
  VPCMESH_ROUTE_PROTOCOL,
  applyRouteDiff,
  deleteRoute,
  diffRoutes,
  readMainTable,
  readTable,
  routeTableFor,
} from './routes.js'
import type { CommandRunner } from './runner.js'
import { syncSysctls } from './sysctl.js'

/** Dependencies of a LinuxRouter. */
export interface LinuxRouterComponents {
  /** Runs every host command. */
  runner: CommandRunner
  /** Receives change and warning lines, prefixed `router: `. Absent: nothing is logged. */
  logger?: Logger
}

/** Knobs of a LinuxRouter. */
export interface LinuxRouterOptions {
  /**
   * Route protocol number marking our routes; integer 5-255 (0-4 are the kernel's own).
   * @default VPCMESH_ROUTE_PROTOCOL (112)
   */
  routeProtocol?: number
  /**
   * Routing table for the TUN's routes, 1-2^31-1 except 253-255.
   * @default routeTableFor(tunName): 30208-34303, different for each TUN name
   */
  routeTable?: number
  /** Firewall mark the packet engine puts on tunnel datagrams; they skip our table. @default DEFAULT_FWMARK (0x766d) */
  fwmark?: number
  /** Priority of the policy rule that puts our table before main. @default DEFAULT_RULE_PRIORITY (5300) */
  rulePriority?: number
}

/** Checks a numeric option; throws VPCMESH_ERR_LINUXNET_CONFIG. */
function checkRange(name: string, v: number | undefined, lo: number, hi: number, not: number[] = []): void {
  if (v !== undefined && (!Number.isInteger(v) || v < lo || v > hi || not.includes(v))) {
    throw new LinuxNetError(
      LINUXNET_ERROR_CODES.config,
      `${name} ${v} must be an integer ${lo}-${hi}${not.length > 0 ? ` other than ${not.join(', ')}` : ''}`,
    )
  }
}

/** Router over `ip`, `nft` and `sysctl`; see {@link Router} for the contract. */
class LinuxRouter implements Router {
  private readonly runner: CommandRunner
  private readonly log: Logger
  private readonly proto: number
  private readonly options: LinuxRouterOptions
  private queue: Promise<unknown> = Promise.resolve()
  private warnings: string[] = []
  private skipped: SkippedRoute[] = []
  /** Table of the last successful set(), to move away from when it changes (a new TUN name). */
  private lastTable: number | undefined

  constructor(components: LinuxRouterComponents, options: LinuxRouterOptions) {
    this.runner = components.runner
    this.log = (components.logger ?? noopLogger).child('router')
    this.proto = options.routeProtocol ?? VPCMESH_ROUTE_PROTOCOL
    checkRange('routeProtocol', this.proto, 5, 255)
    checkRange('routeTable', options.routeTable, 1, 0x7fffffff, [253, 254, 255])
    checkRange('fwmark', options.fwmark, 1, 0x7fffffff)
    checkRange('rulePriority', options.rulePriority, 1, 32765)
    this.options = options
  }

  async set(cfg: RouterConfig): Promise<SetResult> {
    const n = normalizeRouterConfig(cfg)
    return await this.serial(async () => await this.apply(n))
  }

  async cleanup(tunName: string): Promise<void> {
    await this.serial(async () => {
      const routes = await cleanupHost(this.runner, { tunName, table: this.tableFor(tunName), proto: this.proto })
      this.warnings = []
      this.skipped = []
      this.lastTable = undefined
      this.log.info('removed our routes, policy rule and nftables table', { tun: tunName, routes })
    })
  }

  async current(): Promise<RouterState> {
    return await this.serial(async () => {
      const table = this.lastTable
      const entries = table === undefined ? [] : await readTable(this.runner, table)
      const routes = entries.filter((r) => r.type === undefined).map((r) => ({ prefix: r.prefix, dev: r.dev }))
      const throws = entries.filter((r) => r.type === 'throw').map((r) => r.prefix)
      const nft = await readNftTable(this.runner)
      return {
        table,
        routes,
        throws,
        skipped: [...this.skipped],
        nftRules: nft?.rules,
        forwardDenied: nft?.counters[NFT_COUNTERS.forwardDenied],
        inputDenied: nft?.counters[NFT_COUNTERS.inputDenied],
        globalNatIn: nft?.counters[NFT_COUNTERS.globalNatIn],
        globalNatOut: nft?.counters[NFT_COUNTERS.globalNatOut],
        warnings: [...this.warnings],
      }
    })
  }

  private tableFor(tunName: string): number {
    return this.options.routeTable ?? routeTableFor(tunName)
  }

  private rule(table: number): PolicyRule {
    return {
      table,
      fwmark: this.options.fwmark ?? DEFAULT_FWMARK,
      priority: this.options.rulePriority ?? DEFAULT_RULE_PRIORITY,
      proto: this.proto,
    }
  }

  /**
   * Order of changes: link (fails early when missing), sysctls, nftables, the policy rule
   * (harmless while our table is empty), then the table itself.
   */
  private async apply(cfg: NormalizedRouterConfig): Promise<SetResult> {
    let changed = await ensureLink(this.runner, cfg.tunName, cfg.mtu)
    const sys = await syncSysctls(
      this.runner,
      cfg.routes.some((p) => p.includes(':')),
    )
    this.setWarnings(sys.warnings)
    changed = sys.changed || changed
    if (await syncNftables(this.runner, renderNftables(cfg))) {
      changed = true
      this.log.info('nftables table replaced', { masquerade: cfg.masquerade, mssClamp: cfg.mssClamp })
    }
    const table = this.tableFor(cfg.tunName)
    changed = (await syncPolicyRule(this.runner, this.rule(table))) || changed
    const main = await readMainTable(this.runner, this.proto, cfg.tunName)
    changed = (await this.syncTable(cfg, table, main.others)) || changed
    changed = (await this.dropOld(table, main.ours)) || changed
    this.lastTable = table
    return changed ? 'changed' : 'unchanged'
  }

  /** Plans our table from the host's addresses and the others' main routes, and applies the difference. */
  private async syncTable(
    cfg: NormalizedRouterConfig,
    table: number,
    mainRoutes: readonly OwnedRoute[],
  ): Promise<boolean> {
    const plan = planTable(cfg, { addresses: await readHostAddresses(this.runner, cfg.tunName), mainRoutes })
    this.setSkipped(plan.skipped)
    const diff = diffRoutes(await readTable(this.runner, table), plan.routes, cfg.tunName, plan.throws)
    if (!(await applyRouteDiff(this.runner, diff, cfg.tunName, { table, proto: this.proto }))) return false
    this.log.info('routes changed', {
      table,
      replaced: diff.replace,
      throws: diff.replaceThrow,
      deleted: diff.del.map((r) => (r.type === 'throw' ? `throw ${r.prefix}` : `${r.prefix} dev ${r.dev}`)),
    })
    return true
  }

  /**
   * Removes what an earlier set() left elsewhere: the previous table and its rule when the
   * table changed, and routes of ours in the main table (where versions before 0.2 put them).
   */
  private async dropOld(table: number, legacy: readonly OwnedRoute[]): Promise<boolean> {
    const last = this.lastTable
    const moved = last !== undefined && last !== table
    if (moved) await removeTable(this.runner, last)
    for (const r of legacy) await deleteRoute(this.runner, r, 'main')
    return moved || legacy.length > 0
  }

  /** Logs skipped routes that were not skipped (for the same reason) on the previous set(). */
  private setSkipped(skipped: SkippedRoute[]): void {
    const before = new Set(this.skipped.map((s) => `${s.prefix} ${s.reason}`))
    for (const s of skipped)
      if (!before.has(`${s.prefix} ${s.reason}`))
        this.log.warn(`route ${s.prefix} not installed (${s.reason}): ${s.detail}`)
    this.skipped = skipped
  }

  /** Logs warnings that were not there on the previous set(). */
  private setWarnings(warnings: string[]): void {
    for (const w of warnings) if (!this.warnings.includes(w)) this.log.warn(w)
    this.warnings = warnings
  }

  /** Runs `fn` after every earlier call finished (successfully or not). */
  private async serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn)
    this.queue = run.catch(() => {})
    return await run
  }
}

/**
 * Creates the Linux Router. Needs root (CAP_NET_ADMIN) for the commands it issues.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG for a bad routeProtocol
 */
export function createLinuxRouter(components: LinuxRouterComponents, options: LinuxRouterOptions = {}): Router {
  return new LinuxRouter(components, options)
}
