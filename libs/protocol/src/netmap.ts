import { z } from 'zod'
import { CidrText, PublicKey, VpcId, VpcName } from './names.js'

/**
 * What an agent needs to know about one network of the mesh (itself or a peer): identity,
 * the prefixes behind it (its CIDRs plus extra routes), where its agent listens, its key.
 */
export const MeshNode = z.object({
  id: VpcId,
  name: VpcName,
  /** The VPC's own CIDRs, canonical text. */
  cidrs: z.array(CidrText),
  /** Extra prefixes behind this VPC (pod/service CIDRs), canonical text. */
  routes: z.array(CidrText),
  /** Underlay endpoint `host:port` of the agent's UDP port. */
  endpoint: z.string(),
  /** Agent's X25519 public key; null until the agent has enrolled. */
  publicKey: PublicKey.nullable(),
  /** Whether traffic from the mesh into this VPC is source-NATed to the agent's address. */
  masquerade: z.boolean(),
})
export type MeshNode = z.infer<typeof MeshNode>

/** A full peer map for one agent at one mesh version. */
export const NetMap = z.object({
  version: z.number().int().min(0),
  /** Store epoch the version belongs to (see Welcome.epoch). */
  epoch: z.string().optional(),
  self: MeshNode,
  peers: z.array(MeshNode),
})
export type NetMap = z.infer<typeof NetMap>
