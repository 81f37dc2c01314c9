import { isValidPublicKey, type Delta, type MeshNode, type Snapshot } from '@vpcmesh/protocol'
import type { Change, RegistrySnapshot, VpcRecord } from '../state/store.js'

/** What one agent should receive next: a full map, a delta, or notice that its VPC is gone. */
export type Update = Snapshot | Delta | { type: 'removed' }

/**
 * The wire view of a stored VPC. A stored key that is not a usable X25519 key (written before
 * keys were checked) goes out as null, like a VPC whose agent has not enrolled yet.
 */
export function toMeshNode (r: VpcRecord): MeshNode {
  const publicKey = r.publicKey !== null && isValidPublicKey(r.publicKey) ? r.publicKey : null
  return { id: r.id, name: r.name, cidrs: r.cidrs, routes: r.routes, endpoint: r.endpoint, publicKey, masquerade: r.masquerade }
}

/** The full map for `selfId` at the snapshot's version, or removed when it is not registered. */
export function planSnapshot (selfId: string, snap: RegistrySnapshot): Update {
  const self = snap.vpcs.find((v) => v.id === selfId)
  if (self === undefined) return { type: 'removed' }
  return {
    type: 'snapshot',
    version: snap.version,
    self: toMeshNode(self),
    peers: snap.vpcs.filter((v) => v.id !== selfId).map(toMeshNode)
  }
}

/**
 * What to send to an agent that has `from` so it reaches `snap.version`. Pure.
 * - `changes` undefined (log does not reach back), `from` 0 (agent has nothing), or `from`
 *   ahead of the store (store was reset) → snapshot;
 * - its own VPC removed → removed;
 * - otherwise a delta naming each VPC changed after `from` once: upsert with its current
 *   record, or remove when it no longer exists. Falls back to a snapshot when the delta would
 *   touch more than half of the mesh (cheaper to send whole).
 * `changes` may contain entries outside (from, snap.version]; they are ignored.
 */
export function planUpdate (selfId: string, from: number, snap: RegistrySnapshot, changes: Change[] | undefined, index = new PlanIndex(snap, changes)): Update {
  if (changes === undefined || from === 0 || from > snap.version) return planSnapshot(selfId, snap)
  const byId = index.byId
  const self = byId.get(selfId)
  if (self === undefined) return { type: 'removed' }
  const touched = index.touchedSince(from)
  if (touched.length > Math.max(4, snap.vpcs.length / 2)) return planSnapshot(selfId, snap)
  const delta: Delta = { type: 'delta', fromVersion: from, version: snap.version, upsert: [], remove: [] }
  for (const id of touched) {
    const rec = byId.get(id)
    if (id === selfId) delta.self = toMeshNode(self)
    else if (rec === undefined) delta.remove.push(id)
    else delta.upsert.push(toMeshNode(rec))
  }
  return delta
}

/**
 * Per-push lookups shared by every agent's plan: VPCs by id and, per starting version, the
 * sorted ids changed since then. Lets one push to N agents cost O(N + changes), not O(N²).
 */
export class PlanIndex {
  readonly byId: Map<string, VpcRecord>
  private readonly touched = new Map<number, string[]>()

  constructor (private readonly snap: RegistrySnapshot, private readonly changes: Change[] | undefined) {
    this.byId = new Map(snap.vpcs.map((v) => [v.id, v]))
  }

  /** Sorted ids of VPCs changed in (from, snapshot version]. */
  touchedSince (from: number): string[] {
    let t = this.touched.get(from)
    if (t === undefined) {
      const ids = new Set((this.changes ?? []).filter((c) => c.version > from && c.version <= this.snap.version).map((c) => c.id))
      t = [...ids].sort()
      this.touched.set(from, t)
    }
    return t
  }
}
