// TCP offload helpers for a TUN opened with IFF_VNET_HDR: completing partial checksums
// and segmenting TSO super-packets read from the TUN (before sealing), and coalescing
// in-order TCP segments into one super-packet written to the TUN (after opening).
// Pure functions over byte buffers: no engine state, no syscalls (tests drive them
// through the addon's test hooks).
#pragma once

#include <cstddef>
#include <cstdint>

namespace vpcmesh {

// --- virtio_net_hdr (include/uapi/linux/virtio_net.h, virtio spec 1.x §5.1.6) ----------
// 10 bytes in front of every TUN read and write: flags u8, gso_type u8, then hdr_len,
// gso_size, csum_start, csum_offset as u16 in host order (legacy virtio, which a TUN
// without TUNSETVNETLE/BE uses). Mirrored here: the UAPI header does not compile as C++.
constexpr size_t kVnetHdrLen = 10;
constexpr uint8_t kVnetNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVnetGsoNone = 0;    // VIRTIO_NET_HDR_GSO_NONE
constexpr uint8_t kVnetGsoTcpV4 = 1;   // VIRTIO_NET_HDR_GSO_TCPV4
constexpr uint8_t kVnetGsoTcpV6 = 4;   // VIRTIO_NET_HDR_GSO_TCPV6
constexpr uint8_t kVnetGsoEcn = 0x80;  // VIRTIO_NET_HDR_GSO_ECN (flag bit)

struct VnetHeader {
  uint8_t flags = 0;     // VIRTIO_NET_HDR_F_*
  uint8_t gsoType = 0;   // VIRTIO_NET_HDR_GSO_* (| kVnetGsoEcn)
  uint16_t hdrLen = 0;   // IP + TCP header bytes
  uint16_t gsoSize = 0;  // payload bytes per segment
  uint16_t csumStart = 0;
  uint16_t csumOffset = 0;
};

VnetHeader LoadVnetHeader(const uint8_t* p);
void StoreVnetHeader(uint8_t* p, const VnetHeader& h);

// --- IPv4 header, RFC 791 §3.1 ------------------------------------------------------------
constexpr size_t kIpv4MinHeader = 20;
constexpr size_t kIpv4OffTotalLength = 2;
constexpr size_t kIpv4OffId = 4;
constexpr size_t kIpv4OffFlagsFragment = 6;  // 3 flag bits + 13-bit fragment offset
constexpr size_t kIpv4OffProtocol = 9;
constexpr size_t kIpv4OffChecksum = 10;
constexpr size_t kIpv4OffSource = 12;  // then the destination at 16
constexpr uint16_t kIpv4MoreFragments = 0x2000;
constexpr uint16_t kIpv4FragmentOffsetMask = 0x1fff;
// --- IPv6 header, RFC 8200 §3 ---------------------------------------------------------------
constexpr size_t kIpv6Header = 40;
constexpr size_t kIpv6OffPayloadLength = 4;
constexpr size_t kIpv6OffNextHeader = 6;
constexpr size_t kIpv6OffSource = 8;  // then the destination at 24
// --- TCP header, RFC 9293 §3.1 --------------------------------------------------------------
constexpr size_t kTcpMinHeader = 20;
constexpr size_t kTcpOffSequence = 4;
constexpr size_t kTcpOffAck = 8;
constexpr size_t kTcpOffDataOffset = 12;  // high nibble: header length in 32-bit words
constexpr size_t kTcpOffFlags = 13;
constexpr size_t kTcpOffChecksum = 16;
constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10, kTcpUrg = 0x20, kTcpEce = 0x40,
                  kTcpCwr = 0x80;  // CWR/ECE: RFC 3168
// The largest IP packet (total length is 16 bits; no jumbograms).
constexpr size_t kMaxIpPacket = 65535;

// Where the headers of a TCP/IP packet end. Only unfragmented IPv4 (options allowed) and
// IPv6 whose next header is TCP (no extension headers).
struct TcpPacket {
  int version = 0;    // 4 or 6
  size_t ipLen = 0;   // IP header bytes = offset of the TCP header
  size_t hdrLen = 0;  // IP + TCP header bytes = offset of the payload
};

// False unless `p` holds an IPv4/IPv6 + TCP header as above within `len` bytes.
bool ParseTcpPacket(const uint8_t* p, size_t len, TcpPacket* out);

// Completes a kVnetNeedsCsum checksum: sums [start, len) (the field holds
// the pseudo-header sum) and stores the result at start + offset. False if out of bounds.
bool CompleteChecksum(uint8_t* p, size_t len, size_t start, size_t offset);

// Prepares a packet just read from the TUN: completes a partial checksum of a non-GSO
// packet (then clears NEEDS_CSUM in *h), accepts TCPV4/TCPV6 GSO (segmented at seal
// time). False for anything else (unknown GSO types, bad checksum offsets).
bool PrepareTunPacket(uint8_t* p, size_t len, VnetHeader* h);

// Results of SegmentTcp below zero.
constexpr int kSegmentMalformed = -1;  // not TCP/IP matching the GSO type, bad gso_size
constexpr int kSegmentTooBig = -2;     // headers + gso_size exceed the MTU
constexpr int kSegmentTooMany = -3;    // more than maxSegments segments

// Splits a TSO super-packet `pkt` (GSO header `h`) into segments of at most `mtu` bytes:
// segment k is written at out + k*stride (its length in lens[k]) with IPv4 total
// length, ID (+k) and header checksum, or the IPv6 payload length; TCP sequence number
// (+k*gso_size), flags (FIN and PSH only on the last, CWR only on the first) and a full
// TCP checksum. Returns the number of segments, or a kSegment* error.
int SegmentTcp(const uint8_t* pkt, size_t len, const VnetHeader& h, size_t mtu, uint8_t* out,
               size_t stride, size_t maxSegments, uint32_t* lens);

// SegmentTcp without the payload copy: writes only segment k's headers (*hdrLen bytes) at
// out + k*stride, their checksums computed over the payload where it is, in `pkt`. Segment
// k's payload is pkt + *hdrLen + k*h.gsoSize, lens[k] - *hdrLen bytes (the sealer encrypts it
// from there into the segment, after its headers). Same results as SegmentTcp.
int SegmentTcpHeaders(const uint8_t* pkt, size_t len, const VnetHeader& h, size_t mtu,
                      uint8_t* out, size_t stride, size_t maxSegments, uint32_t* lens,
                      size_t* hdrLen);

// Coalesces consecutive in-order segments of one TCP flow into a super-packet in place
// (the GRO of RFC-less practice, as the kernel's tcp_gro_receive does it):
//
//   closed ──Start(candidate)──▶ open ──Append(next segment)──▶ open ... ──Finish──▶ closed
//
// A candidate carries payload, a valid TCP checksum, no SYN/FIN/RST/URG/CWR and no PSH.
// A segment is appended when it has the same IP header (except length, ID and checksum;
// IPv4 IDs must count up by one), the same ports, ACK, flags and TCP options, continues
// the sequence, has a valid checksum and a payload of exactly the first segment's size
// (or less, or PSH: then it is the last). Refused segments leave the group untouched.
class TcpCoalescer {
 public:
  // Opens a group at `pkt` (`len` bytes of IP packet, `room` writable bytes from pkt).
  // False (and stays closed) if the packet is no candidate.
  bool Start(uint8_t* pkt, size_t len, size_t room);
  // Moves the payload of `seg` to the end of the group if it continues it. `seg` may lie
  // inside the group's room, after its current end.
  bool Append(const uint8_t* seg, size_t len);
  // Writes the final headers: for 2+ segments the IP length (and IPv4 checksum), PSH of
  // the last segment, the TCP pseudo-header sum and a TCPV4/TCPV6 GSO header with
  // NEEDS_CSUM; for one segment the packet stays as it was and *h is all zero. Closes
  // the group; returns the packet's length.
  size_t Finish(VnetHeader* h);
  bool open() const { return head_ != nullptr; }
  size_t segments() const { return count_; }

 private:
  bool Continues(const uint8_t* seg, size_t len, const TcpPacket& t) const;
  uint8_t* head_ = nullptr;
  size_t len_ = 0;
  size_t room_ = 0;
  size_t count_ = 0;
  TcpPacket t_;
  size_t gsoSize_ = 0;
  uint32_t nextSeq_ = 0;
  bool last_ = false;  // the last appended segment ended the group (short or PSH)
  bool psh_ = false;
};

}  // namespace vpcmesh
