/** Test doubles for @vpcmesh/tun: in-memory engines and the wire format in TypeScript. */
export { MemoryPacketEngine, createMemoryEnginePair, type MemoryPacketEngineOptions } from './memory-packet-engine.js'
export { ChannelNetwork, type ChannelPort } from './channel-network.js'
export { DEMAND_INTERVAL_MS } from './fake-forwarding.js'
export { ReplayWindow, REJECT_AFTER_MESSAGES } from './replay-window.js'
export { sealDataMessage, openDataMessage, readDataHeader, isDataMessage, WIRE } from './wire-crypto.js'
export {
  nativeTestHooks,
  NATIVE_TEST_HOOK_NAMES,
  TEST_ADDON,
  type NativeTestHooks,
  type TestEngineOptions,
  type VnetHeaderFields,
} from './native-hooks.js'
