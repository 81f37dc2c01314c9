// Inputs shared by the configuration tests (config.test.ts, config.poisoned.test.ts).
import type { DataplaneConfig, ParseLimits, PeerConfig } from '../src/config.js'
import { generateKeyPair } from '../src/key-text.js'

/** IPv4 engine with room for 10 peers. */
export const limits: ParseLimits = { udpFamily: 4, maxPeers: 10 }
/** This node's key pair. */
export const me = generateKeyPair()

/** A valid peer `id` (fresh key, endpoint 192.0.2.9:51820) with `prefixes`; `extra` overrides fields. */
export const peer = (id: string, prefixes: string[], extra: Partial<PeerConfig> = {}): PeerConfig => ({
  id,
  name: `name-${id}`,
  publicKey: generateKeyPair().publicKey,
  endpoint: { address: '192.0.2.9', port: 51820 },
  allowedPrefixes: prefixes,
  ...extra,
})

/** A configuration of {@link me} with `peers`. */
export const cfg = (peers: PeerConfig[]): DataplaneConfig => ({ privateKey: me.privateKey, peers })
