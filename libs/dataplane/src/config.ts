/**
 * DataplaneConfig: the data plane's only input (tailscale wgcfg.Config), and its parser.
 * Parsing checks everything at once and returns canonical values. A bad peer entry is left
 * out and reported with its reason, so one poisoned entry never blocks the rest of the map;
 * only a problem with the configuration as a whole (our private key, its shape) rejects it.
 */
import { errorMessage } from '@vpcmesh/common'
import { detectFamily, findOverlaps, formatAddress, parseAddress, parsePrefix, type Prefix } from '@vpcmesh/cidr'
import type { UdpEndpoint } from '@vpcmesh/tun'
import { DataplaneError, type DataplaneErrorCode } from './errors.js'
import { decodeKey, encodeKey } from './key-text.js'
import { keyPairFromRaw } from './noise/x25519.js'
import { weakPublicKeyReason } from './weak-keys.js'

/** A UDP endpoint of a peer: an IP literal (the caller resolves DNS) and a port. */
export interface EndpointConfig {
  address: string
  port: number
}

/** One remote agent. */
export interface PeerConfig {
  /** Stable id (e.g. the VPC id); identifies the peer across reconfigs. Not empty. */
  id: string
  /** Human name; the `peer` label of metrics. Unique, not empty. */
  name: string
  /** Base64 of the peer's raw 32-byte X25519 public key. */
  publicKey: string
  /** Where to send handshakes, or null to wait for the peer to initiate (learned from its packets). */
  endpoint: EndpointConfig | null
  /** CIDR prefixes behind the peer (canonical, e.g. `10.1.0.0/16`); must not overlap other peers'. */
  allowedPrefixes: string[]
  /**
   * Peers of one group (the gateways of one VPC) may send from each other's prefixes: inbound
   * packets are accepted when their source routes to any peer of the sender's group, so a
   * standby or a just-drained gateway's packets still pass while the active role moves.
   * Outbound routing is unchanged (by prefix). @default the peer's id
   */
  group?: string
}

/** The whole data plane configuration. The UDP listen port is the engine's. */
export interface DataplaneConfig {
  /** Base64 of our raw 32-byte X25519 private key. Secret: never logged. */
  privateKey: string
  peers: PeerConfig[]
}

/** A peer after parsing: keys as bytes, canonical endpoint and prefixes. */
export interface ParsedPeer {
  readonly id: string
  readonly name: string
  readonly publicKey: Uint8Array
  /** Canonical base64 of `publicKey` (map key). */
  readonly publicKeyText: string
  readonly endpoint: UdpEndpoint | null
  /** Sorted, deduplicated. */
  readonly prefixes: readonly Prefix[]
  /** The peer's group (its id when none was given). */
  readonly group: string
}

/** A configuration after parsing. */
export interface ParsedConfig {
  readonly privateKey: Uint8Array
  readonly privateKeyText: string
  /** The usable peers by id, in input order. */
  readonly peers: ReadonlyMap<string, ParsedPeer>
  /** The entries left out, in input order; empty when every peer is usable. */
  readonly skipped: readonly SkippedPeer[]
}

/** A peer entry left out of the applied configuration, and why. */
export interface SkippedPeer {
  /** The entry's id as given ('' when it had none). */
  readonly peerId: string
  /** The entry's name as given ('' when it had none). */
  readonly name: string
  /** The first problem found with the entry. */
  readonly code: DataplaneErrorCode
  /** What is wrong, naming the peer and field. */
  readonly message: string
}

/** What parsing needs to know about the engine. */
export interface ParseLimits {
  /** The engine socket's family: IPv6 endpoints need 6. */
  udpFamily: 4 | 6
  /** Most peers allowed (slots / 3). */
  maxPeers: number
}

/** Canonical endpoint text, or a reason. */
function parseEndpoint(ep: unknown, family: 4 | 6): UdpEndpoint | null | string {
  if (ep === null) return null
  const e = ep as Partial<EndpointConfig> | undefined
  if (typeof e !== 'object' || typeof e.address !== 'string') return 'endpoint must be null or {address, port}'
  if (detectFamily(e.address) === undefined)
    return `endpoint address ${JSON.stringify(e.address)} is not an IP literal (resolve DNS names first)`
  const bytes = parseAddress(e.address)
  if (bytes.length === 16 && bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff)))
    return `endpoint ${e.address} is IPv4-mapped; write the IPv4 address`
  if (bytes.length === 16 && family === 4) return `endpoint ${e.address} is IPv6 but the engine's socket is IPv4-only`
  if (!Number.isInteger(e.port) || (e.port ?? 0) < 1 || (e.port ?? 0) > 65535)
    return `endpoint port ${String(e.port)} must be 1-65535`
  return { address: formatAddress(bytes), port: e.port ?? 0 }
}

/** Collects skipped entries, one (the first problem) per entry. */
class Skips {
  private readonly byEntry = new Map<unknown, SkippedPeer>()

  /** Records that `entry` is skipped for `code`; later problems of the same entry are ignored. */
  add(entry: unknown, code: DataplaneErrorCode, message: string): void {
    if (this.byEntry.has(entry)) return
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as { id?: unknown; name?: unknown }
    const text = (v: unknown): string => (typeof v === 'string' ? v : '')
    this.byEntry.set(entry, {
      peerId: text(e.id),
      name: text(e.name),
      code,
      message: `peer ${JSON.stringify(text(e.id))}: ${message}`,
    })
  }

  has(entry: unknown): boolean {
    return this.byEntry.has(entry)
  }

  /** The skipped entries in the order of `entries`. */
  inOrder(entries: readonly unknown[]): SkippedPeer[] {
    return [...new Set(entries)].flatMap((e) => {
      const s = this.byEntry.get(e)
      return s === undefined ? [] : [s]
    })
  }
}

/** Why a peer's public key is unusable, or undefined. */
function keyProblem(text: unknown, raw: Uint8Array | undefined, ownPublicKey: string): string | undefined {
  if (raw === undefined) return 'publicKey must be canonical base64 of 32 bytes'
  const weak = weakPublicKeyReason(raw)
  if (weak !== undefined) return `publicKey is ${weak}`
  return text === ownPublicKey ? 'publicKey is our own public key' : undefined
}

/** Parses one peer entry; any problem skips it. */
function parsePeer(p: PeerConfig, family: 4 | 6, ownPublicKey: string, skips: Skips): ParsedPeer | undefined {
  if (
    typeof p !== 'object' ||
    p === null ||
    typeof p.id !== 'string' ||
    p.id === '' ||
    typeof p.name !== 'string' ||
    p.name === '' ||
    !Array.isArray(p.allowedPrefixes)
  ) {
    skips.add(p, 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG', 'needs a non-empty id and name and an allowedPrefixes array')
    return undefined
  }
  const publicKey = decodeKey(p.publicKey)
  const bad = keyProblem(p.publicKey, publicKey, ownPublicKey)
  if (bad !== undefined) skips.add(p, 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', bad)
  const endpoint = parseEndpoint(p.endpoint, family)
  if (typeof endpoint === 'string') skips.add(p, 'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT', endpoint)
  const prefixes = new Map<string, Prefix>()
  for (const text of p.allowedPrefixes) {
    try {
      const prefix = parsePrefix(String(text))
      prefixes.set(prefix.toString(), prefix)
    } catch (e) {
      skips.add(p, 'VPCMESH_ERR_DATAPLANE_INVALID_PREFIX', errorMessage(e))
    }
  }
  if (publicKey === undefined || typeof endpoint === 'string' || skips.has(p)) return undefined
  const sorted = [...prefixes.values()].sort((a, b) => a.compare(b))
  const group = typeof p.group === 'string' && p.group.length > 0 ? p.group : p.id
  return { id: p.id, name: p.name, publicKey, publicKeyText: encodeKey(publicKey), endpoint, prefixes: sorted, group }
}

/**
 * Skips every peer sharing an id, a name or a public key with another: nothing tells which
 * entry is genuine (a copied key would otherwise hijack the other peer's traffic).
 */
function skipDuplicates(peers: readonly ParsedPeer[], entries: ReadonlyMap<ParsedPeer, unknown>, skips: Skips): void {
  for (const field of ['id', 'name', 'publicKeyText'] as const) {
    const count = new Map<string, number>()
    for (const p of peers) count.set(p[field], (count.get(p[field]) ?? 0) + 1)
    const what = field === 'publicKeyText' ? 'public key' : field
    for (const p of peers) {
      if ((count.get(p[field]) ?? 0) > 1)
        skips.add(
          entries.get(p),
          'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER',
          `another peer has the same ${what} ${JSON.stringify(p[field])}`,
        )
    }
  }
}

/** Skips both peers of every prefix overlap between different peers (routing would be ambiguous). */
function skipOverlaps(peers: readonly ParsedPeer[], entries: ReadonlyMap<ParsedPeer, unknown>, skips: Skips): void {
  const owned = peers.flatMap((p) => p.prefixes.map((prefix) => ({ prefix, owner: p.id })))
  for (const p of peers) {
    const others = owned.filter((o) => o.owner !== p.id)
    const o = findOverlaps(p.prefixes, others).find((x) => x.owner !== undefined)
    if (o !== undefined) {
      skips.add(
        entries.get(p),
        'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP',
        `${o.candidate.toString()} overlaps peer ${JSON.stringify(o.owner)} ${o.existing.toString()}`,
      )
    }
  }
}

/**
 * Parses and checks a whole configuration. Each bad peer entry is left out and listed in
 * `skipped` (VPCMESH_ERR_DATAPLANE_INVALID_CONFIG, _INVALID_KEY, _INVALID_ENDPOINT,
 * _INVALID_PREFIX, _DUPLICATE_PEER, _PREFIX_OVERLAP, and _TOO_MANY_PEERS for usable entries
 * past the engine's limit); the other peers are returned as usable.
 * @throws DataplaneError VPCMESH_ERR_DATAPLANE_INVALID_CONFIG when `cfg` is not
 *   `{privateKey, peers: []}`, VPCMESH_ERR_DATAPLANE_INVALID_KEY for a bad private key
 */
export function parseConfig(cfg: DataplaneConfig, limits: ParseLimits): ParsedConfig {
  if (typeof cfg !== 'object' || cfg === null || !Array.isArray(cfg.peers)) {
    throw DataplaneError.fromProblems([
      { code: 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG', message: 'config must be {privateKey, peers: []}' },
    ])
  }
  const privateKey = decodeKey(cfg.privateKey)
  if (privateKey === undefined)
    throw DataplaneError.fromProblems([
      { code: 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', message: 'privateKey must be base64 of 32 bytes' },
    ])
  const skips = new Skips()
  const own = encodeKey(keyPairFromRaw(privateKey).publicKey)
  const entries = new Map<ParsedPeer, unknown>()
  for (const entry of cfg.peers) {
    const p = parsePeer(entry, limits.udpFamily, own, skips)
    if (p !== undefined) entries.set(p, entry)
  }
  skipDuplicates([...entries.keys()], entries, skips)
  skipOverlaps(
    [...entries.keys()].filter((p) => !skips.has(entries.get(p))),
    entries,
    skips,
  )
  const usable = [...entries].filter(([, entry]) => !skips.has(entry)).map(([p]) => p)
  for (const p of usable.slice(limits.maxPeers)) {
    skips.add(
      entries.get(p),
      'VPCMESH_ERR_DATAPLANE_TOO_MANY_PEERS',
      `the engine's session slots allow ${limits.maxPeers} peers`,
    )
  }
  const peers = usable.slice(0, limits.maxPeers)
  return {
    privateKey,
    privateKeyText: encodeKey(privateKey),
    peers: new Map(peers.map((p) => [p.id, p])),
    skipped: skips.inOrder(cfg.peers),
  }
}

/** True when two parsed peers have the same endpoint. */
export function sameEndpoint(a: UdpEndpoint | null, b: UdpEndpoint | null): boolean {
  return a === b || (a !== null && b !== null && a.address === b.address && a.port === b.port)
}

/** True when two parsed peers have the same prefixes (both sorted). */
export function samePrefixes(a: readonly Prefix[], b: readonly Prefix[]): boolean {
  return a.length === b.length && a.every((p, i) => b[i] !== undefined && p.equals(b[i]))
}
