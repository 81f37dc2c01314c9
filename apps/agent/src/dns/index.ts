export { DnsForwarder, type DnsForwarderComponents } from './forwarder.js'
export {
  type AnswerMapping,
  DNS_DEFAULTS,
  type DnsEndpoint,
  type DnsForwarderConfig,
  type DnsForwarderConfigInput,
  type DnsZone,
  parseDnsForwarderConfig,
} from './config.js'
export { DNS_ERROR_CODES, type DnsErrorCode, DnsError, isDnsError } from './errors.js'
export { DNS_DROP_REASONS, DNS_RESULTS, type DnsDropReason, type DnsResult } from './dns-metrics.js'
