import { z } from 'zod'
import { parseEndpoint } from './endpoint.js'

/**
 * A `host:port` setting (a listen address, a status address) as {@link parseEndpoint} accepts
 * it: IPv4, a DNS name or `[IPv6]`, port 1-65535. The value stays the text; the issue is
 * parseEndpoint's explanation.
 */
export const HostPort = z.string().superRefine((text, ctx) => {
  const e = parseEndpoint(text)
  if (typeof e === 'string') ctx.addIssue({ code: 'custom', message: e })
})
