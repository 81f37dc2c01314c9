/**
 * @vpcmesh/dataplane: the tunnel data plane. Noise IK handshakes, sessions in packet-engine
 * slots, cryptokey routing, anti-spoofing, liveness and metrics, configured by one
 * idempotent `reconfig(DataplaneConfig)`. In-memory test meshes are on `./testing`.
 */
export { createDataplane, type Dataplane, type DataplaneComponents, type TunnelStatus } from './dataplane.js'
export type { DataplaneConfig, PeerConfig, EndpointConfig, SkippedPeer } from './config.js'
export type { DataplaneOptions, HandshakeLimits } from './options.js'
export type { RateShape } from './handshake-limiter.js'
export type { TimestampStore } from './timestamp-store.js'
export { generateKeyPair, publicKeyOf, type KeyPairText } from './key-text.js'
export {
  DataplaneError,
  DATAPLANE_ERROR_CODES,
  type DataplaneErrorCode,
  type ConfigProblem,
  isDataplaneErrorCode,
} from './errors.js'
export { METRICS, HANDSHAKE_RESULTS, type MetricDefinition } from './dataplane-metrics.js'
export { DROP_REASONS, type DropReason } from './drops.js'
export { IPV4, IPV6 } from './packet.js'
