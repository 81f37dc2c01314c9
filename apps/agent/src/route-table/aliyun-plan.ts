/**
 * The pure half of the `aliyun` route-table provider: how vpcmesh marks the route entries it owns
 * and the table's fencing epoch, and the diff from what a table holds to what a claim wants.
 * No I/O; `aliyun.ts` reads the table, calls {@link planTable}, and carries out the plan.
 */
import { parsePrefix } from '@vpcmesh/cidr'
import type { AliyunNextHop, AliyunRouteEntry } from './aliyun-vpc-api.js'

/** The `RouteEntryName` of every entry vpcmesh creates (a label for people; ownership is the description). */
export const ENTRY_NAME = 'vpcmesh'

/** The route table tag that records the fencing epoch of a VPC: `vpcmesh:<vpcId>:epoch`. */
export function epochTagKey(vpcId: string): string {
  return `vpcmesh:${vpcId}:epoch`
}

/** The description of an entry vpcmesh created for `vpcId` at `epoch`: `vpcmesh <vpcId> epoch <E>`. */
export function entryDescription(vpcId: string, epoch: number): string {
  return `vpcmesh ${vpcId} epoch ${epoch}`
}

/** The epoch an entry's description records when the entry is vpcmesh's for `vpcId`, else undefined. */
export function ownedEpoch(entry: AliyunRouteEntry, vpcId: string): number | undefined {
  const m = /^vpcmesh (\S+) epoch (\d{1,15})$/.exec(entry.description)
  return m && m[1] === vpcId ? Number(m[2]) : undefined
}

/** Canonical prefix text of a destination read from the cloud; undefined for prefix lists and the like. */
export function canonicalDestination(text: string): string | undefined {
  try {
    return parsePrefix(text, { strict: false }).toString()
  } catch {
    return undefined
  }
}

/** What one table needs. */
export interface TablePlan {
  /** The highest epoch the table records for this VPC (tag or owned entries); 0 when none. */
  readonly fence: number
  /** Whether the epoch tag must be (re)written with the claim's epoch. */
  readonly writeTag: boolean
  readonly create: readonly string[]
  /** Our entries that point elsewhere: `[prefix, entryId]`. */
  readonly replace: readonly (readonly [string, string])[]
  /** Our entries no longer wanted: `[prefix, entryId]`. */
  readonly remove: readonly (readonly [string, string])[]
  readonly conflicts: readonly string[]
}

/** What the table holds, as read. */
export interface TableState {
  readonly tags: ReadonlyMap<string, string>
  readonly entries: readonly AliyunRouteEntry[]
}

/** The fencing epoch a table records for `vpcId`: the max of its epoch tag and our entries' epochs. */
export function tableFence(state: TableState, vpcId: string): number {
  let fence = Number(state.tags.get(epochTagKey(vpcId)) ?? 0) || 0
  for (const e of state.entries) fence = Math.max(fence, ownedEpoch(e, vpcId) ?? 0)
  return fence
}

/**
 * Diffs a table against the wanted prefixes (canonical, deduplicated). With `wanted` empty, its
 * `remove` is what `removeAll` deletes.
 */
export function planTable(
  state: TableState,
  vpcId: string,
  epoch: number,
  hop: AliyunNextHop,
  wanted: readonly string[],
): TablePlan {
  const ours = new Map<string, AliyunRouteEntry>()
  const foreign = new Set<string>()
  for (const e of state.entries) {
    const dest = canonicalDestination(e.destination)
    // An entry being deleted is gone for planning; creating its destination again fails (`api`,
    // retried by the agent) until the deletion finished.
    if (dest === undefined || e.status === 'Deleting') continue
    if (ownedEpoch(e, vpcId) !== undefined) ours.set(dest, e)
    else foreign.add(dest)
  }
  const create: string[] = []
  const replace: [string, string][] = []
  const conflicts: string[] = []
  const target = `${hop.type}:${hop.id}`
  for (const p of wanted) {
    const mine = ours.get(p)
    if (mine) {
      if (mine.nextHops.length !== 1 || mine.nextHops[0] !== target) replace.push([p, mine.id])
    } else if (foreign.has(p)) conflicts.push(p)
    else create.push(p)
  }
  const keep = new Set(wanted)
  const remove = [...ours].filter(([p]) => !keep.has(p)).map(([p, e]) => [p, e.id] as const)
  const tagged = state.tags.get(epochTagKey(vpcId))
  return { fence: tableFence(state, vpcId), writeTag: tagged !== String(epoch), create, replace, remove, conflicts }
}
