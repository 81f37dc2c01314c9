import { pollUntil } from '@vpcmesh/common'

/** Polls `fn` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function awaitValue<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  return await pollUntil(what, fn, { timeoutMs, intervalMs })
}
