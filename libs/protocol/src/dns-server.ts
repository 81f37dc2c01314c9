/** A dotted-quad IPv4 address. */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
/** The shape of an IPv6 address (hex groups and colons, at most one `::`); checked fully where used. */
const IPV6 = /^(?=.*:)(?!.*::.*::)[0-9a-fA-F:]{2,39}$/

/**
 * A DNS server of a zone (`DnsZoneSetting.server`): an IP literal with an optional port,
 * `10.96.0.10`, `10.96.0.10:5353`, `fd00::53` or `[fd00::53]:5353`; port 53 when absent.
 * Returns the address and port, or a sentence saying what is wrong. Pure.
 */
export function parseDnsServer(text: string): { address: string; port: number } | string {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text)
  const v4 = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(text)
  const m = bracket ?? (IPV6.test(text) ? [text, text, undefined] : v4)
  const address = m?.[1]
  const ok = address !== undefined && (bracket !== null || IPV6.test(text) ? IPV6.test(address) : IPV4.test(address))
  if (!ok)
    return `server ${JSON.stringify(text)} must be an IP address with an optional port, e.g. 10.96.0.10 or [fd00::53]:5353`
  const port = m?.[2] === undefined ? 53 : Number(m[2])
  if (port < 1 || port > 65535) return `server ${JSON.stringify(text)}: port must be 1-65535`
  return { address, port }
}
