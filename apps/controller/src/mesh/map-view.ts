import { isValidPublicKey, type MeshNode } from '@vpcmesh/protocol'
import type { RegistrySnapshot, VpcRecord } from '../state/store.js'

/**
 * The wire view of a stored VPC. A stored key that is not a usable X25519 key (written before
 * keys were checked) goes out as null, like a VPC whose agent has not enrolled yet.
 */
export function toMeshNode(r: VpcRecord): MeshNode {
  const publicKey = r.publicKey !== null && isValidPublicKey(r.publicKey) ? r.publicKey : null
  const node: MeshNode = {
    id: r.id,
    name: r.name,
    cidrs: r.cidrs,
    routes: r.routes,
    endpoint: r.endpoint,
    publicKey,
    masquerade: r.masquerade,
  }
  if (r.routeTable !== undefined && r.routeTable.provider !== 'none') node.routeTable = r.routeTable
  if (r.dnsZones !== undefined && r.dnsZones.length > 0) node.dnsZones = r.dnsZones
  if (r.mode === 'global') {
    node.mode = 'global'
    node.globalPrefixes = r.globalPrefixes ?? []
  }
  const gws = (r.gateways ?? []).filter((g) => isValidPublicKey(g.publicKey))
  if (gws.length < 2) return node
  // Several gateways: every one (peers keep tunnels to all), the VPC's key and endpoint are the
  // active (else first) gateway's; the first gateway without its own endpoint uses the VPC's.
  node.gateways = gws.map((g, i) => ({
    id: g.id,
    name: g.name,
    publicKey: g.publicKey,
    endpoint: g.endpoint ?? (i === 0 ? r.endpoint : null),
  }))
  node.active = r.active ?? null
  const lead = node.gateways.find((g) => g.id === r.active?.gateway) ?? node.gateways[0]
  if (lead !== undefined) {
    node.publicKey = lead.publicKey
    node.endpoint = lead.endpoint ?? r.endpoint
  }
  return node
}

/** UTF-8 bytes of the fixed parts of a snapshot frame. */
const SELF_TO_PEERS = Buffer.from(',"peers":[')
const COMMA = Buffer.from(',')
const TAIL = Buffer.from(']}')

/**
 * One registry version prepared for every agent: VPCs by id, each VPC's wire node built once,
 * and snapshot frames cut from one shared encoding of all nodes. Shared by every hello and
 * push at that version, so N agents asking for the full map cost O(N) node encodings and
 * one O(N) byte copy each, not O(N²) encodings. Built from the `previous` view, it keeps the
 * nodes and encodings of records that did not change (same id, record version and update
 * time), so a new version costs O(changed) node work; given the ids that changed since
 * `previous` (`changed`), it copies the previous view's tables instead of comparing every
 * record. Frames are UTF-8 bytes (sent as text frames): each node is encoded to bytes once,
 * and a snapshot is one copy of the version's node bytes, so the N² bytes of a cold start are
 * copied, not encoded. Immutable once built; the snapshot must not be changed by the caller.
 */
export class MapView {
  readonly byId: Map<string, VpcRecord>
  private readonly nodes: Map<string, MeshNode>
  private readonly bytes: Map<string, Buffer>
  private readonly index: Map<string, number>
  private encoded: { joined: Buffer; starts: number[] } | undefined

  constructor(
    readonly snap: RegistrySnapshot,
    previous?: MapView,
    changed?: ReadonlySet<string>,
  ) {
    if (previous !== undefined && changed !== undefined) {
      this.byId = new Map(previous.byId)
      this.nodes = new Map(previous.nodes)
      this.bytes = new Map(previous.bytes)
      for (const id of changed) {
        this.byId.delete(id)
        this.nodes.delete(id)
        this.bytes.delete(id)
      }
      for (const v of snap.vpcs) if (changed.has(v.id)) this.byId.set(v.id, v)
      const sameIds =
        previous.snap.vpcs.length === snap.vpcs.length && snap.vpcs.every((v, i) => previous.snap.vpcs[i]?.id === v.id)
      this.index = sameIds ? previous.index : indexOf(snap)
      return
    }
    this.byId = new Map(snap.vpcs.map((v) => [v.id, v]))
    this.nodes = new Map()
    this.bytes = new Map()
    this.index = indexOf(snap)
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
   * The encoded snapshot frame for `selfId` (the UTF-8 bytes of encoding planSnapshot's
   * result); undefined when `selfId` is not registered. The first call encodes every node
   * not encoded yet and joins them; later calls copy the joined bytes once.
   */
  snapshotFrame(selfId: string): Buffer | undefined {
    const i = this.index.get(selfId)
    if (i === undefined) return undefined
    const { joined, starts } = this.encode()
    const last = starts.length - 1
    const parts = [
      Buffer.from(`{"type":"snapshot","version":${this.snap.version},"self":`),
      this.nodeBytes(selfId),
      SELF_TO_PEERS,
    ]
    if (i > 0) parts.push(joined.subarray(0, (starts[i] as number) - 1))
    if (i > 0 && i < last) parts.push(COMMA)
    if (i < last) parts.push(joined.subarray(starts[i + 1]))
    parts.push(TAIL)
    return Buffer.concat(parts)
  }

  /** Takes over the nodes and encodings of `previous` whose records are unchanged here. */
  private inherit(previous: MapView): void {
    for (const [id, rec] of this.byId) {
      const old = previous.byId.get(id)
      if (old === undefined || old.version !== rec.version || old.updatedAt !== rec.updatedAt) continue
      const node = previous.nodes.get(id)
      if (node !== undefined) this.nodes.set(id, node)
      const b = previous.bytes.get(id)
      if (b !== undefined) this.bytes.set(id, b)
    }
  }

  /** The UTF-8 JSON of VPC `id`'s node, encoded once. */
  private nodeBytes(id: string): Buffer {
    let b = this.bytes.get(id)
    if (b === undefined) {
      b = Buffer.from(encodeNode(this.node(id) as MeshNode))
      this.bytes.set(id, b)
    }
    return b
  }

  private encode(): { joined: Buffer; starts: number[] } {
    if (this.encoded === undefined) {
      const parts: Buffer[] = []
      const starts: number[] = []
      let at = 0
      for (const v of this.snap.vpcs) {
        const b = this.nodeBytes(v.id)
        if (parts.length > 0) parts.push(COMMA)
        parts.push(b)
        starts.push(at)
        at += b.length + 1
      }
      this.encoded = { joined: Buffer.concat(parts), starts }
    }
    return this.encoded
  }
}

/** Position of each VPC in the snapshot's order. */
function indexOf(snap: RegistrySnapshot): Map<string, number> {
  const index = new Map<string, number>()
  snap.vpcs.forEach((v, i) => {
    index.set(v.id, i)
  })
  return index
}

/** A node's JSON text as encodeMessage (JSON.stringify) writes it inside a frame; a test holds the two equal. */
function encodeNode(n: MeshNode): string {
  return JSON.stringify(n)
}
