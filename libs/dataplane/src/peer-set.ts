/**
 * The configured peers and everything keyed by them (route table, key index), changed only
 * by `apply`: a diff between the last and the new parsed configuration that touches only
 * the peers that changed (tailscale Engine.Reconfig; see CONTRIBUTING.md, Code shape).
 */
import type { RouteTable } from '@vpcmesh/cidr'
import { samePrefixes, sameEndpoint, type ParsedConfig, type ParsedPeer } from './config.js'
import type { ForwardingTables } from './forwarding-tables.js'
import type { Handshaker } from './handshaker.js'
import type { Liveness } from './liveness.js'
import { localStatic } from './noise/ik.js'
import { labelsOf, Peer } from './peer.js'
import type { SessionStore } from './session-store.js'

/** What the {@link PeerSet} changes. */
export interface PeerSetDeps {
  /** The handshake retry interval: the simultaneous-handshake tie window. */
  tieWindowMs: number
  routes: RouteTable<Peer>
  sessions: SessionStore
  handshaker: Handshaker
  liveness: Liveness
  /** Present on a forwarding engine: peer indices and groups (the caller uploads the routes after `apply`). */
  forwarding: ForwardingTables | undefined
}

/** True when applying `next` over `prev` would change nothing. */
export function sameConfig(prev: ParsedConfig | undefined, next: ParsedConfig): boolean {
  if (prev === undefined || prev.privateKeyText !== next.privateKeyText || prev.peers.size !== next.peers.size)
    return false
  for (const [id, n] of next.peers) {
    const p = prev.peers.get(id)
    if (p === undefined || !samePeer(p, n)) return false
  }
  return true
}

function samePeer(a: ParsedPeer, b: ParsedPeer): boolean {
  return (
    a.name === b.name &&
    a.group === b.group &&
    a.publicKeyText === b.publicKeyText &&
    sameEndpoint(a.endpoint, b.endpoint) &&
    samePrefixes(a.prefixes, b.prefixes)
  )
}

/** Peers by id and by public key. */
export class PeerSet {
  readonly byId = new Map<string, Peer>()
  /** By canonical base64 public key; shared with the Handshaker, which reads it. */
  readonly byKey: Map<string, Peer>
  private readonly d: PeerSetDeps

  constructor(deps: PeerSetDeps, byKey: Map<string, Peer>) {
    this.d = deps
    this.byKey = byKey
  }

  /** Applies `next` (already validated) over `prev`; `now` is monotonic ms. */
  apply(prev: ParsedConfig | undefined, next: ParsedConfig, now: number): void {
    if (prev?.privateKeyText !== next.privateKeyText) {
      this.d.handshaker.local = localStatic(next.privateKey)
      for (const p of this.byId.values()) {
        this.d.sessions.clearPeer(p)
        p.nextInitiationAt = now
        this.order(p)
      }
    }
    for (const p of [...this.byId.values()]) if (!next.peers.has(p.id)) this.remove(p)
    for (const [id, cfg] of next.peers) {
      const p = this.byId.get(id)
      if (p !== undefined && !samePrefixes(p.config.prefixes, cfg.prefixes)) {
        for (const prefix of p.config.prefixes)
          if (!cfg.prefixes.some((x) => x.equals(prefix))) this.d.routes.remove(prefix)
      }
    }
    for (const [id, cfg] of next.peers) {
      const p = this.byId.get(id)
      if (p === undefined) this.add(cfg, now)
      else if (!samePeer(p.config, cfg)) this.update(p, cfg, now)
    }
  }

  /** Removes a peer: its sessions and slots, routes, key entry and metric series. */
  remove(peer: Peer): void {
    this.d.sessions.clearPeer(peer)
    for (const prefix of peer.config.prefixes) {
      if (this.d.routes.get(prefix) === peer) this.d.routes.remove(prefix)
    }
    this.byId.delete(peer.id)
    if (this.byKey.get(peer.config.publicKeyText) === peer) this.byKey.delete(peer.config.publicKeyText)
    this.d.liveness.forget(peer)
    this.d.forwarding?.remove(peer)
  }

  private add(cfg: ParsedPeer, now: number): void {
    const peer = new Peer(cfg)
    peer.nextInitiationAt = now
    this.byId.set(cfg.id, peer)
    this.byKey.set(cfg.publicKeyText, peer)
    this.order(peer)
    for (const prefix of cfg.prefixes) this.d.routes.insert(prefix, peer)
    this.d.liveness.init(peer)
    this.d.forwarding?.add(peer)
  }

  /** Sets the tie-break inputs of `peer` from both public keys. */
  private order(peer: Peer): void {
    const ours = this.d.handshaker.local?.keyPair.publicKey
    peer.weAreLower = ours !== undefined && Buffer.compare(ours, peer.config.publicKey) < 0
    peer.tieWindowMs = this.d.tieWindowMs
  }

  private update(peer: Peer, cfg: ParsedPeer, now: number): void {
    const old = peer.config
    if (old.publicKeyText !== cfg.publicKeyText) {
      this.byKey.delete(old.publicKeyText)
      this.d.sessions.clearPeer(peer)
      peer.resetIdentity(cfg)
      this.order(peer)
      peer.nextInitiationAt = now
      this.byKey.set(cfg.publicKeyText, peer)
    }
    if (old.name !== cfg.name) {
      this.d.liveness.forget(peer)
      peer.labels = labelsOf(cfg.name)
      this.d.liveness.init(peer)
    }
    if (!sameEndpoint(old.endpoint, cfg.endpoint) && cfg.endpoint !== null) {
      this.d.sessions.setEndpoint(peer, cfg.endpoint)
      if (peer.sendSession === undefined) peer.nextInitiationAt = now
    }
    peer.config = cfg
    for (const prefix of cfg.prefixes) this.d.routes.insert(prefix, peer)
    this.d.forwarding?.publish(peer)
  }
}
