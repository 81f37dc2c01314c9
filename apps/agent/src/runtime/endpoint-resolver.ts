import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { parseEndpoint } from '@vpcmesh/protocol'
import { controllerHost } from '../config.js'

/** An underlay address the data plane can send to: an IP literal and a port. */
export interface ResolvedEndpoint {
  address: string
  port: number
}

/** Resolves names to addresses; injectable for tests. */
export type Lookup = (host: string) => Promise<string>

const systemLookup: Lookup = async (host) => (await lookup(host)).address

/** Resolves a name to all its addresses; injectable for tests. */
export type LookupAll = (host: string) => Promise<string[]>

const systemLookupAll: LookupAll = async (host) => (await lookup(host, { all: true })).map((a) => a.address)

/**
 * Turns registered endpoints (`host:port`, host an IP or DNS name) into IP literals. A name
 * that does not resolve gives null: the peer can still reach us, and its first authenticated
 * packet tells the data plane where it is (roaming). Never throws.
 */
export async function resolveEndpoint(text: string, lookupFn: Lookup = systemLookup): Promise<ResolvedEndpoint | null> {
  const e = parseEndpoint(text)
  if (typeof e === 'string') return null
  if (isIP(e.host) !== 0) return { address: e.host, port: e.port }
  try {
    return { address: await lookupFn(e.host), port: e.port }
  } catch {
    return null
  }
}

/**
 * The IP addresses of the controllers behind `urls` (`http(s)://host[:port]/…`): literals as
 * they are, names resolved to every address. A name that does not resolve contributes
 * nothing. Never throws. The router keeps routes of ours off these addresses.
 */
export async function resolveControllerAddresses(
  urls: readonly string[],
  lookupFn: LookupAll = systemLookupAll,
): Promise<string[]> {
  const out = new Set<string>()
  for (const u of urls) {
    let host: string
    try {
      host = controllerHost(u)
    } catch {
      continue
    }
    if (isIP(host) !== 0) {
      out.add(host)
      continue
    }
    try {
      for (const a of await lookupFn(host)) out.add(a)
    } catch {
      /* unresolvable now: nothing to protect */
    }
  }
  return [...out]
}
