import type { NetMap, PeerStatus } from '@vpcmesh/protocol'
import type { ControlClientComponents, ControlClientOptions } from '../control/client.js'

/**
 * What the agent engine uses of its control client: `ControlClient` (apps/agent/src/control/client.ts)
 * implements it over the WebSocket; unit tests pass a fake that hands maps to `onMap` themselves.
 */
export interface ControlChannel {
  readonly state: 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopped'
  /** URL of the controller currently connected, if any. */
  readonly connectedUrl: string | undefined
  /** Why the last connection ended, for status. */
  readonly lastError: string | undefined
  /** Starts connecting; maps arrive through the components' `onMap`. */
  start(): void
  /** Closes the connection and stops reconnecting. */
  stop(): void
  /** Tells the controller that `map` is applied. */
  ack(map: NetMap): void
  /** Reports tunnel status to the controller. */
  reportStatus(peers: PeerStatus[]): void
}

/** Creates a control channel, not yet started. */
export type ControlChannelFactory = (c: ControlClientComponents, o: ControlClientOptions) => ControlChannel
