import type { Redis } from 'ioredis'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'
import type { RedisKeys } from './redis-keys.js'
import type { Change } from './store.js'

/** One Redis command for the transaction's MULTI, as ioredis takes it: `['hset', key, field, value]`. */
export type Write = [command: string, ...args: Array<string | number>]

/** What an operation reads through: the WATCHed connection and the version its commit creates. */
export interface TxView {
  /** The transaction connection; WATCH here any key the decision depends on besides the version. */
  conn: Redis
  /** The mesh version a change-logged commit sets (the current version + 1). */
  version: number
}

/** An operation's decision: what to write and what to answer once the writes are committed. */
export interface TxDecision<T> {
  /** The caller's value, as it is once the writes are committed. */
  value: T
  /** Commands queued in MULTI, in order. With no writes and no change nothing is committed. */
  writes: Write[]
  /**
   * The registry change, for the change log. With it the commit also sets the mesh version to
   * {@link TxView.version} and appends one change-log entry; without it (a new join token, which
   * no agent's map depends on) the writes commit and the version stays.
   */
  change?: Pick<Change, 'id' | 'kind'>
}

/** One operation on the registry: reads on `tx.conn`, validates, decides. Runs again on conflict. */
export type TxOperation<T> = (tx: TxView) => Promise<TxDecision<T>>

/** What {@link VersionedTx.run} returns: the value and the mesh version it is consistent with. */
export interface TxResult<T> {
  value: T
  version: number
  /** True when the commit bumped the mesh version (the decision had a change). */
  committed: boolean
}

/** The decision of an operation that finds nothing to change: no write, no version bump. */
export function unchanged<T>(value: T): TxDecision<T> {
  return { value, writes: [] }
}

/**
 * Runs optimistic transactions on one dedicated connection: WATCH the version key (and any
 * key the operation watches), let the operation read and decide, then MULTI/EXEC its writes,
 * with version+1 and one change-log entry (trimmed to `changeLogMax`) when it made a change.
 * A concurrent change on any replica aborts EXEC and the operation runs again on fresh data,
 * so two overlapping registrations can never both commit. In-process callers are serialized
 * because WATCH state belongs to the connection.
 */
export class VersionedTx {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly conn: Redis,
    private readonly keys: RedisKeys,
    private readonly changeLogMax: number,
    private readonly maxAttempts = 64,
  ) {}

  /** Runs `op` until it commits; rethrows the operation's errors; STORE_CONFLICT when it never commits. */
  run<T>(op: TxOperation<T>): Promise<TxResult<T>> {
    const next = this.queue.then(async () => await this.attempt(op))
    this.queue = next.catch(() => undefined)
    return next
  }

  private async attempt<T>(op: TxOperation<T>): Promise<TxResult<T>> {
    for (let i = 0; i < this.maxAttempts; i++) {
      await this.conn.watch(this.keys.version)
      let current: number
      let decision: TxDecision<T>
      try {
        current = Number((await this.conn.get(this.keys.version)) ?? 0)
        decision = await op({ conn: this.conn, version: current + 1 })
      } catch (e) {
        await this.conn.unwatch().catch(() => undefined)
        throw e
      }
      const { value, writes, change } = decision
      if (writes.length === 0 && change === undefined) {
        await this.conn.unwatch()
        return { value, version: current, committed: false }
      }
      const res = await this.conn.multi(this.commands(current + 1, writes, change)).exec()
      if (res === null) continue
      const failed = res.find(([err]) => err !== null)
      if (failed !== undefined) throw failed[0] as Error
      return change === undefined
        ? { value, version: current, committed: false }
        : { value, version: current + 1, committed: true }
    }
    throw new ApiError(
      WireErrorCode.storeConflict,
      `gave up after ${this.maxAttempts} conflicting concurrent changes; retry`,
    )
  }

  /** The MULTI body: the writes, and around them the version bump and change-log entry of a change. */
  private commands(version: number, writes: Write[], change: TxDecision<unknown>['change']): Write[] {
    if (change === undefined) return writes
    const entry = JSON.stringify({ v: version, id: change.id, k: change.kind })
    return [
      ['set', this.keys.version, String(version)],
      ...writes,
      ['zadd', this.keys.changes, version, entry],
      ['zremrangebyrank', this.keys.changes, 0, -(this.changeLogMax + 1)],
    ]
  }
}
