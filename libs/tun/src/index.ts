/**
 * @vpcmesh/tun: the packet engine (TUN and UDP batch I/O, AEAD, replay window) behind
 * the {@link PacketEngine} interface. In-memory fakes are on the `./testing` subpath.
 */
import type { PacketEngine, PacketEngineOptions } from './engine.js'
import { openNativeEngine } from './native.js'

export {
  type PacketEngine,
  type PacketEngineOptions,
  type PacketHandlers,
  type EngineInfo,
  type EngineSessions,
  type EngineStats,
  type EngineForwarding,
  type ForwardingRoute,
  type SessionKeys,
  type TunBatch,
  type UdpBatch,
  type UdpEndpoint,
  type CipherName,
  PacketKind,
  PacketFlag,
  Verdict,
} from './engine.js'
export { type SlotStats, type GlobalStats, SLOT_STAT_FIELDS, GLOBAL_STAT_FIELDS } from './stats.js'
export { TunError, TUN_ERROR_CODES, type TunErrorCode, isTunErrorCode } from './errors.js'

/**
 * Opens the native packet engine: creates the TUN device (MTU, txqueuelen, link up) and
 * binds the UDP socket. Requires root/CAP_NET_ADMIN and the built addon
 * (`npm run build:native`). Throws a TunError; see {@link PacketEngine} for the contract.
 */
export function openPacketEngine(options: PacketEngineOptions): PacketEngine {
  return openNativeEngine(options)
}
