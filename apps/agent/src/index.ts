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
