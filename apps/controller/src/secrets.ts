import { createHash, randomBytes } from 'node:crypto'

/** SHA-256 hex of a secret: what the store keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** A new random secret with a readable kind prefix (`vmj_` join token, `vmc_` credential). */
export function newSecret(kind: 'vmj' | 'vmc'): string {
  return `${kind}_${randomBytes(32).toString('base64url')}`
}

/**
 * True when `text` looks like a secret of `kind` as {@link newSecret} makes them (prefix and
 * 43 base64url characters). Lets the controller refuse a made-up token without asking Redis.
 */
export function isSecretShape(kind: 'vmj' | 'vmc', text: string): boolean {
  return text.length === 47 && text.startsWith(`${kind}_`) && /^[A-Za-z0-9_-]{43}$/.test(text.slice(4))
}
