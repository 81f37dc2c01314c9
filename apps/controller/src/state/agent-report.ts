import { PeerStatus } from '@vpcmesh/protocol'
import type { AgentRecord } from './store.js'

/**
 * True when the agent of `r` counts as connected at `nowMs`: its session says so and it was
 * heard within `staleMs` (a replica that died cannot clear its flag). Pure.
 */
export function isFresh(r: AgentRecord | undefined, nowMs: number, staleMs: number): boolean {
  return r?.connected === true && nowMs - r.lastSeen <= staleMs
}

/** The tunnels the agent last reported (its `peers` JSON); none when absent or unreadable. Pure. */
export function reportedPeers(r: AgentRecord | undefined): PeerStatus[] {
  let json: unknown
  try {
    json = JSON.parse(r?.peers ?? '[]')
  } catch {
    return []
  }
  const parsed = PeerStatus.array().safeParse(json)
  return parsed.success ? parsed.data : []
}
