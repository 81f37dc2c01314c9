/**
 * The responder's side of cookies (noise/cookie.ts): a random secret that rotates every
 * {@link COOKIE_SECRET_MS} on the injected clock, the cookie of a source address under it,
 * the mac2 check and the cookie reply. One HMAC per check or cookie, one AEAD per reply; no
 * Diffie-Hellman. A mac2 made with a cookie from a previous secret is refused (the initiator
 * then gets a fresh cookie), as in WireGuard.
 */
import { randomBytes } from 'node:crypto'
import type { Clock } from '@vpcmesh/common'
import type { UdpEndpoint } from '@vpcmesh/tun'
import { COOKIE_NONCE_BYTES, cookieKey, createCookieReply, makeCookie, sourceBytes } from './noise/cookie.js'
import { checkMac, INITIATION } from './noise/messages.js'
import { addressBytes } from './source-address.js'

/** Lifetime of a cookie secret, and of a cookie at the initiator (WireGuard's COOKIE_REFRESH_TIME): 120 s. */
export const COOKIE_SECRET_MS = 120_000

/** What the {@link CookieChecker} uses. */
export interface CookieCheckerDeps {
  clock: Clock
  /** Random bytes for secrets and nonces. @default node:crypto randomBytes */
  random?: (n: number) => Uint8Array
}

/** Makes and checks cookies for initiations sent to us. */
export class CookieChecker {
  private readonly clock: Clock
  private readonly random: (n: number) => Uint8Array
  private replyKey: Uint8Array | undefined
  private secret: Uint8Array | undefined
  private secretAt = 0

  constructor(deps: CookieCheckerDeps) {
    this.clock = deps.clock
    this.random = deps.random ?? ((n) => new Uint8Array(randomBytes(n)))
  }

  /** Sets our static public key (cookie replies are sealed under a key derived from it). */
  setLocal(staticPublic: Uint8Array): void {
    this.replyKey = cookieKey(staticPublic)
  }

  /** True when `initiation` carries the mac2 of `from`'s current cookie. */
  checkMac2(initiation: Uint8Array, from: UdpEndpoint): boolean {
    if (initiation.length !== INITIATION.size) return false
    const cookie = this.cookieFor(from)
    if (cookie === undefined) return false
    const ok = checkMac(cookie, initiation, INITIATION.offsetMac2)
    cookie.fill(0)
    return ok
  }

  /** A cookie reply to `initiation` from `from`, or undefined (no local key yet, bad address or size). */
  reply(initiation: Uint8Array, from: UdpEndpoint): Uint8Array | undefined {
    const cookie = this.cookieFor(from)
    if (cookie === undefined || this.replyKey === undefined) return undefined
    const msg = createCookieReply(this.replyKey, initiation, cookie, this.random(COOKIE_NONCE_BYTES))
    cookie.fill(0)
    return msg
  }

  /** The current cookie of `from` (a new array the caller may wipe), rotating the secret when due. */
  cookieFor(from: UdpEndpoint): Uint8Array | undefined {
    const address = addressBytes(from.address)
    if (address === undefined) return undefined
    const now = this.clock.monotonic()
    if (this.secret === undefined || now - this.secretAt >= COOKIE_SECRET_MS) {
      this.secret?.fill(0)
      this.secret = this.random(32)
      this.secretAt = now
    }
    return makeCookie(this.secret, sourceBytes(address, from.port))
  }
}
