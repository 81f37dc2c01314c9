import type { Redis, ChainableCommander } from 'ioredis'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'

/** What a transaction body returns: the writes to queue and the value to return after EXEC. */
export interface TxPlan<T> {
  /** Queues the writes on `multi`; `version` is the new mesh version. */
  write(multi: ChainableCommander, version: number): void
  /** The caller's result once EXEC succeeded. */
  result(version: number): T
}

/** A body's answer: writes to commit, or a value to return without any write. */
export type TxOutcome<T> = TxPlan<T> | { unchanged: T }

/** What {@link VersionedTx.run} returns: the value and the mesh version it is consistent with. */
export interface TxResult<T> {
  value: T
  version: number
  /** True when the body committed writes (and so bumped the version). */
  committed: boolean
}

/**
 * Runs optimistic transactions on one dedicated connection: WATCH the version key (and any
 * key the body watches), read, decide, then MULTI/EXEC that sets version+1 with the body's
 * writes. A concurrent change on any replica aborts EXEC and the body runs again on fresh
 * data, so two overlapping registrations can never both commit. In-process callers are
 * serialized because WATCH state belongs to the connection.
 */
export class VersionedTx {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly conn: Redis,
    private readonly versionKey: string,
    private readonly maxAttempts = 64,
  ) {}

  /** Runs `body` until it commits; rethrows the body's errors; STORE_CONFLICT when it never commits. */
  run<T>(body: (conn: Redis, version: number) => Promise<TxOutcome<T>>): Promise<TxResult<T>> {
    const next = this.queue.then(async () => await this.attempt(body))
    this.queue = next.catch(() => undefined)
    return next
  }

  private async attempt<T>(body: (conn: Redis, version: number) => Promise<TxOutcome<T>>): Promise<TxResult<T>> {
    for (let i = 0; i < this.maxAttempts; i++) {
      await this.conn.watch(this.versionKey)
      let outcome: TxOutcome<T>
      let version: number
      try {
        version = Number((await this.conn.get(this.versionKey)) ?? 0)
        outcome = await body(this.conn, version)
      } catch (e) {
        await this.conn.unwatch().catch(() => undefined)
        throw e
      }
      if ('unchanged' in outcome) {
        await this.conn.unwatch()
        return { value: outcome.unchanged, version, committed: false }
      }
      const plan = outcome
      const multi = this.conn.multi().set(this.versionKey, String(version + 1))
      plan.write(multi, version + 1)
      const res = await multi.exec()
      if (res === null) continue
      const failed = res.find(([err]) => err !== null)
      if (failed !== undefined) throw failed[0] as Error
      return { value: plan.result(version + 1), version: version + 1, committed: true }
    }
    throw new ApiError(
      WireErrorCode.storeConflict,
      `gave up after ${this.maxAttempts} conflicting concurrent changes; retry`,
    )
  }
}
