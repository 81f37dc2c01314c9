import type { Store } from '../state/store.js'
import { MapView } from './map-view.js'

/**
 * Reads the registry for hellos and pushes and keeps the newest {@link MapView}. `latest()`
 * answers with a snapshot read that started after the call (so it includes every change
 * committed before it), but callers arriving while a read is in flight share the one read
 * queued behind it: a burst of hellos costs a few registry reads, not one each. A read at the
 * version already held returns the held view, built once per version; a newer one reuses the
 * held view's unchanged nodes.
 */
export class MapCache {
  private current: MapView | undefined
  private reading: Promise<MapView> | undefined
  private next: Promise<MapView> | undefined

  constructor(private readonly c: { store: Pick<Store, 'snapshot'> }) {}

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
    const snap = await this.c.store.snapshot()
    if (this.current === undefined || this.current.version !== snap.version)
      this.current = new MapView(snap, this.current)
    return this.current
  }
}
