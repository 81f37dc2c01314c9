import type { Delta, MeshNode, NetMap, Snapshot } from '@vpcmesh/protocol'

/**
 * Applies a snapshot or delta to the map an agent holds. Pure. A delta whose `fromVersion`
 * is not the held version cannot be applied (returns undefined): the caller reconnects and
 * the controller answers with what it needs.
 */
export function applyUpdate(held: NetMap | undefined, u: Snapshot | Delta, epoch?: string): NetMap | undefined {
  if (u.type === 'snapshot') return { version: u.version, epoch, self: u.self, peers: sortById(u.peers) }
  if (held === undefined || u.fromVersion !== held.version || held.epoch !== epoch) return undefined
  const peers = new Map<string, MeshNode>(held.peers.map((p) => [p.id, p]))
  for (const id of u.remove) peers.delete(id)
  for (const p of u.upsert) peers.set(p.id, p)
  return { version: u.version, epoch, self: u.self ?? held.self, peers: sortById([...peers.values()]) }
}

function sortById(peers: MeshNode[]): MeshNode[] {
  return [...peers].sort((a, b) => a.id.localeCompare(b.id))
}
