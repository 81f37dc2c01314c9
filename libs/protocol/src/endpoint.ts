/** An endpoint split into host and port. IPv6 hosts are returned without brackets. */
export interface Endpoint {
  host: string
  port: number
}

const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6_CHARS = /^[0-9A-Fa-f:.]+$/

/**
 * Parses an underlay endpoint `host:port`: an IPv4 address, a DNS name, or `[IPv6]`, and a
 * port 1-65535. Returns the parts, or a string saying what is wrong (never throws).
 */
export function parseEndpoint(text: string): Endpoint | string {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text)
  if (m === null) return `endpoint "${text}" must be host:port, e.g. 203.0.113.10:51820 or [2001:db8::1]:51820`
  const port = Number(m[3])
  if (port < 1 || port > 65535) return `endpoint "${text}" has port ${port}; use 1-65535`
  const v6 = m[1]
  if (v6 !== undefined) {
    if (!IPV6_CHARS.test(v6) || !v6.includes(':')) return `endpoint "${text}" has an invalid IPv6 address in brackets`
    return { host: v6, port }
  }
  const host = m[2] ?? ''
  if (/^[\d.]+$/.test(host) ? !IPV4.test(host) : !HOST_NAME.test(host)) {
    return `endpoint "${text}" has an invalid host; use an IPv4 address, a DNS name or [IPv6]`
  }
  return { host, port }
}

/** Formats host and port back to `host:port`, bracketing IPv6. */
export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`
}
