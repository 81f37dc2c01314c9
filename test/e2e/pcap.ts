/**
 * Extracts the UDP payload of the first IPv4 packet in a classic pcap file written by
 * `tcpdump -w` on an Ethernet link (veth, bridge). Offsets: pcap global header 24 bytes,
 * record header 16, Ethernet 14 (RFC 894), IPv4 header IHL*4 (RFC 791), UDP header 8 (RFC 768).
 */
export function firstUdpPayload(pcap: Buffer): Buffer {
  const frame = 24 + 16
  const ip = frame + 14
  if (pcap.length < ip + 28) throw new Error(`pcap too short (${pcap.length} bytes)`)
  const ihl = ((pcap[ip] as number) & 0x0f) * 4
  const udp = ip + ihl
  const len = pcap.readUInt16BE(udp + 4)
  return pcap.subarray(udp + 8, udp + len)
}
