import type { Tag } from '@aws-sdk/client-ec2'
import { parsePrefix } from '@vpcmesh/cidr'

/**
 * What vpcmesh records about one VPC on an AWS route table, in the table's own tags (EC2 routes
 * carry no description, so tags on the table are the only place in the table itself):
 *
 * - `vpcmesh:<vpcId>:epoch` = the highest fencing epoch written by a gateway of that VPC
 *   (decimal text);
 * - `vpcmesh:<vpcId>:routes:<n>` (n = 0, 1, …) = the destinations whose routes vpcmesh
 *   created for that VPC, as canonical CIDR text, sorted, comma-separated, packed into values
 *   of at most {@link TAG_VALUE_MAX} characters (an EC2 tag value's limit).
 *
 * Tags under `vpcmesh:<vpcId>:` belong to vpcmesh: a rewrite deletes any it does not write.
 */
export interface AwsTableRecord {
  /** The recorded epoch, or undefined when the table has none for this VPC. */
  readonly epoch: number | undefined
  /** Destinations (canonical CIDR text) whose routes vpcmesh created for this VPC. */
  readonly owned: ReadonlySet<string>
  /** Every tag of this VPC's namespace now on the table, key to value. */
  readonly tags: ReadonlyMap<string, string>
}

/** Longest EC2 tag value, in characters. */
export const TAG_VALUE_MAX = 256

const ROUTES_KEY = /^routes:(0|[1-9][0-9]{0,2})$/
const EPOCH_VALUE = /^(0|[1-9][0-9]{0,15})$/

/** The key prefix of one VPC's tags. */
export function tagNamespace(vpcId: string): string {
  return `vpcmesh:${vpcId}:`
}

/** The tag holding the fencing epoch of `vpcId`. */
export function epochTagKey(vpcId: string): string {
  return `${tagNamespace(vpcId)}epoch`
}

/**
 * Reads this VPC's record from a table's tags. Entries of the routes tags that are not CIDR
 * text are ignored (and dropped at the next rewrite).
 * @throws Error when the epoch tag is present but not a decimal integer: the fence cannot be
 *   read, so the caller must not write (it reports it as an API failure naming the tag)
 */
export function readRecord(tags: readonly Tag[] | undefined, vpcId: string): AwsTableRecord {
  const ns = tagNamespace(vpcId)
  const mine = new Map<string, string>()
  for (const tag of tags ?? []) {
    if (tag.Key?.startsWith(ns)) mine.set(tag.Key, tag.Value ?? '')
  }
  const owned = new Set<string>()
  for (const [key, value] of mine) {
    if (ROUTES_KEY.test(key.slice(ns.length))) for (const entry of value.split(',')) addCanonical(owned, entry)
  }
  const epochText = mine.get(epochTagKey(vpcId))
  if (epochText !== undefined && !EPOCH_VALUE.test(epochText)) {
    throw new Error(`tag ${epochTagKey(vpcId)} holds ${JSON.stringify(epochText)}, not an epoch`)
  }
  return { epoch: epochText === undefined ? undefined : Number(epochText), owned, tags: mine }
}

/** The complete tag set (key to value) that records `epoch` and `owned` for `vpcId`. */
export function recordTags(vpcId: string, epoch: number, owned: Iterable<string>): Map<string, string> {
  const tags = new Map<string, string>([[epochTagKey(vpcId), String(epoch)]])
  const chunks: string[] = []
  let chunk = ''
  for (const dest of [...owned].sort()) {
    if (chunk !== '' && chunk.length + 1 + dest.length > TAG_VALUE_MAX) {
      chunks.push(chunk)
      chunk = ''
    }
    chunk = chunk === '' ? dest : `${chunk},${dest}`
  }
  if (chunk !== '') chunks.push(chunk)
  for (const [i, value] of chunks.entries()) tags.set(`${tagNamespace(vpcId)}routes:${i}`, value)
  return tags
}

/** The writes that turn tag set `from` into `to`: tags to put (create or overwrite), keys to delete. */
export function diffTags(
  from: ReadonlyMap<string, string>,
  to: ReadonlyMap<string, string>,
): { put: Array<{ Key: string; Value: string }>; remove: string[] } {
  const put = [...to].filter(([k, v]) => from.get(k) !== v).map(([Key, Value]) => ({ Key, Value }))
  const remove = [...from.keys()].filter((k) => !to.has(k))
  return { put, remove }
}

/** Canonical CIDR text of `text`, or undefined when it is not a prefix. */
export function canonicalCidr(text: string): string | undefined {
  try {
    return parsePrefix(text, { strict: false }).toString()
  } catch {
    return undefined
  }
}

function addCanonical(set: Set<string>, text: string): void {
  const canonical = canonicalCidr(text)
  if (canonical !== undefined) set.add(canonical)
}
