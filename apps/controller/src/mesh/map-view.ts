import { isValidPublicKey, type MeshNode } from '@vpcmesh/protocol'
import type { RegistrySnapshot, VpcRecord } from '../state/store.js'

/**
 * The wire view of a stored VPC. A stored key that is not a usable X25519 key (written before
 * keys were checked) goes out as null, like a VPC whose agent has not enrolled yet.
 */
export function toMeshNode(r: VpcRecord): MeshNode {
  const publicKey = r.publicKey !== null && isValidPublicKey(r.publicKey) ? r.publicKey : null
  return {
    id: r.id,
    name: r.name,
    cidrs: r.cidrs,
    routes: r.routes,
    endpoint: r.endpoint,
    publicKey,
    masquerade: r.masquerade,
  }
}

/**
 * One registry version prepared for every agent: VPCs by id, each VPC's wire node built once,
 * and snapshot frames cut from one shared encoding of all nodes. Shared by every hello and
 * push at that version, so N agents asking for the full map cost O(N) node encodings and
 * O(1) string work each, not O(N²) encodings. Built from the `previous` view, it keeps the
 * nodes and encodings of records that did not change (same id, record version and update
 * time), so a new version costs O(changed) node work. Immutable once built; the snapshot must
 * not be changed by the caller.
 */
export class MapView {
  readonly byId: Map<string, VpcRecord>
  private readonly nodes = new Map<string, MeshNode>()
  private readonly texts = new Map<string, string>()
  private readonly index = new Map<string, number>()
  private encoded: { joined: string; json: string[]; starts: number[] } | undefined

  constructor(
    readonly snap: RegistrySnapshot,
    previous?: MapView,
  ) {
    this.byId = new Map(snap.vpcs.map((v) => [v.id, v]))
    snap.vpcs.forEach((v, i) => {
      this.index.set(v.id, i)
    })
    if (previous !== undefined) this.inherit(previous)
  }

  /** The mesh version this view shows. */
  get version(): number {
    return this.snap.version
  }

  /** The wire node of VPC `id`, built once; undefined when it is not registered. */
  node(id: string): MeshNode | undefined {
    let n = this.nodes.get(id)
    if (n === undefined) {
      const rec = this.byId.get(id)
      if (rec === undefined) return undefined
      n = toMeshNode(rec)
      this.nodes.set(id, n)
    }
    return n
  }

  /**
   * The encoded snapshot frame for `selfId` (the same text as encoding planSnapshot's
   * result); undefined when `selfId` is not registered. The first call encodes every node
   * once; later calls only slice and concatenate.
   */
  snapshotFrame(selfId: string): string | undefined {
    const i = this.index.get(selfId)
    if (i === undefined) return undefined
    const { joined, json, starts } = this.encode()
    const left = i > 0 ? joined.slice(0, (starts[i] as number) - 1) : ''
    const right = i + 1 < json.length ? joined.slice(starts[i + 1]) : ''
    const peers = left === '' || right === '' ? left + right : `${left},${right}`
    return `{"type":"snapshot","version":${this.snap.version},"self":${json[i] as string},"peers":[${peers}]}`
  }

  /** Takes over the nodes and texts of `previous` whose records are unchanged here. */
  private inherit(previous: MapView): void {
    for (const [id, rec] of this.byId) {
      const old = previous.byId.get(id)
      if (old === undefined || old.version !== rec.version || old.updatedAt !== rec.updatedAt) continue
      const node = previous.nodes.get(id)
      if (node !== undefined) this.nodes.set(id, node)
      const text = previous.texts.get(id)
      if (text !== undefined) this.texts.set(id, text)
    }
  }

  /** The JSON text of VPC `id`'s node, encoded once. */
  private text(id: string): string {
    let t = this.texts.get(id)
    if (t === undefined) {
      t = encodeNode(this.node(id) as MeshNode)
      this.texts.set(id, t)
    }
    return t
  }

  private encode(): { joined: string; json: string[]; starts: number[] } {
    if (this.encoded === undefined) {
      const json = this.snap.vpcs.map((v) => this.text(v.id))
      const starts: number[] = []
      let at = 0
      for (const j of json) {
        starts.push(at)
        at += j.length + 1
      }
      this.encoded = { joined: json.join(','), json, starts }
    }
    return this.encoded
  }
}

/** A node's JSON text as encodeMessage (JSON.stringify) writes it inside a frame; a test holds the two equal. */
function encodeNode(n: MeshNode): string {
  return JSON.stringify(n)
}
