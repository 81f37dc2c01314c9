export {
  ControlClient,
  type ControlClientComponents,
  type ControlClientOptions,
  type Credential,
  type CredentialVault,
} from './control/client.js'
export { applyUpdate } from './control/netmap-state.js'
export { StateDir } from './state/state-dir.js'
export { parseAgentConfig, AgentConfig, AgentConfigError, AGENT_USAGE } from './config.js'
export { startStatusServer, type StatusServer, type StatusSource } from './status/server.js'
export {
  ROUTE_TABLE_ERROR_CODES,
  ROUTE_TABLE_KINDS,
  RouteTableError,
  isRouteTableError,
  type CloudRouteTableSettings,
  type RouteTableClaim,
  type RouteTableKind,
  type RouteTableProvider,
  type RouteTableReport,
} from './route-table/provider.js'
export { DNS_ERROR_CODES, DnsForwarder } from './dns/index.js'
