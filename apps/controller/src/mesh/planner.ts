import { encodeMessage, type Delta, type MeshNode, type Snapshot } from '@vpcmesh/protocol'
import type { Change, RegistrySnapshot } from '../state/store.js'
import { MapView, toMeshNode } from './map-view.js'

export { toMeshNode }

/** What one agent should receive next: a full map, a delta, or notice that its VPC is gone. */
export type Update = Snapshot | Delta | { type: 'removed' }

/** The full map for `selfId` at the snapshot's version, or removed when it is not registered. */
export function planSnapshot(selfId: string, snap: RegistrySnapshot, view = new MapView(snap)): Update {
  const self = view.node(selfId)
  if (self === undefined) return { type: 'removed' }
  // `peers` is built on first read (and kept): hellos and pushes send the view's shared frame
  // and never read it, which saves O(N) work per agent. JSON.stringify and deep equality
  // read it like a plain property.
  let peers: MeshNode[] | undefined
  return {
    type: 'snapshot',
    version: snap.version,
    self,
    get peers(): MeshNode[] {
      peers ??= snap.vpcs.filter((v) => v.id !== selfId).map((v) => view.node(v.id) as MeshNode)
      return peers
    },
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
export function planUpdate(
  selfId: string,
  from: number,
  snap: RegistrySnapshot,
  changes: Change[] | undefined,
  index = new PlanIndex(snap, changes),
): Update {
  const view = index.view
  if (changes === undefined || from === 0 || from > snap.version) return planSnapshot(selfId, snap, view)
  const self = view.node(selfId)
  if (self === undefined) return { type: 'removed' }
  const touched = index.touchedSince(from)
  if (touched.length > Math.max(4, snap.vpcs.length / 2)) return planSnapshot(selfId, snap, view)
  const delta: Delta = { type: 'delta', fromVersion: from, version: snap.version, upsert: [], remove: [] }
  for (const id of touched) {
    const node = view.node(id)
    if (id === selfId) delta.self = self
    else if (node === undefined) delta.remove.push(id)
    else delta.upsert.push(node)
  }
  return delta
}

/**
 * Per-push lookups shared by every agent's plan: the version's {@link MapView} (VPCs by id,
 * wire nodes built once), per starting version the sorted ids changed since then, and the
 * encoded frames agents share. Lets one push to N agents cost O(N + changes), not O(N²).
 * `view` must show `snap` (pass a shared one to reuse its nodes and encodings).
 */
export class PlanIndex {
  private readonly touched = new Map<number, string[]>()
  /** Encoded deltas that leave self alone, by starting version: the same for every agent. */
  private readonly deltas = new Map<number, string>()

  constructor(
    private readonly snap: RegistrySnapshot,
    private readonly changes: Change[] | undefined,
    readonly view = new MapView(snap),
  ) {}

  /**
   * The frame to send for `u`, which planUpdate planned for `selfId` with this index: a
   * snapshot cut from the view's shared encoding, or a delta encoded once per starting
   * version when it does not touch self. Same text as encodeMessage(u).
   */
  frame(selfId: string, u: Snapshot | Delta): string | Buffer {
    if (u.type === 'snapshot') return this.view.snapshotFrame(selfId) ?? encodeMessage(u)
    if (u.self !== undefined) return encodeMessage(u)
    let f = this.deltas.get(u.fromVersion)
    if (f === undefined) {
      f = encodeMessage(u)
      this.deltas.set(u.fromVersion, f)
    }
    return f
  }

  /** Sorted ids of VPCs changed in (from, snapshot version]. */
  touchedSince(from: number): string[] {
    let t = this.touched.get(from)
    if (t === undefined) {
      const ids = new Set(
        (this.changes ?? []).filter((c) => c.version > from && c.version <= this.snap.version).map((c) => c.id),
      )
      t = [...ids].sort()
      this.touched.set(from, t)
    }
    return t
  }
}
