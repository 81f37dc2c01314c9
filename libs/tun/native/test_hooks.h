// Module-level functions for tests and benchmarks, exported only by the test addon
// (vpcmesh_tun_test, test_addon.cc), never by the production one. They exercise the same
// C++ code the engine uses (ReplayWindow, AeadContext, offloads) without any device,
// socket or root.
#pragma once

#include <napi.h>

namespace vpcmesh {

// Sets every hook below on `exports` under its JavaScript name.
void ExportTestHooks(Napi::Env env, Napi::Object exports);

// replayWindowRun(counters: BigUint64Array) -> Uint8Array: for each counter in order,
// 1 if a fresh window (as in a new session) accepts it (and then records it), else 0.
Napi::Value ReplayWindowRun(const Napi::CallbackInfo& info);
// sealForTest(cipher, key32, receiverIndex, counter: bigint, plaintext) -> Uint8Array:
// one data message exactly as the engine would put it on the wire.
Napi::Value SealForTest(const Napi::CallbackInfo& info);
// aeadBench(cipher, payloadBytes, packets) -> {sealNsPerPacket, openNsPerPacket}:
// batched in-place seal then open with one reused context each.
Napi::Value AeadBench(const Napi::CallbackInfo& info);

// tcpSegment(packet, vnet {gsoType, gsoSize}, mtu) -> Uint8Array[] | number: SegmentTcp
// on a hand-made super-packet: the segments, or the negative kSegment* error.
Napi::Value TcpSegment(const Napi::CallbackInfo& info);
// tcpCoalesce(packets: Uint8Array[]) -> [{packet, segments, vnet}]: runs the engine's
// coalescing over consecutive packets (as if opened in this order from one peer).
Napi::Value TcpCoalesce(const Napi::CallbackInfo& info);
// completeChecksum(packet, csumStart, csumOffset) -> Uint8Array | null: a copy with a
// NEEDS_CSUM partial checksum completed, null if the offsets are out of bounds.
Napi::Value CompleteChecksumHook(const Napi::CallbackInfo& info);

}  // namespace vpcmesh
