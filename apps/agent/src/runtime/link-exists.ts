import { readFileSync } from 'node:fs'

/**
 * True when this network namespace has an interface `name` (/proc/net/dev is per namespace).
 * Also true when /proc/net/dev cannot be read: a missing probe must not look like a lost TUN.
 */
export function linkExists(name: string): boolean {
  try {
    return readFileSync('/proc/net/dev', 'utf8')
      .split('\n')
      .some((l) => l.trimStart().startsWith(`${name}:`))
  } catch {
    return true
  }
}
