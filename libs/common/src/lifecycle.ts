/** Something with a start and a stop. `stop` must be safe to call after a failed or no start. */
export interface Startable {
  start(): Promise<void>
  stop(): Promise<void>
}

/** Starts each in order; if one fails, stops the ones already started (in reverse) and rethrows. */
export async function startAll(items: Startable[]): Promise<void> {
  const started: Startable[] = []
  try {
    for (const s of items) {
      await s.start()
      started.push(s)
    }
  } catch (e) {
    await stopAll(started)
    throw e
  }
}

/** Stops each in reverse order; every stop runs even if an earlier one throws; rethrows the first error. */
export async function stopAll(items: Startable[]): Promise<void> {
  let first: unknown
  for (const s of [...items].reverse()) {
    try {
      await s.stop()
    } catch (e) {
      first ??= e
    }
  }
  if (first !== undefined) throw first
}
