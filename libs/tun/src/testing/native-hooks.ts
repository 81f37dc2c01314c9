/**
 * The test addon (native/build/Release/vpcmesh_tun_test.node): the production engine plus
 * the hooks of native/test_hooks.h, built by the same `npm run build:native`. Tests and
 * benchmarks only; the production addon exports none of this (libs/tun/test/native.test.ts).
 */
import type { CipherName, PacketEngineOptions } from '../engine.js'
import { type AddonExports, loadNativeAddon } from '../native.js'

/** The test addon's file name in native/build/Release. */
export const TEST_ADDON = 'vpcmesh_tun_test.node'

/** A virtio_net_hdr as the test hooks report it (host-order numbers). */
export interface VnetHeaderFields {
  flags: number
  gsoType: number
  hdrLen: number
  gsoSize: number
  csumStart: number
  csumOffset: number
}

/** Options of the test addon's NativeEngine: the production ones plus the forced failure. */
export interface TestEngineOptions extends PacketEngineOptions {
  /** Throw VPCMESH_ERR_TUN_INVALID_OPTIONS at the end of construction, with both fds open. */
  failAfterOpenForTest?: boolean
}

/** Test and benchmark hooks of the test addon (native/test_hooks.h). */
export interface NativeTestHooks extends Omit<AddonExports, 'NativeEngine'> {
  /** The engine compiled with VPCMESH_TEST_HOOKS (raw, not wrapped as a PacketEngine). */
  NativeEngine: new (
    options: TestEngineOptions,
  ) => { close(): void }
  /** For each counter in order: 1 if a fresh replay window accepts (and records) it. */
  replayWindowRun(counters: BigUint64Array): Uint8Array
  /** One data message exactly as the engine seals it. */
  sealForTest(
    cipher: CipherName,
    key: Uint8Array,
    receiverIndex: number,
    counter: bigint,
    plaintext: Uint8Array,
  ): Uint8Array
  /** Batched in-place AEAD timing with reused contexts. */
  aeadBench(
    cipher: CipherName,
    payloadBytes: number,
    packets: number,
  ): { sealNsPerPacket: number; openNsPerPacket: number; openOk: number }
  /** Nanoseconds of each of `rounds` single seals, each after sleeping `gapUs`, sorted ascending. */
  idleSealBench(cipher: CipherName, payloadBytes: number, rounds: number, gapUs: number): Float64Array
  /**
   * The engine's TSO segmentation on one super-packet: the segments, or a negative error
   * (-1 malformed, -2 too big, -3 too many).
   */
  tcpSegment(packet: Uint8Array, vnet: { gsoType: number; gsoSize: number }, mtu: number): Uint8Array[] | number
  /** The engine's receive-side coalescing over consecutive packets: one result per TUN write. */
  tcpCoalesce(packets: Uint8Array[]): Array<{ packet: Uint8Array; segments: number; vnet: VnetHeaderFields }>
  /** A copy of `packet` with a NEEDS_CSUM partial checksum completed; null if out of bounds. */
  completeChecksum(packet: Uint8Array, csumStart: number, csumOffset: number): Uint8Array | null
}

/** The names of the hooks the test addon adds (the production addon must have none). */
export const NATIVE_TEST_HOOK_NAMES = [
  'replayWindowRun',
  'sealForTest',
  'aeadBench',
  'idleSealBench',
  'tcpSegment',
  'tcpCoalesce',
  'completeChecksum',
] as const

/**
 * Loads the test addon (once) and returns its hooks.
 * @throws TunError VPCMESH_ERR_TUN_ADDON_MISSING when it was not built, VPCMESH_ERR_TUN_ADDON_MISMATCH
 */
export function nativeTestHooks(): NativeTestHooks {
  return loadNativeAddon(TEST_ADDON) as unknown as NativeTestHooks
}
