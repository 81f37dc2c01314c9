import { readFileSync } from 'node:fs'
import { createLogger, errorMessage, startAll, stopAll, systemClock, type Logger } from '@vpcmesh/common'
import { prometheusMetrics } from '@vpcmesh/metrics'
import { openPacketEngine } from '@vpcmesh/tun'
import { generateKeyPair, publicKeyOf } from '@vpcmesh/dataplane'
import { createExecRunner, createLinuxRouter } from '@vpcmesh/linuxnet'
import { createRouteTable } from './route-table/factory.js'
import { AGENT_USAGE, AgentConfigError, parseAgentConfig, plaintextControllers, type AgentConfig } from './config.js'
import { ControlClient } from './control/client.js'
import { AgentRuntime, type AgentRuntimeComponents } from './runtime/agent-runtime.js'
import { linkExists } from './runtime/link-exists.js'
import { resolveName } from './explain/dns-probe.js'
import { StateDir } from './state/state-dir.js'
import { startStatusServer } from './status/server.js'
import { StopSignal } from './stop-signal.js'

/** Version reported to the controller in hello. */
export const AGENT_VERSION = '0.1.0'

/**
 * Entry point of `vpcmesh agent`: the only place that reads argv and env. Exit codes: 0 clean
 * stop or cleanup done, 1 runtime failure, 2 bad flags.
 */
export async function main(
  argv: string[] = process.argv.slice(2),
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${AGENT_USAGE}\n`)
    return 0
  }
  let config: AgentConfig
  try {
    config = parseAgentConfig(argv, env)
  } catch (e) {
    process.stderr.write(
      `vpcmesh agent: ${e instanceof AgentConfigError ? e.message : errorMessage(e)} (see vpcmesh agent --help)\n`,
    )
    return 2
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child('agent')
  if (config.cleanup) return await cleanup(config, logger)
  for (const url of plaintextControllers(config.controllers)) logger.warn(PLAINTEXT_WARNING, { url })
  const state = new StateDir(config.stateDir)
  const stop = new StopSignal(process)
  const engine = new AgentRuntime({
    ...hostComponents(config, logger),
    state,
    keys: loadKeys(state, logger),
    onFatal: (reason) => {
      stop.fatal(reason)
    },
  })
  // Listening for signals first: a SIGTERM during a slow start still ends in a clean stop.
  const parts = [stop, engine]
  try {
    await startAll(parts)
  } catch (e) {
    logger.error('cannot start', { error: errorMessage(e) })
    return 1
  }
  const fatal = await stop.stopped
  if (fatal !== undefined)
    logger.error('cannot go on; exiting for the supervisor to restart the agent', { reason: fatal })
  else logger.info('stopping')
  try {
    await stopAll(parts)
  } catch (e) {
    logger.error('cannot stop cleanly', { error: errorMessage(e) })
    return 1
  }
  return fatal === undefined ? 0 : 1
}

const PLAINTEXT_WARNING =
  'controller URL is plain HTTP to a non-loopback address: the join token and the agent credential cross the network ' +
  'in clear; use https:// (--require-tls refuses such URLs)'

/** The real host, network and clock behind an AgentRuntime. */
function hostComponents(
  config: AgentConfig,
  logger: Logger,
): Omit<AgentRuntimeComponents, 'state' | 'keys' | 'onFatal'> {
  return {
    config,
    logger,
    clock: systemClock,
    metrics: prometheusMetrics({ collectDefault: true }),
    agentVersion: AGENT_VERSION,
    openEngine: openPacketEngine,
    router: createLinuxRouter(
      { runner: createExecRunner(), logger },
      { routeTable: config.routeTable, fwmark: config.fwmark },
    ),
    createControlClient: (c, o) => new ControlClient(c, o),
    startStatusServer,
    readFile: (path) => readFileSync(path),
    linkExists,
    routeTables: (setting, vpcId) => createRouteTable(setting, { config, runner: createExecRunner(), logger, vpcId }),
    probe: { runner: createExecRunner({ timeoutMs: 3000 }), resolver: resolveName },
  }
}

/** Loads the private key from the state directory, creating it (0600) on first start. */
function loadKeys(state: StateDir, logger: Logger): { privateKey: string; publicKey: string } {
  const stored = state.loadPrivateKey()
  if (stored !== undefined) return { privateKey: stored, publicKey: publicKeyOf(stored) }
  const kp = generateKeyPair()
  state.savePrivateKey(kp.privateKey)
  logger.info('generated a new key pair', { path: state.privateKeyPath, publicKey: kp.publicKey })
  return kp
}

/** `--cleanup`: removes our routes, the nftables table and the TUN device. */
async function cleanup(config: AgentConfig, logger: Logger): Promise<number> {
  const runner = createExecRunner()
  try {
    await createLinuxRouter({ runner, logger }, { routeTable: config.routeTable }).cleanup(config.tun)
    await runner.run(['ip', 'link', 'del', 'dev', config.tun], { allowFail: true })
    logger.info('cleanup done', { tun: config.tun })
    return 0
  } catch (e) {
    logger.error('cleanup failed', { error: errorMessage(e) })
    return 1
  }
}
