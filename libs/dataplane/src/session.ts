/**
 * One tunnel session (a keypair from one handshake) and the rules for choosing among a
 * peer's sessions. A peer holds at most {@link MAX_SESSIONS}, each in its own engine slot:
 * ```
 *   handshake as responder ──▶ next (unconfirmed: receive only)
 *        first authenticated message on it ──▶ confirmed
 *   handshake as initiator ──▶ confirmed at once (the response proves the peer has the keys)
 *   send with:  the newest confirmed session ("current")
 *   receive on: every session; older confirmed ones ("previous") stay until evicted or
 *               REJECT_AFTER, so packets in flight across a rekey are not lost
 * ```
 * When both sides initiate at once each ends with two confirmed sessions created within a
 * moment of each other. "Newest" would then differ per side (each would send on the one it
 * initiated, and both would rekey at once, needing 4 slots), so within `tieWindowMs` both
 * sides prefer the session initiated by the peer with the lower public key: a deterministic
 * choice both make alike. Both sessions stay receivable until they expire.
 */

/** Most sessions (and engine slots) per peer: current, previous and next. */
export const MAX_SESSIONS = 3

/** A keypair installed in an engine slot. */
export interface Session {
  /** The engine slot holding the keys. */
  readonly slot: number
  /** Our index (the peer's receiver index). */
  readonly localIndex: number
  /** The peer's index. */
  readonly remoteIndex: number
  /** Monotonic ms when installed. */
  readonly createdAt: number
  /** True if we sent the initiation. */
  readonly initiator: boolean
  /** True once usable for sending (see the module comment). */
  confirmed: boolean
}

/**
 * The session to send with: the newest confirmed one, except that a confirmed session at most
 * `tieWindowMs` older wins when it was initiated by the side with the lower public key
 * (`weAreLower` says whether that is us). `undefined` if none is confirmed.
 */
export function pickSendSession(
  sessions: readonly Session[],
  weAreLower = false,
  tieWindowMs = 0,
): Session | undefined {
  let newest: Session | undefined
  for (const s of sessions) {
    if (s.confirmed && (newest === undefined || s.createdAt >= newest.createdAt)) newest = s
  }
  if (newest === undefined || newest.initiator === weAreLower) return newest
  for (const s of sessions) {
    if (s.confirmed && s.initiator === weAreLower && newest.createdAt - s.createdAt <= tieWindowMs) return s
  }
  return newest
}

/**
 * The session to give up to make room for a new one at `now`: the oldest unconfirmed one if any
 * (a newer handshake superseded it), else the oldest that is not the sending session. An
 * unconfirmed session younger than `tieWindowMs` is kept while anything else can go: in a
 * simultaneous handshake it is the one the lower-keyed peer may choose to send with (see
 * {@link pickSendSession}), and evicting it would leave that peer sending to an index we dropped.
 */
export function pickEviction(
  sessions: readonly Session[],
  sending: Session | undefined,
  now = Number.POSITIVE_INFINITY,
  tieWindowMs = 0,
): Session | undefined {
  const oldest = (list: readonly Session[]): Session | undefined =>
    list.reduce<Session | undefined>((a, s) => (a === undefined || s.createdAt < a.createdAt ? s : a), undefined)
  const contender = (s: Session): boolean => !s.confirmed && now - s.createdAt <= tieWindowMs
  return (
    oldest(sessions.filter((s) => !s.confirmed && !contender(s))) ??
    oldest(sessions.filter((s) => s !== sending && !contender(s))) ??
    oldest(sessions.filter((s) => s !== sending))
  )
}
