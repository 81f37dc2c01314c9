import { createHash, randomBytes } from 'node:crypto'

/** SHA-256 hex of a secret: what the store keeps instead of the secret. */
export function hashSecret (secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

/** A new random secret with a readable kind prefix (`vmj_` join token, `vmc_` credential). */
export function newSecret (kind: 'vmj' | 'vmc'): string {
  return `${kind}_${randomBytes(32).toString('base64url')}`
}
