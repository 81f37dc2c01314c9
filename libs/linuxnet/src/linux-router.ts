/**
 * LinuxRouter: the Router for Linux, programming the TUN link, routes, nftables and sysctls
 * through a CommandRunner (tailscale osrouter router_linux.go, without iptables).
 */
import { type Logger, noopLogger } from '@vpcmesh/common'
import { cleanupHost } from './cleanup.js'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'
import { ensureLink } from './link.js'
import { NFT_COUNTERS, readNftTable, renderNftables, syncNftables } from './nftables.js'
import type { Router, RouterState, SetResult } from './router.js'
import { type NormalizedRouterConfig, type RouterConfig, normalizeRouterConfig } from './router-config.js'
import { VPCMESH_ROUTE_PROTOCOL, applyRouteDiff, diffRoutes, readOwnedRoutes } from './routes.js'
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
}

/** Router over `ip`, `nft` and `sysctl`; see {@link Router} for the contract. */
class LinuxRouter implements Router {
  readonly #runner: CommandRunner
  readonly #log: Logger
  readonly #proto: number
  #queue: Promise<unknown> = Promise.resolve()
  #warnings: string[] = []

  constructor (components: LinuxRouterComponents, options: LinuxRouterOptions) {
    this.#runner = components.runner
    this.#log = (components.logger ?? noopLogger).child('router')
    this.#proto = options.routeProtocol ?? VPCMESH_ROUTE_PROTOCOL
    if (!Number.isInteger(this.#proto) || this.#proto < 5 || this.#proto > 255) {
      throw new LinuxNetError(LINUXNET_ERROR_CODES.CONFIG, `routeProtocol ${this.#proto} must be an integer 5-255`)
    }
  }

  async set (cfg: RouterConfig): Promise<SetResult> {
    const n = normalizeRouterConfig(cfg)
    return await this.#serial(async () => await this.#apply(n))
  }

  async cleanup (): Promise<void> {
    await this.#serial(async () => {
      const routes = await cleanupHost(this.#runner, this.#proto)
      this.#warnings = []
      this.#log.info('removed our routes and nftables table', { routes })
    })
  }

  async current (): Promise<RouterState> {
    return await this.#serial(async () => {
      const routes = (await readOwnedRoutes(this.#runner, this.#proto)).map((r) => ({ prefix: r.prefix, dev: r.dev }))
      const nft = await readNftTable(this.#runner)
      return {
        routes,
        nftRules: nft?.rules,
        forwardDenied: nft?.counters[NFT_COUNTERS.forwardDenied],
        inputDenied: nft?.counters[NFT_COUNTERS.inputDenied],
        warnings: [...this.#warnings]
      }
    })
  }

  /** Order of changes: link (fails early when missing), sysctls, nftables, then routes. */
  async #apply (cfg: NormalizedRouterConfig): Promise<SetResult> {
    let changed = await ensureLink(this.#runner, cfg.tunName, cfg.mtu)
    const sys = await syncSysctls(this.#runner, cfg.routes.some((p) => p.includes(':')))
    this.#setWarnings(sys.warnings)
    changed = sys.changed || changed
    if (await syncNftables(this.#runner, renderNftables(cfg))) {
      changed = true
      this.#log.info('nftables table replaced', { masquerade: cfg.masquerade, mssClamp: cfg.mssClamp })
    }
    const diff = diffRoutes(await readOwnedRoutes(this.#runner, this.#proto), cfg.routes, cfg.tunName)
    if (await applyRouteDiff(this.#runner, diff, cfg.tunName, this.#proto)) {
      changed = true
      this.#log.info('routes changed', { replaced: diff.replace, deleted: diff.del.map((r) => `${r.prefix} dev ${r.dev}`) })
    }
    return changed ? 'changed' : 'unchanged'
  }

  /** Logs warnings that were not there on the previous set(). */
  #setWarnings (warnings: string[]): void {
    for (const w of warnings) if (!this.#warnings.includes(w)) this.#log.warn(w)
    this.#warnings = warnings
  }

  /** Runs `fn` after every earlier call finished (successfully or not). */
  async #serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => {})
    return await run
  }
}

/**
 * Creates the Linux Router. Needs root (CAP_NET_ADMIN) for the commands it issues.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG for a bad routeProtocol
 */
export function createLinuxRouter (components: LinuxRouterComponents, options: LinuxRouterOptions = {}): Router & { current(): Promise<RouterState> } {
  return new LinuxRouter(components, options)
}
