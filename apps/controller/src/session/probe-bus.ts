/**
 * The channel controller replicas relay probes over (`vpcmesh explain`): the replica serving
 * `POST /v1/explain` may not hold the agents' sessions. `createRedisProbeBus`
 * (apps/controller/src/session/redis-probe-bus.ts) is the one in use, over Redis pub/sub
 * (tests too run it against a real redis-server).
 */
export interface ProbeBus {
  /**
   * Sends `message` to every current subscriber of `channel` (at most once each, none that
   * subscribe later). Resolves with how many received it; rejects when the bus is unreachable.
   */
  publish(channel: string, message: string): Promise<number>
  /**
   * Calls `handler` with every message published on `channel` from when the returned promise
   * resolves until the unsubscribe function it resolves with is called. One handler per channel.
   */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>
  /** Drops every subscription and the connections; publish and subscribe reject afterwards. */
  close(): Promise<void>
}
