export { CidrError, CIDR_ERROR_CODES, type CidrErrorCode, isCidrError } from './errors.js'
export {
  type IpFamily,
  IPV4_BYTES,
  IPV6_BYTES,
  familyBytes,
  familyOf,
  detectFamily,
  parseAddress,
  parseAddressOf,
  formatAddress,
} from './address.js'
export { type Prefix, type PrefixOptions, parsePrefix, prefixFrom, comparePrefixes } from './prefix.js'
export { RouteTable, type RouteEntry } from './table.js'
export { findOverlaps, type Overlap, type OwnedPrefix } from './overlap.js'
export { SPECIAL_RANGES, type SpecialRange, specialRangeProblem } from './special.js'
export { allocatePrefix, mapAddress } from './allocate.js'
