/**
 * What sessions report for metrics. The hub's implementation turns these into controller
 * metrics; tests may pass a recorder.
 */
export interface SessionEvents {
  /** An agent finished hello and got its first map. */
  connected(vpcId: string): void
  /** A ready agent's connection closed. */
  disconnected(vpcId: string): void
  /** An agent acknowledged having applied `version`. */
  acked(vpcId: string, version: number): void
  /** A valid frame of `type` arrived from an agent. */
  received(type: string): void
  /** A frame was refused (not JSON, wrong schema, wrong order). */
  badFrame(): void
  /** A map update (snapshot or delta) reaching `version` was sent to `vpcId`. */
  updateSent(vpcId: string, version: number): void
  /** A frame of `type` was sent to an agent. */
  sent(type: string): void
  /** A connection was refused or closed before it authenticated, for `reason`. */
  refused(reason: RefusalReason): void
}

/**
 * Why an agent connection was refused before it authenticated: a connection limit (at the
 * upgrade), the hello rate limit, the pre-hello timeout, or an unusable or duplicate key.
 */
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

/** Every {@link RefusalReason}: the bounded label set of the refusal metric. */
export const REFUSAL_REASONS = [
  'address_limit',
  'total_limit',
  'hello_rate',
  'hello_timeout',
  'key_invalid',
  'key_in_use',
  'unauthorized',
  'endpoint_invalid',
] as const

/** Events that go nowhere. */
export const noSessionEvents: SessionEvents = {
  connected() {},
  disconnected() {},
  acked() {},
  received() {},
  badFrame() {},
  updateSent() {},
  sent() {},
  refused() {},
}
