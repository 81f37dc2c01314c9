/**
 * @vpcmesh/linuxnet: host network programming for the agent. A {@link Router} turns a plain
 * {@link RouterConfig} into TUN MTU, routes, one nftables table and forwarding sysctls, all
 * through a {@link CommandRunner}. The `FakeRunner` for tests is on the `./testing` subpath.
 */
export {
  LinuxNetError,
  LINUXNET_ERROR_CODES,
  type LinuxNetErrorCode,
  type CommandDetails,
  isLinuxNetError,
} from './errors.js'
export {
  type CommandRunner,
  type RunOptions,
  type RunResult,
  type ExecRunnerOptions,
  createExecRunner,
  formatArgv,
  DEFAULT_COMMAND_PATH,
} from './runner.js'
export {
  type RouterConfig,
  type NormalizedRouterConfig,
  normalizeRouterConfig,
  isValidLinkName,
} from './router-config.js'
export type { Router, RouterState, ProgrammedRoute, SetResult } from './router.js'
export { type LinuxRouterComponents, type LinuxRouterOptions, createLinuxRouter } from './linux-router.js'
export {
  type NftablesInput,
  type NftCounter,
  NFT_TABLE,
  NFT_COUNTERS,
  renderNftables,
  ruleComments,
  nftTransaction,
} from './nftables.js'
export {
  type OwnedRoute,
  type RouteDiff,
  type RouteTarget,
  VPCMESH_ROUTE_PROTOCOL,
  diffRoutes,
  parseRouteList,
  routeTableFor,
} from './routes.js'
export { type PolicyRule, DEFAULT_FWMARK, DEFAULT_RULE_PRIORITY, ruleArgv } from './policy-rule.js'
export {
  type HostFacts,
  type MainRoute,
  type SkipReason,
  type SkippedRoute,
  type TablePlan,
  SKIP_REASONS,
  planTable,
} from './route-plan.js'
export { parseHostAddresses } from './host-addresses.js'
export { SYSCTL_KEYS, type SysctlPlan, planSysctls } from './sysctl.js'
