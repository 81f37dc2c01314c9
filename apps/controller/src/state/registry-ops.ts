import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { parsePrefix, type Prefix } from '@vpcmesh/cidr'
import { MAX_PREFIXES_PER_VPC, WireErrorCode } from '@vpcmesh/protocol'
import { ApiError, vpcNotFound } from '../errors.js'
import type { RedisKeys } from './redis-keys.js'
import type { NewVpc, VpcPatch, VpcRecord } from './store.js'
import { type TxDecision, type TxView, type Write, unchanged } from './redis-tx.js'
import {
  type OwnedEndpoint,
  type OwnedPrefix,
  assertClearOfEndpoints,
  assertEndpointUsable,
  assertNoOverlap,
  canonicalEndpoint,
  prefixTexts,
} from './rules.js'
import { claimKey, moveKey } from './key-index.js'

/** Registered endpoints, and whether they had to be read from the VPC records (index missing). */
interface EndpointIndex {
  list: OwnedEndpoint[]
  rebuilt: boolean
}

/**
 * The registry's write operations, one method each, run by VersionedTx (redis-tx.ts). Each
 * reads what it needs on the WATCHed connection, validates with the rules (rules.ts), and
 * returns its decision: the writes, the value the caller gets, and the change-log entry.
 * Nothing is written before the commit, and a conflicting commit elsewhere runs it again.
 */
export class RegistryOps {
  constructor(
    private readonly keys: RedisKeys,
    private readonly now: () => number,
  ) {}

  /** Creates a VPC with its first join token. */
  async addVpc(tx: TxView, input: NewVpc, joinHash: string, ttlS: number): Promise<TxDecision<VpcRecord>> {
    const names = await tx.conn.hgetall(this.keys.names)
    if (names[input.name] !== undefined) throw nameTaken(input.name, names[input.name] as string)
    const owned = await this.owned(tx.conn)
    const id = `vpc_${randomBytes(6).toString('hex')}`
    const nameOf = nameResolver({ ...names, [input.name]: id })
    assertNoOverlap(input.cidrs, owned, nameOf)
    const eps = await this.endpoints(tx.conn)
    const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(input.endpoint) }
    assertClearOfEndpoints(input.cidrs, [...eps.list, mine], nameOf)
    assertEndpointUsable(mine, eps.list, owned, nameOf)
    const t = this.now()
    const rec: VpcRecord = {
      id,
      name: input.name,
      cidrs: prefixTexts(input.cidrs),
      routes: [],
      endpoint: input.endpoint,
      masquerade: input.masquerade,
      publicKey: null,
      createdAt: t,
      updatedAt: t,
      version: tx.version,
    }
    return this.upsert(tx, rec, [
      ['sadd', this.keys.vpcs, id],
      ['hset', this.keys.names, input.name, id],
      ...rec.cidrs.map((c): Write => ['hset', this.keys.prefixes, c, id]),
      ...this.indexEndpoints(eps, mine),
      ['set', this.keys.join(joinHash), id, 'EX', ttlS],
      ['set', this.keys.vpcJoin(id), joinHash, 'EX', ttlS],
    ])
  }

  /** Applies a PATCH; unchanged (no version bump) when nothing differs. */
  async updateVpc(tx: TxView, id: string, patch: VpcPatch): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    const rec: VpcRecord = {
      ...old,
      ...definedOf(patch),
      cidrs: patch.cidrs === undefined ? old.cidrs : prefixTexts(patch.cidrs),
    }
    if (sameVpc(old, rec)) return unchanged(old)
    const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(rec.endpoint) }
    const eps = await this.checkUpdate(tx.conn, old, rec, mine, patch.cidrs)
    const writes: Write[] = []
    if (rec.name !== old.name) writes.push(['hdel', this.keys.names, old.name], ['hset', this.keys.names, rec.name, id])
    if (rec.endpoint !== old.endpoint)
      writes.push(['hdel', this.keys.endpoints, canonicalEndpoint(old.endpoint).endpoint])
    writes.push(...this.indexEndpoints(eps, mine))
    if (patch.cidrs !== undefined) {
      writes.push(...old.cidrs.map((c): Write => ['hdel', this.keys.prefixes, c]))
      writes.push(...rec.cidrs.map((c): Write => ['hset', this.keys.prefixes, c, id]))
    }
    return this.upsert(tx, rec, writes)
  }

  /**
   * Validates VPC `old` becoming `rec` (endpoint `mine`; `cidrs` when the PATCH replaces
   * them): name free, no overlap, endpoints clear and usable. Returns the endpoint index read.
   */
  private async checkUpdate(
    conn: Redis,
    old: VpcRecord,
    rec: VpcRecord,
    mine: OwnedEndpoint,
    cidrs: Prefix[] | undefined,
  ): Promise<EndpointIndex> {
    const names = await conn.hgetall(this.keys.names)
    const holder = names[rec.name]
    if (holder !== undefined && holder !== old.id) throw nameTaken(rec.name, holder)
    const owned = (await this.owned(conn)).filter(
      (o) => !(o.ownerId === old.id && cidrs !== undefined && old.cidrs.includes(o.prefix.toString())),
    )
    const nameOf = nameResolver(names)
    if (cidrs !== undefined) assertNoOverlap(cidrs, owned, nameOf)
    const eps = await this.endpoints(conn)
    const others = eps.list.filter((e) => e.ownerId !== old.id)
    if (cidrs !== undefined) assertClearOfEndpoints(cidrs, [...others, mine], nameOf)
    const mineAfter = (cidrs ?? []).map((prefix) => ({ prefix, ownerId: old.id }))
    if (rec.endpoint !== old.endpoint) assertEndpointUsable(mine, others, [...owned, ...mineAfter], nameOf)
    return eps
  }

  /** Deletes a VPC and everything keyed by it; the value is the VPC as it was. */
  async removeVpc(tx: TxView, id: string): Promise<TxDecision<VpcRecord>> {
    // issueJoinToken changes vpcjoin:{id} without bumping the version: watching it makes a
    // token issued meanwhile abort this EXEC, and the retry deletes the new token too.
    await tx.conn.watch(this.keys.vpcJoin(id))
    const old = await this.load(tx.conn, id)
    const joinHash = await tx.conn.get(this.keys.vpcJoin(id))
    const k = this.keys
    const writes: Write[] = [
      ['del', k.vpc(id), k.credential(id), k.agent(id), k.vpcJoin(id)],
      ...(joinHash === null ? [] : [['del', k.join(joinHash)] as Write]),
      ['srem', k.vpcs, id],
      ['hdel', k.names, old.name],
      ['hdel', k.endpoints, canonicalEndpoint(old.endpoint).endpoint],
      ...[...old.cidrs, ...old.routes].map((c): Write => ['hdel', k.prefixes, c]),
      ...moveKey(k, old.publicKey, null, id),
    ]
    return { value: old, writes, change: { id, kind: 'remove' } }
  }

  /** Adds an extra prefix behind a VPC; an existing identical route is unchanged. */
  async addRoute(tx: TxView, id: string, route: Prefix): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    const text = route.toString()
    if (old.routes.includes(text)) return unchanged(old)
    if (old.cidrs.length + old.routes.length >= MAX_PREFIXES_PER_VPC) {
      throw new ApiError(
        WireErrorCode.validation,
        `VPC "${old.name}" already has ${MAX_PREFIXES_PER_VPC} prefixes (CIDRs and routes); remove one or aggregate them`,
      )
    }
    const nameOf = nameResolver(await tx.conn.hgetall(this.keys.names))
    assertNoOverlap([route], await this.owned(tx.conn), nameOf)
    assertClearOfEndpoints([route], (await this.endpoints(tx.conn)).list, nameOf)
    const routes = prefixTexts([...old.routes.map((r) => parsePrefix(r)), route])
    return this.upsert(tx, { ...old, routes }, [['hset', this.keys.prefixes, text, id]])
  }

  /** Removes an extra prefix; ROUTE_NOT_FOUND when the VPC does not have it. */
  async removeRoute(tx: TxView, id: string, route: Prefix): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    const text = route.toString()
    if (!old.routes.includes(text)) {
      throw new ApiError(
        WireErrorCode.routeNotFound,
        `VPC "${old.name}" has no route ${text}; its routes are: ${old.routes.join(', ') || 'none'}`,
      )
    }
    const routes = old.routes.filter((r) => r !== text)
    return this.upsert(tx, { ...old, routes }, [['hdel', this.keys.prefixes, text]])
  }

  /**
   * Replaces the VPC's join token: the commit deletes the previous token's key, so however
   * many issues race, on any replicas, exactly one token stays valid (each watches
   * vpcjoin:{id}, which the others' commits change). No version bump: no agent's map changes.
   * VPC_NOT_FOUND for an unknown VPC (a delete bumps the version, which aborts a racing issue).
   */
  async issueJoinToken(tx: TxView, id: string, joinHash: string, ttlS: number): Promise<TxDecision<void>> {
    await tx.conn.watch(this.keys.vpcJoin(id))
    if ((await tx.conn.exists(this.keys.vpc(id))) === 0) throw vpcNotFound(id)
    const previous = await tx.conn.get(this.keys.vpcJoin(id))
    const writes: Write[] = [
      ...(previous === null ? [] : [['del', this.keys.join(previous)] as Write]),
      ['set', this.keys.join(joinHash), id, 'EX', ttlS],
      ['set', this.keys.vpcJoin(id), joinHash, 'EX', ttlS],
    ]
    return { value: undefined, writes }
  }

  /**
   * Enrolment: consumes the join token and records the agent's key and credential hash. The
   * value is the VPC, or undefined (nothing written) for an unknown, expired or used token.
   */
  async enroll(
    tx: TxView,
    joinHash: string,
    publicKey: string,
    credentialHash: string,
  ): Promise<TxDecision<VpcRecord | undefined>> {
    await tx.conn.watch(this.keys.join(joinHash))
    const id = await tx.conn.get(this.keys.join(joinHash))
    const raw = id === null ? null : await tx.conn.get(this.keys.vpc(id))
    if (id === null || raw === null) return unchanged(undefined)
    const old = JSON.parse(raw) as VpcRecord
    const keyWrites = await claimKey(tx.conn, this.keys, id, publicKey, old.publicKey)
    return this.upsert(tx, { ...old, publicKey }, [
      ['del', this.keys.join(joinHash), this.keys.vpcJoin(id)],
      ['set', this.keys.credential(id), credentialHash],
      ...keyWrites,
    ])
  }

  /** Records a new public key of an authenticated agent; unchanged when it is the same key. */
  async setPublicKey(tx: TxView, id: string, publicKey: string): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    if (old.publicKey === publicKey) return unchanged(old)
    const keyWrites = await claimKey(tx.conn, this.keys, id, publicKey, old.publicKey)
    return this.upsert(tx, { ...old, publicKey }, keyWrites)
  }

  /**
   * The decision that stores `rec`, stamped with the commit's version and time, together with
   * `writes` (the indexes that change with it) and one upsert change.
   */
  private upsert(tx: TxView, rec: VpcRecord, writes: Write[]): TxDecision<VpcRecord> {
    const value: VpcRecord = { ...rec, updatedAt: this.now(), version: tx.version }
    return {
      value,
      writes: [['set', this.keys.vpc(rec.id), JSON.stringify(value)], ...writes],
      change: { id: rec.id, kind: 'upsert' },
    }
  }

  /** Loads a VPC on the transaction connection or throws VPC_NOT_FOUND. */
  private async load(conn: Redis, id: string): Promise<VpcRecord> {
    const raw = await conn.get(this.keys.vpc(id))
    if (raw === null) throw vpcNotFound(id)
    return JSON.parse(raw) as VpcRecord
  }

  /** Every registered prefix with its owner. */
  private async owned(conn: Redis): Promise<OwnedPrefix[]> {
    const all = await conn.hgetall(this.keys.prefixes)
    return Object.entries(all).map(([text, ownerId]) => ({ prefix: parsePrefix(text), ownerId }))
  }

  /**
   * Every registered endpoint. Read from the endpoint index; a store written before the index
   * existed has none, and then the endpoints are read from the VPC records (and the decision
   * that uses them writes the index, see {@link RegistryOps.indexEndpoints}).
   */
  private async endpoints(conn: Redis): Promise<EndpointIndex> {
    const index = await conn.hgetall(this.keys.endpoints)
    const fromIndex = Object.entries(index).map(([text, ownerId]) => ({ ownerId, ...canonicalEndpoint(text) }))
    if (fromIndex.length > 0) return { list: fromIndex, rebuilt: false }
    const ids = await conn.smembers(this.keys.vpcs)
    if (ids.length === 0) return { list: [], rebuilt: false }
    const raws = await conn.mget(ids.map((i) => this.keys.vpc(i)))
    const list = raws.flatMap((raw) => {
      if (raw === null) return []
      const r = JSON.parse(raw) as VpcRecord
      return [{ ownerId: r.id, ...canonicalEndpoint(r.endpoint) }]
    })
    return { list, rebuilt: true }
  }

  /** Writes `mine` into the endpoint index, and the whole index when it was rebuilt from records. */
  private indexEndpoints(eps: EndpointIndex, mine: OwnedEndpoint): Write[] {
    const rest = eps.rebuilt ? eps.list.filter((e) => e.ownerId !== mine.ownerId) : []
    return [...rest, mine].map((e): Write => ['hset', this.keys.endpoints, e.endpoint, e.ownerId])
  }
}

function nameTaken(name: string, id: string): ApiError {
  return new ApiError(WireErrorCode.vpcNameTaken, `a VPC named "${name}" already exists (${id}); choose another name`)
}

function nameResolver(names: Record<string, string>): (id: string) => string {
  const byId = new Map(Object.entries(names).map(([n, i]) => [i, n]))
  return (id) => byId.get(id) ?? id
}

function definedOf(patch: VpcPatch): Partial<VpcRecord> {
  const out: Partial<VpcRecord> = {}
  if (patch.name !== undefined) out.name = patch.name
  if (patch.endpoint !== undefined) out.endpoint = patch.endpoint
  if (patch.masquerade !== undefined) out.masquerade = patch.masquerade
  return out
}

function sameVpc(a: VpcRecord, b: VpcRecord): boolean {
  return (
    a.name === b.name &&
    a.endpoint === b.endpoint &&
    a.masquerade === b.masquerade &&
    a.cidrs.join(',') === b.cidrs.join(',')
  )
}
