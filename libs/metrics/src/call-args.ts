import type { Labels } from './metrics.js'

/**
 * Splits the overloaded `(n?)` / `(labels, n?)` arguments of inc, dec, set and observe into
 * the labels (undefined means the unlabelled series) and the number, `fallback` when omitted.
 */
export function splitArgs(
  a: Labels | number | undefined,
  b: number | undefined,
  fallback: number,
): [Labels | undefined, number] {
  if (typeof a === 'number') return [undefined, a]
  return [a, b ?? fallback]
}
