import type { Redis } from 'ioredis'
import { MeshError } from '@vpcmesh/common'
import { WireErrorCode } from '@vpcmesh/protocol'
import type { RedisKeys } from './redis-keys.js'
import type { Write } from './redis-tx.js'

/**
 * The public-key index: hash `pubkeys`, agent public key → VPC id. Read inside a registry
 * transaction (after WATCH of the version key) and written in the same MULTI as the VPC
 * record, so two VPCs can never commit the same key, even through different replicas.
 * RedisKeys stored before the index existed are added by the first claim (once per store,
 * marked by `pubkeys:indexed`), in that claim's transaction.
 */

/** Raised when `publicKey` already belongs to another VPC. Not retryable. */
export class KeyInUseError extends MeshError {
  constructor(readonly ownerId: string) {
    super(
      WireErrorCode.wsKeyInUse,
      "this public key is already the key of another VPC; every agent needs its own key pair (remove the agent's key file and restart it)",
    )
    this.name = 'KeyInUseError'
  }
}

/**
 * Checks on the transaction connection that no VPC other than `id` holds `publicKey`
 * (throws {@link KeyInUseError}), and returns the writes that record the claim for the VPC
 * moving from key `from` (null: none) to `publicKey`.
 */
export async function claimKey(
  conn: Redis,
  keys: RedisKeys,
  id: string,
  publicKey: string,
  from: string | null,
): Promise<Write[]> {
  const backfill = (await conn.exists(keys.publicKeysIndexed)) === 1 ? undefined : await storedKeys(conn, keys)
  const owner =
    (await conn.hget(keys.publicKeys, publicKey)) ??
    backfill?.find(([k, o]) => k === publicKey && o !== id)?.[1] ??
    null
  if (owner !== null && owner !== id) throw new KeyInUseError(owner)
  const backfillWrites: Write[] =
    backfill === undefined
      ? []
      : [...backfill.map(([k, o]): Write => ['hsetnx', keys.publicKeys, k, o]), ['set', keys.publicKeysIndexed, '1']]
  return [...backfillWrites, ...moveKey(keys, from, publicKey, id)]
}

/** Every key held by a stored VPC record, with its VPC id. */
async function storedKeys(conn: Redis, keys: RedisKeys): Promise<Array<[string, string]>> {
  const ids = await conn.smembers(keys.vpcs)
  if (ids.length === 0) return []
  const raws = await conn.mget(ids.map((i) => keys.vpc(i)))
  const out: Array<[string, string]> = []
  for (const raw of raws) {
    const r = raw === null ? null : (JSON.parse(raw) as { id: string; publicKey: string | null })
    if (r?.publicKey != null) out.push([r.publicKey, r.id])
  }
  return out
}

/** Deletes an index entry only if it still names the given VPC. */
const RELEASE_LUA = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`

/** The write that deletes `field` of the index hash `hash` only if it still names VPC `id`. */
export function releaseEntry(hash: string, field: string, id: string): Write {
  return ['eval', RELEASE_LUA, 1, hash, field, id]
}

/**
 * The index writes for VPC `id` moving from key `from` to key `to` (either may be null; null
 * `to`: the VPC is deleted). The old entry is removed only while it names `id`.
 */
export function moveKey(keys: RedisKeys, from: string | null, to: string | null, id: string): Write[] {
  const out: Write[] = []
  if (from !== null && from !== to) out.push(releaseEntry(keys.publicKeys, from, id))
  if (to !== null) out.push(['hset', keys.publicKeys, to, id])
  return out
}
