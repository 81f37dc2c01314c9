/**
 * DataplaneConfig: the data plane's only input (tailscale wgcfg.Config), and its parser.
 * Parsing checks everything at once and returns canonical values; nothing is applied
 * unless the whole configuration is valid.
 */
import { detectFamily, findOverlaps, formatAddress, parseAddress, parsePrefix, type Prefix } from '@vpcmesh/cidr'
import type { UdpEndpoint } from '@vpcmesh/tun'
import { DataplaneError, type ConfigProblem } from './errors.js'
import { decodeKey, encodeKey } from './keys.js'
import { keyPairFromRaw } from './noise/x25519.js'

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
}

/** A configuration after parsing. */
export interface ParsedConfig {
  readonly privateKey: Uint8Array
  readonly privateKeyText: string
  /** By id, in input order. */
  readonly peers: ReadonlyMap<string, ParsedPeer>
}

/** What parsing needs to know about the engine. */
export interface ParseLimits {
  /** The engine socket's family: IPv6 endpoints need 6. */
  udpFamily: 4 | 6
  /** Most peers allowed (slots / 3). */
  maxPeers: number
}

/** Canonical endpoint text, or a reason. */
function parseEndpoint (ep: unknown, family: 4 | 6): UdpEndpoint | null | string {
  if (ep === null) return null
  const e = ep as Partial<EndpointConfig> | undefined
  if (typeof e !== 'object' || typeof e.address !== 'string') return 'endpoint must be null or {address, port}'
  if (detectFamily(e.address) === undefined) return `endpoint address ${JSON.stringify(e.address)} is not an IP literal (resolve DNS names first)`
  const bytes = parseAddress(e.address)
  if (bytes.length === 16 && bytes.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff))) return `endpoint ${e.address} is IPv4-mapped; write the IPv4 address`
  if (bytes.length === 16 && family === 4) return `endpoint ${e.address} is IPv6 but the engine's socket is IPv4-only`
  if (!Number.isInteger(e.port) || (e.port ?? 0) < 1 || (e.port ?? 0) > 65535) return `endpoint port ${String(e.port)} must be 1-65535`
  return { address: formatAddress(bytes), port: e.port ?? 0 }
}

/** Parses one peer, pushing problems. */
function parsePeer (p: PeerConfig, family: 4 | 6, problems: ConfigProblem[]): ParsedPeer | undefined {
  const where = `peer ${JSON.stringify(p?.id ?? '?')}`
  if (typeof p !== 'object' || p === null || typeof p.id !== 'string' || p.id === '' || typeof p.name !== 'string' || p.name === '' || !Array.isArray(p.allowedPrefixes)) {
    problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG', message: `${where}: needs a non-empty id and name and an allowedPrefixes array` })
    return undefined
  }
  const publicKey = decodeKey(p.publicKey)
  if (publicKey === undefined) problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', message: `${where}: publicKey must be base64 of 32 bytes` })
  const endpoint = parseEndpoint(p.endpoint, family)
  if (typeof endpoint === 'string') problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_ENDPOINT', message: `${where}: ${endpoint}` })
  const prefixes = new Map<string, Prefix>()
  for (const text of p.allowedPrefixes) {
    try {
      const prefix = parsePrefix(String(text))
      prefixes.set(prefix.toString(), prefix)
    } catch (e) {
      problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_PREFIX', message: `${where}: ${e instanceof Error ? e.message : String(e)}` })
    }
  }
  if (publicKey === undefined || typeof endpoint === 'string') return undefined
  const sorted = [...prefixes.values()].sort((a, b) => a.compare(b))
  return { id: p.id, name: p.name, publicKey, publicKeyText: encodeKey(publicKey), endpoint, prefixes: sorted }
}

/** Pushes duplicate ids, names and keys. */
function checkUnique (peers: readonly ParsedPeer[], ownPublicKey: string | undefined, problems: ConfigProblem[]): void {
  for (const field of ['id', 'name', 'publicKeyText'] as const) {
    const seen = new Set<string>()
    for (const p of peers) {
      if (seen.has(p[field])) problems.push({ code: 'VPCMESH_ERR_DATAPLANE_DUPLICATE_PEER', message: `two peers have the same ${field === 'publicKeyText' ? 'public key' : field} ${JSON.stringify(p[field])}` })
      seen.add(p[field])
    }
  }
  for (const p of peers) {
    if (p.publicKeyText === ownPublicKey) problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', message: `peer ${JSON.stringify(p.id)} has our own public key` })
  }
}

/** Pushes prefix overlaps between different peers. */
function checkOverlaps (peers: readonly ParsedPeer[], problems: ConfigProblem[]): void {
  const owned = peers.flatMap((p) => p.prefixes.map((prefix) => ({ prefix, owner: p.id })))
  for (const p of peers) {
    const others = owned.filter((o) => o.owner !== p.id)
    for (const o of findOverlaps(p.prefixes, others)) {
      if (p.id < (o.owner ?? '')) {
        problems.push({ code: 'VPCMESH_ERR_DATAPLANE_PREFIX_OVERLAP', message: `peer ${JSON.stringify(p.id)} ${o.candidate.toString()} overlaps peer ${JSON.stringify(o.owner)} ${o.existing.toString()}` })
      }
    }
  }
}

/**
 * Parses and checks a whole configuration.
 * @throws DataplaneError listing every problem (code of the first): VPCMESH_ERR_DATAPLANE_INVALID_CONFIG,
 *   _INVALID_KEY, _INVALID_ENDPOINT, _INVALID_PREFIX, _DUPLICATE_PEER, _PREFIX_OVERLAP, _TOO_MANY_PEERS
 */
export function parseConfig (cfg: DataplaneConfig, limits: ParseLimits): ParsedConfig {
  const problems: ConfigProblem[] = []
  if (typeof cfg !== 'object' || cfg === null || !Array.isArray(cfg.peers)) {
    throw DataplaneError.fromProblems([{ code: 'VPCMESH_ERR_DATAPLANE_INVALID_CONFIG', message: 'config must be {privateKey, peers: []}' }])
  }
  const privateKey = decodeKey(cfg.privateKey)
  if (privateKey === undefined) problems.push({ code: 'VPCMESH_ERR_DATAPLANE_INVALID_KEY', message: 'privateKey must be base64 of 32 bytes' })
  const peers = cfg.peers.map((p) => parsePeer(p, limits.udpFamily, problems)).filter((p): p is ParsedPeer => p !== undefined)
  checkUnique(peers, privateKey === undefined ? undefined : encodeKey(keyPairFromRaw(privateKey).publicKey), problems)
  checkOverlaps(peers, problems)
  if (cfg.peers.length > limits.maxPeers) {
    problems.push({ code: 'VPCMESH_ERR_DATAPLANE_TOO_MANY_PEERS', message: `${cfg.peers.length} peers, but the engine's slots allow ${limits.maxPeers}` })
  }
  if (problems.length > 0 || privateKey === undefined) throw DataplaneError.fromProblems(problems)
  return { privateKey, privateKeyText: encodeKey(privateKey), peers: new Map(peers.map((p) => [p.id, p])) }
}

/** True when two parsed peers have the same endpoint. */
export function sameEndpoint (a: UdpEndpoint | null, b: UdpEndpoint | null): boolean {
  return a === b || (a !== null && b !== null && a.address === b.address && a.port === b.port)
}

/** True when two parsed peers have the same prefixes (both sorted). */
export function samePrefixes (a: readonly Prefix[], b: readonly Prefix[]): boolean {
  return a.length === b.length && a.every((p, i) => b[i] !== undefined && p.equals(b[i]))
}
