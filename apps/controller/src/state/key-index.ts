import type { Redis, ChainableCommander } from 'ioredis'
import { MeshError } from '@vpcmesh/common'
import { WireErrorCode } from '@vpcmesh/protocol'
import type { Keys } from './keys.js'

/**
 * The public-key index: hash `pubkeys`, agent public key → VPC id. Read inside a registry
 * transaction (after WATCH of the version key) and written in the same MULTI as the VPC
 * record, so two VPCs can never commit the same key, even through different replicas.
 */

/** Raised when `publicKey` already belongs to another VPC. Not retryable. */
export class KeyInUseError extends MeshError {
  constructor (readonly ownerId: string) {
    super(WireErrorCode.wsKeyInUse, 'this public key is already the key of another VPC; every agent needs its own key pair (remove the agent\'s key file and restart it)')
    this.name = 'KeyInUseError'
  }
}

/** Throws {@link KeyInUseError} when another VPC than `id` holds `publicKey`. */
export async function assertKeyFree (conn: Redis, keys: Keys, id: string, publicKey: string): Promise<void> {
  const owner = await conn.hget(keys.publicKeys, publicKey)
  if (owner !== null && owner !== id) throw new KeyInUseError(owner)
}

/** Deletes an index entry only if it still names the given VPC. */
const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`

/**
 * Queues the index update for VPC `id` moving from key `from` to key `to` (either may be
 * null: enrolment of a new VPC, or deletion). The old entry is removed only while it names `id`.
 */
export function moveKey (m: ChainableCommander, keys: Keys, from: string | null, to: string | null, id: string): void {
  if (from !== null && from !== to) m.eval(RELEASE_LUA, 1, keys.publicKeys, from, id)
  if (to !== null) m.hset(keys.publicKeys, to, id)
}
