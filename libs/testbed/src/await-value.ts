import { pollUntil } from '@vpcmesh/common'

/**
 * Polls `fn` every `intervalMs` until it returns a value other than undefined or false, and
 * resolves with it; rejects after `timeoutMs` naming `what` (see `pollUntil` of
 * `@vpcmesh/common`, which this is with positional knobs). The tests' one way to wait.
 */
export async function awaitValue<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  return await pollUntil(what, fn, { timeoutMs, intervalMs })
}
