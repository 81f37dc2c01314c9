import { z } from 'zod'

/**
 * A VPC name: 1-32 characters, lowercase letters, digits and inner hyphens (a DNS label,
 * shorter). Names appear in metric labels and CLI tables, so they are short and plain.
 */
export const VpcName = z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/, {
  message: 'must be 1-32 characters of a-z, 0-9 and inner hyphens (e.g. "aws-prod-1")',
})

/** A VPC id as issued by the controller: `vpc_` followed by 12 lowercase hex digits. */
export const VpcId = z.string().regex(/^vpc_[0-9a-f]{12}$/, { message: 'must be a VPC id like vpc_0123456789ab' })

/**
 * A CIDR prefix in text form. The schema only bounds the text; the controller parses it with
 * @vpcmesh/cidr and answers VPCMESH_ERR_CIDR_INVALID / VPCMESH_ERR_CIDR_HOST_BITS.
 */
export const CidrText = z.string().min(2).max(49)

/** An X25519 public key: 32 bytes in standard base64 (44 characters). */
export const PublicKey = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be 32 bytes of base64' })

/** A gateway id as issued by the controller at enrolment: `gw_` followed by 12 lowercase hex digits. */
export const GatewayId = z.string().regex(/^gw_[0-9a-f]{12}$/, { message: 'must be a gateway id like gw_0123456789ab' })

/** A gateway's name (the agent host's short name by default): same rules as a VPC name. */
export const GatewayName = VpcName

/** A mesh version: 0 means "nothing yet"; every change increments it by one. */
export const MeshVersion = z.number().int().min(0)
