/**
 * The packet engine seam: packet mechanics only (TUN and UDP I/O in batches, AEAD, replay
 * window, per-slot counters). Everything that decides (peers, keys, handshakes, routing,
 * anti-spoofing) lives above it in TypeScript.
 *
 * Data flow, one JavaScript call per batch:
 * ```
 *  TUN ─read─▶ TunBatch ─onTunBatch: fill slots[]─▶ sealAndSend(count) ─sendmmsg─▶ peers
 *  peers ─recvmmsg─▶ decrypt+replay ─▶ UdpBatch ─onUdpBatch: fill verdicts[]─▶ writeTun(count) ─▶ TUN
 *                                        └ raw (non-data) datagrams, keepalives, control payloads: JS only
 * ```
 * Wire format of a data message (WireGuard-like, little-endian), see native/wire_format.h:
 * `type=4 (u32) | receiver index (u32) | counter (u64) | AEAD(inner packet) | tag (16)`;
 * the 16-byte header is the AEAD's additional data, nonce = 4 zero bytes + counter.
 *
 * Buffer ownership: every array in a batch belongs to the engine and is reused for the
 * next batch. A batch (and the arrays it points to) is valid only during the handler call
 * that received it: copy what you keep. The same batch objects are passed every time.
 *
 * After {@link PacketEngine.close}: handlers are never called again; `start`,
 * `sessions.set` and `sessions.setEndpoint` throw VPCMESH_ERR_TUN_CLOSED; `sealAndSend`
 * and `writeTun` return 0; `sealAndSendOne` and `sendRaw` return false;
 * `sessions.clear` is a no-op; `stats` still read the final values.
 */
import type { TunError } from './errors.js'
import type { GlobalStats, SlotStats } from './stats.js'

/** A UDP endpoint: an IPv4 or IPv6 literal (never v4-mapped) and a port. */
export interface UdpEndpoint {
  address: string
  port: number
}

/** AEAD of data messages. Both ends of a tunnel must use the same one. */
export type CipherName = 'aes-256-gcm' | 'chacha20-poly1305'

/** Options of {@link openPacketEngine}. Validated once; out-of-range values throw VPCMESH_ERR_TUN_INVALID_OPTIONS. */
export interface PacketEngineOptions {
  /** TUN interface name, 1-15 characters (`%d` lets the kernel number it). */
  tunName: string
  /** TUN MTU in bytes: the largest inner IP packet. @default 1420 (1500 underlay - 80) */
  mtu?: number
  /** TUN txqueuelen in packets. The kernel default 500 drops under one TCP stream. @default 1000 */
  txQueueLen?: number
  /** IP literal to bind the UDP socket to; an IPv6 literal (e.g. `::`) gives a dual-stack socket. @default '0.0.0.0' */
  bindHost?: string
  /** UDP port; 0 lets the kernel choose (see `info.udpPort`). @default 0 */
  bindPort?: number
  /**
   * Firewall mark (SO_MARK) put on every tunnel datagram the engine sends, 1..2^31-1, so that
   * policy routing keeps them out of the routes that lead into the TUN. Needs CAP_NET_ADMIN.
   * @default 0 (no mark)
   */
  fwmark?: number
  /** SO_RCVBUF/SO_SNDBUF request in bytes. @default 4194304 */
  socketBufferBytes?: number
  /** Number of session slots, 1..65536; slots are 0..maxSlots-1. @default 1024 */
  maxSlots?: number
  /** Most packets per batch (per JS call), 1..1024. @default 64 */
  batchSize?: number
  /** @default 'aes-256-gcm' (measured faster than ChaCha20-Poly1305 on our VMs) */
  cipher?: CipherName
  /**
   * Kernel offloads: a virtio header and TSO on the TUN, UDP GSO on send, UDP GRO on receive.
   * What changes for handlers: a TUN batch entry or an Ip UDP batch entry may be a TCP
   * super-packet larger than the MTU (one TCP flow, one set of headers; on receive up to 64 KiB
   * coalesced from consecutive in-order segments of one peer). The engine segments super-packets
   * at seal time: every datagram on the wire is still one data message of at most `mtu` inner
   * bytes with its own counter, and the receiver authenticates and replay-checks each datagram
   * before coalescing. A verdict covers all segments of an entry (they share the inner source).
   * When false, the TUN and socket are plain and every entry is one packet of at most the MTU.
   * On by default: about 5x single-stream TCP throughput on our 2-core VMs (as of 2026-11-25, see
   * test/bench/tunnel.bench.ts for the numbers).
   * @default true
   */
  offload?: boolean
  /**
   * Packet worker threads, 0..8 (the cap keeps the counter reordering of parallel sealing
   * inside the replay window, docs/protocol.md). 0: every batch goes through the JS thread (`onTunBatch` fills
   * the slots, `onUdpBatch` the verdicts). N >= 1: N native threads move packets, each with its own
   * TUN queue (IFF_MULTI_QUEUE; the kernel pins a flow to one queue, so a flow is never reordered)
   * and its own UDP socket on the shared port (SO_REUSEPORT). They route and check sources with the
   * table given to {@link PacketEngine.forwarding}; the JS thread sees only what needs a decision
   * (see {@link EngineForwarding}). @default 0
   */
  workers?: number
}

/** What an open engine is, as opened. */
export interface EngineInfo {
  readonly tunName: string
  readonly udpPort: number
  /** 6 for a dual-stack socket (bound to an IPv6 literal), else 4. */
  readonly udpFamily: 4 | 6
  readonly mtu: number
  readonly batchSize: number
  readonly maxSlots: number
  readonly cipher: CipherName
}

/** Kinds of UDP batch entries (`UdpBatch.kinds`). */
export const PacketKind = {
  /** An authenticated IPv4/IPv6 packet; written to the TUN only with an Accept verdict. */
  Ip: 1,
  /** An authenticated zero-length payload. Never written to the TUN. */
  Keepalive: 2,
  /** An authenticated in-tunnel control payload (first byte 0x00). Never written to the TUN. */
  Control: 3,
  /** A datagram that is not a data message (handshake, cookie, ...), untouched, slot -1. */
  Raw: 4,
  /**
   * Forwarding engines only: an authenticated IP packet the engine already delivered (or refused)
   * by itself, reported without its bytes (length 0) because it is the first one on the slot's
   * session or it came from a new source ({@link PacketFlag.NewSource}). Never written to the TUN.
   */
  Notice: 5,
} as const

/** Bits of `UdpBatch.flags`. */
export const PacketFlag = {
  /** Authenticated, but from a source other than the slot's endpoint (or it has none): a roaming candidate. */
  NewSource: 1,
} as const

/** Values of `UdpBatch.verdicts`. */
export const Verdict = { Drop: 0, Accept: 1 } as const

/** Session keys of one slot. Keys are copied by the engine; the caller may wipe its copies. */
export interface SessionKeys {
  /** 32 bytes: seals what we send. */
  sendKey: Uint8Array
  /** 32 bytes: opens what we receive. */
  recvKey: Uint8Array
  /** u32 the peer puts in messages to us (receiver index); unique across slots. */
  localIndex: number
  /** u32 we put in messages to the peer (the peer's localIndex). */
  remoteIndex: number
}

/** Packets read from the TUN. Valid only during the `onTunBatch` call. */
export interface TunBatch {
  /** Number of packets, 1..batchSize. Entries at index >= count are stale. */
  readonly count: number
  /**
   * The engine's TUN buffer; packet i is `buffer.subarray(offsets[i], offsets[i] + lengths[i])`.
   * May be modified in place (within the packet) before sealing.
   */
  readonly buffer: Uint8Array
  readonly offsets: Int32Array
  /** Bytes of each IP packet; with `offload` a TCP super-packet may exceed the MTU (up to 65535). */
  readonly lengths: Int32Array
  /** Written by the handler: the slot to seal packet i to, or -1 to drop it. Pre-filled with -1. */
  readonly slots: Int32Array
}

/** Datagrams received and, for data messages, authenticated and decrypted. Valid only during `onUdpBatch`. */
export interface UdpBatch {
  /** Number of entries, 1..batchSize. Datagrams dropped natively (counted) are not listed. */
  readonly count: number
  /** The engine's UDP buffer; entry i is `buffer.subarray(offsets[i], offsets[i] + lengths[i])`: the plaintext for data kinds, the whole datagram for Raw. */
  readonly buffer: Uint8Array
  readonly offsets: Int32Array
  /** Bytes of each entry; with `offload` an Ip entry may be a coalesced TCP super-packet larger than the MTU. */
  readonly lengths: Int32Array
  /** {@link PacketKind} of each entry. */
  readonly kinds: Uint8Array
  /** Slot that authenticated each entry; -1 for Raw. */
  readonly slots: Int32Array
  /** {@link PacketFlag} bits of each entry. */
  readonly flags: Uint8Array
  /** Written by the handler: {@link Verdict} of each Ip entry. Pre-filled with Drop. */
  readonly verdicts: Uint8Array
  /** The source of entry i (allocates: meant for Raw entries and NewSource flags). */
  source(i: number): UdpEndpoint
}

/** Callbacks of a started engine, all on the JS thread. A throwing handler becomes an uncaught exception. */
export interface PacketHandlers {
  /** A TUN batch. To send, call `engine.sealAndSend(count)` before returning; otherwise the batch is dropped (counted as unrouted). */
  onTunBatch(batch: TunBatch): void
  /** A UDP batch. To deliver Ip entries, call `engine.writeTun(count)` before returning; otherwise they count as rejected. */
  onUdpBatch(batch: UdpBatch): void
  /** An asynchronous failure (VPCMESH_ERR_TUN_DEVICE_GONE, VPCMESH_ERR_TUN_POLL_FAILED). The engine stays open; the owner decides. */
  onError(err: TunError): void
  /**
   * Forwarding engines only: TUN traffic was routed to `peer` (a peer index of the forwarding
   * table) while the peer has no send slot; those packets were dropped (`tunDropNoSession`).
   * Called at most once per peer per second while that lasts.
   */
  onDemand?(peer: number): void
}

/** One route of a forwarding table: `address` (4 or 16 bytes) with `bits` prefix bits goes to `peer`. */
export interface ForwardingRoute {
  address: Uint8Array
  bits: number
  peer: number
}

/**
 * Routing and anti-spoofing done inside the engine (engines with `workers` >= 1). TypeScript
 * still decides everything; it uploads the decisions as tables. Peers are small integers
 * 0..maxSlots-1 chosen by the caller.
 *
 * - TUN packet: not IPv4/IPv6 or too short: dropped (`tunDropMalformed`). Destination matched
 *   (longest prefix) against the routes: no match: dropped (`tunDropNoRoute`). The peer's send
 *   slot -1: dropped (`tunDropNoSession`) and `onDemand(peer)`. Otherwise sealed to that slot.
 * - Authenticated IP packet on slot s: accepted (written to the TUN) only when its source
 *   address routes to the peer owning s, or to a peer of the same group (gateways of one VPC);
 *   otherwise dropped (slot counter `rxDropRejected`). The first IP packet of each installed
 *   session, and the first from a new source after each `setEndpoint`, is also reported to
 *   `onUdpBatch` as a {@link PacketKind.Notice} entry. Raw, keepalive and control entries reach
 *   `onUdpBatch` as before; in that batch `writeTun` writes nothing.
 * - `onTunBatch` is never called.
 * All calls are cheap and take effect for the next packet each worker handles.
 */
export interface EngineForwarding {
  /** Replaces the whole route table atomically. Throws VPCMESH_ERR_TUN_INVALID_ARGUMENT (nothing changed) for a bad route. */
  setRoutes(routes: readonly ForwardingRoute[]): void
  /**
   * The slot that packets routed to `peer` are sealed with (-1: none), and the peer's group
   * (u32; 0 = none: only the peer itself may send from its prefixes).
   */
  setPeer(peer: number, sendSlot: number, group: number): void
  /** The peer whose traffic `slot` authenticates (-1: none; its IP packets are all rejected). */
  setSlotPeer(slot: number, peer: number): void
  /** Per worker: packets read from its TUN queue and datagrams received on its socket (balance checks, tests). */
  workerStats(): Array<{ tunPackets: number; udpDatagrams: number }>
}

/** The session table: slots 0..maxSlots-1, owned and assigned by the caller. */
export interface EngineSessions {
  /**
   * Installs keys in `slot`, replacing any session there (its endpoint is kept). Send counter
   * and replay window restart at 0. Throws VPCMESH_ERR_TUN_INDEX_IN_USE if another slot has
   * `localIndex`.
   */
  set(slot: number, keys: SessionKeys): void
  /** Where the slot's messages go. IPv4 works on either socket family; IPv6 needs a dual-stack engine. */
  setEndpoint(slot: number, endpoint: UdpEndpoint): void
  /** Removes session and endpoint; the slot's counters stay. No-op for an empty slot or after close. */
  clear(slot: number): void
}

/** Counter readers. Cheap: no syscalls, one small object per call. */
export interface EngineStats {
  /** Counters of `slot` (see {@link SlotStats}). */
  slot(slot: number): SlotStats
  /** Engine-wide counters (see {@link GlobalStats}). */
  global(): GlobalStats
}

/** A packet engine. See the module comment for the data flow, buffer ownership and close contract. */
export interface PacketEngine {
  readonly info: EngineInfo
  readonly sessions: EngineSessions
  readonly stats: EngineStats
  /** Present when the engine routes and checks sources itself (`workers` >= 1). */
  readonly forwarding?: EngineForwarding
  /** Starts polling and calling `handlers`. Once only (VPCMESH_ERR_TUN_ALREADY_STARTED). Before start, packets wait in kernel buffers. */
  start(handlers: PacketHandlers): void
  /**
   * Seals TUN batch packets [0, count) (default: all) to their `slots` and sends them in one
   * sendmmsg (with `offload`: a super-packet as one data message per MTU-sized segment, runs
   * of datagrams per UDP GSO send). Returns how many datagrams the kernel took. Drops are counted, never thrown. Only inside
   * `onTunBatch`, once per batch (else VPCMESH_ERR_TUN_NO_BATCH). Packets >= count are dropped.
   * Afterwards the batch's packet bytes are undefined: a super-packet's segments are assembled
   * in its buffer while sealing.
   */
  sealAndSend(count?: number): number
  /** Seals and sends one JS-made payload to `slot` (empty = keepalive, first byte 0x00 = control). True if the kernel took it. Any time. */
  sealAndSendOne(slot: number, payload: Uint8Array): boolean
  /** Writes the Ip entries [0, count) (default: all) whose verdict is Accept to the TUN. Returns packets written. Only inside `onUdpBatch`, once per batch. */
  writeTun(count?: number): number
  /** Sends `datagram` unchanged (handshake messages). True if the kernel took it. Any time. */
  sendRaw(datagram: Uint8Array, to: UdpEndpoint): boolean
  /** Closes the TUN (the device disappears), the socket and the poll handles. Idempotent; safe inside handlers. */
  close(): void
}
