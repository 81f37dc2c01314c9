/**
 * The TUN link: created by the packet engine, only adjusted here (MTU and up), and only when
 * it differs.
 */
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'
import type { CommandRunner } from './runner.js'
import { runExpecting } from './expected-failures.js'

/** MTU and up state of a link, as read from `ip -json link show`. */
export interface LinkState {
  mtu: number
  /** True when the administrative UP flag is set. */
  up: boolean
}

/**
 * Parses `ip -json link show dev NAME` output.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_OUTPUT when it is not a one-link array with an mtu
 */
export function parseLink(json: string): LinkState {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch (e) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.output, `ip -json link printed invalid JSON: ${json.slice(0, 200)}`, {
      cause: e,
    })
  }
  const link = Array.isArray(raw) ? (raw[0] as { mtu?: unknown; flags?: unknown } | undefined) : undefined
  if (typeof link?.mtu !== 'number')
    throw new LinuxNetError(
      LINUXNET_ERROR_CODES.output,
      `ip -json link printed no link with an mtu: ${json.slice(0, 200)}`,
    )
  return { mtu: link.mtu, up: Array.isArray(link.flags) && link.flags.includes('UP') }
}

/**
 * Reads a link's state.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_NO_LINK (retryable) when the link does not exist
 */
export async function readLink(runner: CommandRunner, name: string): Promise<LinkState> {
  const argv = ['ip', '-json', 'link', 'show', 'dev', name]
  const res = await runExpecting(runner, argv, ['noLink'])
  if (res !== undefined) return parseLink(res.stdout)
  throw new LinuxNetError(
    LINUXNET_ERROR_CODES.noLink,
    `TUN link ${JSON.stringify(name)} does not exist; the packet engine creates it`,
  )
}

/**
 * Sets the link's MTU and brings it up, only when either differs.
 * @returns true when a command changed the link
 */
export async function ensureLink(runner: CommandRunner, name: string, mtu: number): Promise<boolean> {
  const state = await readLink(runner, name)
  if (state.mtu === mtu && state.up) return false
  await runner.run(['ip', 'link', 'set', 'dev', name, 'mtu', String(mtu), 'up'])
  return true
}
