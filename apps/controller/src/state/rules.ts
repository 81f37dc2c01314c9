import type { Prefix } from '@vpcmesh/cidr'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiError } from '../errors.js'

/** An already-registered prefix and the VPC that owns it. */
export interface OwnedPrefix {
  prefix: Prefix
  ownerId: string
}

/**
 * Refuses prefixes that overlap each other or any registered prefix (VPC CIDRs and routes of
 * every VPC, the VPC itself included). `nameOf` names the owner in the message so the operator
 * sees both sides. Pure; throws ApiError VPCMESH_ERR_CIDR_OVERLAP.
 */
export function assertNoOverlap (candidates: Prefix[], existing: OwnedPrefix[], nameOf: (id: string) => string): void {
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Prefix
    for (let j = 0; j < i; j++) {
      const d = candidates[j] as Prefix
      if (c.overlaps(d)) {
        throw new ApiError(WireErrorCode.cidrOverlap, `${c.toString()} overlaps ${d.toString()} in the same request; give each network once`)
      }
    }
    for (const e of existing) {
      if (c.overlaps(e.prefix)) {
        throw new ApiError(WireErrorCode.cidrOverlap,
          `${c.toString()} overlaps ${e.prefix.toString()} of VPC "${nameOf(e.ownerId)}" (${e.ownerId}); registered networks must not overlap`)
      }
    }
  }
}

/** Sorted canonical texts of prefixes. */
export function prefixTexts (prefixes: Prefix[]): string[] {
  return [...prefixes].sort((a, b) => a.compare(b)).map((p) => p.toString())
}
