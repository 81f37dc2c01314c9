/**
 * A small reader of the classic pcap files `tcpdump -w` writes, for tests that look at what
 * crossed a link. Offsets: global header 24 bytes, record header 16, Ethernet 14 (RFC 894),
 * IPv4 header IHL*4 (RFC 791), UDP header 8 (RFC 768).
 */

/** Link-layer payloads (frames) of a classic pcap file, either byte order, and its link type. */
export function pcapFrames(pcap: Buffer): { linkType: number; frames: Buffer[] } {
  if (pcap.length < 24) throw new Error(`pcap too short (${pcap.length} bytes)`)
  const le = pcap.readUInt32LE(0) === 0xa1b2c3d4
  const u32 = (o: number): number => (le ? pcap.readUInt32LE(o) : pcap.readUInt32BE(o))
  const frames: Buffer[] = []
  for (let o = 24; o + 16 <= pcap.length; ) {
    const len = u32(o + 8)
    frames.push(pcap.subarray(o + 16, o + 16 + len))
    o += 16 + len
  }
  return { linkType: u32(20), frames }
}

/** UDP payloads of the IPv4 Ethernet frames among `frames` (veth and bridge captures), in order. */
export function udpPayloads(frames: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = []
  for (const f of frames) {
    if (f.length < 14 + 28 || f.readUInt16BE(12) !== 0x0800) continue
    const ip = f.subarray(14)
    if (ip[9] !== 17) continue
    const udp = ((ip[0] ?? 0) & 0x0f) * 4
    out.push(ip.subarray(udp + 8, udp + ip.readUInt16BE(udp + 4)))
  }
  return out
}

/** The UDP payload of the first IPv4 UDP packet of a pcap file; throws when there is none. */
export function firstUdpPayload(pcap: Buffer): Buffer {
  const first = udpPayloads(pcapFrames(pcap).frames)[0]
  if (first === undefined) throw new Error(`no IPv4 UDP packet in the pcap (${pcap.length} bytes)`)
  return first
}
