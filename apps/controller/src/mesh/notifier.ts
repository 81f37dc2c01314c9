import { type Clock, type Logger, type TimerHandle, errorMessage } from '@vpcmesh/common'
import type { Store } from '../state/store.js'
import type { MapCache } from './map-cache.js'
import { PlanIndex, planUpdate, type Update } from './planner.js'

/** A receiver of map updates: a ready agent session. */
export interface MapTarget {
  readonly vpcId: string | undefined
  readonly sentVersion: number
  /** Sends `u`; `frame`, when given, is its encoding (shared with other targets). */
  sendUpdate(u: Update, frame?: string | Buffer): void
}

/** Dependencies of the {@link Notifier}. */
export interface NotifierComponents {
  store: Store
  /** Shared registry reads and per-version map views (the hub's sessions use the same one). */
  maps: MapCache
  clock: Clock
  logger: Logger
  /** The ready targets on this replica. */
  targets: () => MapTarget[]
  /** Observes each push: the version pushed and how long reading and planning took, seconds. */
  onPush?: (version: number, seconds: number, targets: number) => void
}

/** Knobs of the {@link Notifier}. */
export interface NotifierOptions {
  /** Safety-net poll of the mesh version, ms, for announcements missed while Redis reconnected. @default 2000 */
  pollMs?: number
  /** Changes arriving within this window after a kick are pushed together, ms. @default 20 */
  batchMs?: number
  /**
   * While changes keep arriving (a kick came during a push or its wait), the next push starts
   * no sooner than `busyFactor` × d ms after the last one ended, d being how long that push
   * took (reading, planning and sending). A burst of changes (an enrolment storm) so spends at
   * most 1/(1 + busyFactor) of the event loop on pushes, and leaves room for the acks they
   * cause, and becomes a few larger deltas per agent instead of one per change. A change after
   * a quiet period is pushed after `batchMs`. @default 10
   */
  busyFactor?: number
  /** Longest busy gap, ms: bounds the wait of the first change after a burst. @default 1000 */
  maxBusyGapMs?: number
}

/**
 * Pushes new mesh versions to this replica's agents. Announcements (pub/sub, from any
 * replica) and polls only "kick" it; kicks are coalesced so at most one push runs at a time
 * and bursts of changes become one read of the registry and one update per agent. A session
 * that becomes ready asks for a catch-up of its own ({@link catchUp}), never a mesh-wide push.
 */
export class Notifier {
  private running = false
  /** A change was announced since the last push started: the next run pushes to every target. */
  private wanted = false
  /** Sessions that became ready behind the newest known version: the next run serves them. */
  private readonly pending = new Set<MapTarget>()
  /** The newest mesh version read by the last push, or announced or polled since. */
  private known = 0
  private unsubscribe: (() => void) | undefined
  private timer: TimerHandle | undefined
  /** Monotonic ms before which the next push may not start (see busyFactor). */
  private notBefore = 0
  private readonly log: Logger

  constructor(
    private readonly c: NotifierComponents,
    private readonly o: NotifierOptions = {},
  ) {
    this.log = c.logger.child('notifier')
  }

  start(): void {
    this.unsubscribe = this.c.store.onVersion((v) => {
      this.known = Math.max(this.known, v)
      this.kick()
    })
    this.timer = this.c.clock.setInterval(() => {
      void this.poll()
    }, this.o.pollMs ?? 2000)
  }

  stop(): void {
    this.unsubscribe?.()
    this.timer?.cancel()
  }

  /** Requests a push to every target because a new version was announced; returns at once. */
  kick(): void {
    this.wanted = true
    this.run()
  }

  /**
   * A session became ready with `t.sentVersion`. If a newer version is known, it may have
   * missed that version's push (it was not ready yet): serve it, and only it, after `batchMs`
   * (sessions becoming ready meanwhile share the run), or with the next push when one is due.
   * It never waits for the busy gap nor extends a burst. O(1) when it is up to date; a newer
   * version not yet announced reaches it with that announcement's push.
   */
  catchUp(t: MapTarget): void {
    if (t.sentVersion >= this.known) return
    this.pending.add(t)
    this.run()
  }

  private run(): void {
    if (this.running) return
    this.running = true
    this.schedule()
  }

  /** Runs the loop after the batch window, or later while the last push's busy gap lasts. */
  private schedule(): void {
    const delay = Math.max(this.o.batchMs ?? 20, this.notBefore - this.c.clock.monotonic())
    this.c.clock.setTimeout(() => {
      void this.loop()
    }, delay)
  }

  private async loop(): Promise<void> {
    const only = this.wanted ? undefined : [...this.pending]
    this.wanted = false
    this.pending.clear()
    const t0 = this.c.clock.monotonic()
    try {
      await this.push(only)
    } catch (e) {
      this.log.warn('push failed; will retry on next change or poll', { error: errorMessage(e) })
    }
    const end = this.c.clock.monotonic()
    if (this.wanted) {
      this.notBefore = end + Math.min((end - t0) * (this.o.busyFactor ?? 10), this.o.maxBusyGapMs ?? 1000)
      this.schedule()
      return
    }
    this.notBefore = 0
    if (this.pending.size > 0) {
      this.schedule()
      return
    }
    this.running = false
  }

  private async poll(): Promise<void> {
    const targets = this.c.targets()
    if (targets.length === 0) return
    try {
      const v = await this.c.store.currentVersion()
      this.known = Math.max(this.known, v)
      if (targets.some((t) => t.sentVersion < v)) this.kick()
    } catch {
      /* store down: the next poll retries */
    }
  }

  /** Pushes the newest version to the targets behind it: all of them, or those of `only`. */
  private async push(only?: MapTarget[]): Promise<void> {
    if ((only ?? this.c.targets()).length === 0) return
    const t0 = this.c.clock.monotonic()
    const view = await this.c.maps.latest()
    const snap = view.snap
    // The read started after every announcement received so far, and later ones kick a push:
    // its version is the newest known (also after a store reset lowered the versions).
    this.known = snap.version
    const stale = (only ?? this.c.targets()).filter((t) => t.sentVersion < snap.version)
    if (stale.length === 0) return
    const from = Math.min(...stale.map((t) => t.sentVersion))
    const changes = from > 0 ? (await this.c.store.changesSince(from))?.changes : undefined
    const index = new PlanIndex(snap, changes, view)
    for (const t of stale) {
      if (t.sentVersion >= snap.version) continue
      const u = planUpdate(t.vpcId as string, t.sentVersion, snap, changes, index)
      t.sendUpdate(u, u.type === 'removed' ? undefined : index.frame(t.vpcId as string, u))
    }
    this.c.onPush?.(snap.version, (this.c.clock.monotonic() - t0) / 1000, stale.length)
  }
}
