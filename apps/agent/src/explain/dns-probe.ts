/** The dns hop: resolves a name as hosts of the VPC would, through the agent's forwarder if it runs one. */
import { Resolver, promises as dnsPromises } from 'node:dns'
import type { ProbeDns } from '@vpcmesh/protocol'

/** How long one query (A and AAAA are asked at once) may take, ms; below the controller's 5 s probe timeout. */
const RESOLVE_TIMEOUT_MS = 3000

/** Resolves `name` to addresses; `server` (`address:port`) when the agent runs a forwarder, else the host resolver. */
export type NameResolver = (name: string, server: string | undefined) => Promise<string[]>

/**
 * The real resolver: A and AAAA through `server` with node's stub resolver, or
 * `getaddrinfo` (the host's /etc/hosts and resolv.conf) without one.
 */
export const resolveName: NameResolver = async (name, server) => {
  if (server === undefined) return (await dnsPromises.lookup(name, { all: true })).map((a) => a.address)
  const r = new Resolver({ timeout: RESOLVE_TIMEOUT_MS, tries: 1 })
  r.setServers([server])
  const ask = (fn: 'resolve4' | 'resolve6'): Promise<string[]> =>
    new Promise((resolve) => {
      r[fn](name, (err, addrs) => {
        resolve(err === null ? addrs : [])
      })
    })
  const [v4, v6] = await Promise.all([ask('resolve4'), ask('resolve6')])
  const all = [...v4, ...v6]
  if (all.length === 0) throw new Error(`${server} returned no A or AAAA record for ${name}`)
  return all
}

/** Resolves `name` with `resolver` and describes the outcome; never throws. */
export async function probeDns(resolver: NameResolver, name: string, server: string | undefined): Promise<ProbeDns> {
  const base = { name, via: server === undefined ? ('host' as const) : ('forwarder' as const), server: server ?? null }
  try {
    const addresses = (await resolver(name, server)).slice(0, 16)
    return { ...base, addresses, error: null }
  } catch (e) {
    return { ...base, addresses: [], error: (e instanceof Error ? e.message : String(e)).slice(0, 300) }
  }
}
