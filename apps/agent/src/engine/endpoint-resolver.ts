import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { parseEndpoint } from '@vpcmesh/protocol'

/** An underlay address the data plane can send to: an IP literal and a port. */
export interface ResolvedEndpoint { address: string, port: number }

/** Resolves names to addresses; injectable for tests. */
export type Lookup = (host: string) => Promise<string>

const systemLookup: Lookup = async (host) => (await lookup(host)).address

/**
 * Turns registered endpoints (`host:port`, host an IP or DNS name) into IP literals. A name
 * that does not resolve gives null: the peer can still reach us, and its first authenticated
 * packet tells the data plane where it is (roaming). Never throws.
 */
export async function resolveEndpoint (text: string, lookupFn: Lookup = systemLookup): Promise<ResolvedEndpoint | null> {
  const e = parseEndpoint(text)
  if (typeof e === 'string') return null
  if (isIP(e.host) !== 0) return { address: e.host, port: e.port }
  try {
    return { address: await lookupFn(e.host), port: e.port }
  } catch {
    return null
  }
}
