import { byCreation, type RegistryDiff, type RegistrySnapshot, type Store } from '../state/store.js'
import { MapView } from './map-view.js'

/**
 * Reads the registry for hellos and pushes and keeps the newest {@link MapView}. `latest()`
 * answers with a snapshot read that started after the call (so it includes every change
 * committed before it), but callers arriving while a read is in flight share the one read
 * queued behind it: a burst of hellos costs a few registry reads, not one each. A read at the
 * version already held returns the held view, built once per version; a newer one reuses the
 * held view's unchanged nodes.
 *
 * Reads are incremental: with a view held, the cache reads only the records the change log
 * names since that view's version (O(changes) in Redis and in parsing, so an enrolment storm
 * of N agents costs O(N) record reads, not O(N²)), and applies them to the held snapshot. It
 * falls back to a full snapshot when the log no longer reaches back, the store is behind the
 * held version, or the store's epoch changed (Redis lost its data). See docs/architecture.md,
 * "Scaling model".
 */
export class MapCache {
  private current: MapView | undefined
  private reading: Promise<MapView> | undefined
  private next: Promise<MapView> | undefined

  constructor(private readonly c: { store: Pick<Store, 'snapshot' | 'registrySince'> }) {}

  /** The newest view read so far, without reading (scrape-time gauges); undefined before the first read. */
  held(): MapView | undefined {
    return this.current
  }

  /** A view read after this call; rejects with the store's error when the read fails. */
  latest(): Promise<MapView> {
    if (this.next !== undefined) return this.next
    if (this.reading === undefined) return this.start()
    const queued = this.reading
      .then(
        () => undefined,
        () => undefined,
      )
      .then(async () => {
        this.next = undefined
        return await this.start()
      })
    this.next = queued
    return queued
  }

  private start(): Promise<MapView> {
    const p = this.read()
    this.reading = p
    const clear = (): void => {
      if (this.reading === p) this.reading = undefined
    }
    p.then(clear, clear)
    return p
  }

  private async read(): Promise<MapView> {
    const held = this.current
    const diff = held === undefined ? undefined : await this.c.store.registrySince(held.version)
    if (held !== undefined && diff !== undefined && diff.epoch === held.snap.epoch) {
      if (diff.version === held.version) return held
      const changed = new Set([...diff.upserted.map((r) => r.id), ...diff.removed])
      this.current = new MapView(applyDiff(held.snap, diff), held, changed)
      return this.current
    }
    const snap = await this.c.store.snapshot()
    const same = this.current?.snap.epoch === snap.epoch ? this.current : undefined
    if (same === undefined || same.version !== snap.version) this.current = new MapView(snap, same)
    return this.current as MapView
  }
}

/** `snap` moved forward by `diff` (a new snapshot; `snap` is not changed). Same order as a full read. */
export function applyDiff(snap: RegistrySnapshot, diff: RegistryDiff): RegistrySnapshot {
  if (diff.version === snap.version) return snap
  const changed = new Map(diff.upserted.map((r) => [r.id, r]))
  const removed = new Set(diff.removed)
  const vpcs = []
  for (const v of snap.vpcs) {
    if (removed.has(v.id)) continue
    const r = changed.get(v.id)
    if (r === undefined) vpcs.push(v)
    else {
      vpcs.push(r)
      changed.delete(v.id)
    }
  }
  if (changed.size > 0) {
    for (const r of changed.values()) vpcs.push(r)
    vpcs.sort(byCreation)
  }
  return { version: diff.version, vpcs, epoch: diff.epoch }
}
