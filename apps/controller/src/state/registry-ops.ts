import { randomBytes } from 'node:crypto'
import type { Redis, ChainableCommander } from 'ioredis'
import { parsePrefix, type Prefix } from '@vpcmesh/cidr'
import { MAX_PREFIXES_PER_VPC, WireErrorCode } from '@vpcmesh/protocol'
import { ApiError, vpcNotFound } from '../errors.js'
import type { Keys } from './keys.js'
import type { NewVpc, VpcPatch, VpcRecord } from './store.js'
import type { TxOutcome } from './redis-tx.js'
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
 * Transaction bodies for registry mutations. Each reads what it needs on the WATCHed
 * connection, validates, and returns the writes for VersionedTx to commit with the new
 * version, including exactly one change-log entry. Pure of side effects until commit.
 */
export class RegistryOps {
  constructor(
    private readonly keys: Keys,
    private readonly now: () => number,
    private readonly changeLogMax: number,
  ) {}

  /** Body for creating a VPC with its first join token. */
  create(input: NewVpc, joinHash: string, ttlS: number) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      const names = await conn.hgetall(this.keys.names)
      if (names[input.name] !== undefined) throw nameTaken(input.name, names[input.name] as string)
      const owned = await this.owned(conn)
      const id = `vpc_${randomBytes(6).toString('hex')}`
      const nameOf = nameResolver({ ...names, [input.name]: id })
      assertNoOverlap(input.cidrs, owned, nameOf)
      const eps = await this.endpoints(conn)
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
        version: 0,
      }
      return this.plan(rec, (m) => {
        m.sadd(this.keys.vpcs, id).hset(this.keys.names, input.name, id)
        for (const c of rec.cidrs) m.hset(this.keys.prefixes, c, id)
        this.indexEndpoints(m, eps, mine)
        m.set(this.keys.join(joinHash), id, 'EX', ttlS).set(this.keys.vpcJoin(id), joinHash, 'EX', ttlS)
      })
    }
  }

  /** Body for a PATCH; returns unchanged (no version bump) when nothing differs. */
  update(id: string, patch: VpcPatch) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      const old = await this.load(conn, id)
      const rec: VpcRecord = {
        ...old,
        ...definedOf(patch),
        cidrs: patch.cidrs === undefined ? old.cidrs : prefixTexts(patch.cidrs),
      }
      if (sameVpc(old, rec)) return { unchanged: old }
      const names = await conn.hgetall(this.keys.names)
      const holder = names[rec.name]
      if (holder !== undefined && holder !== id) throw nameTaken(rec.name, holder)
      const owned = (await this.owned(conn)).filter(
        (o) => !(o.ownerId === id && patch.cidrs !== undefined && old.cidrs.includes(o.prefix.toString())),
      )
      const nameOf = nameResolver(names)
      if (patch.cidrs !== undefined) assertNoOverlap(patch.cidrs, owned, nameOf)
      const eps = await this.endpoints(conn)
      const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(rec.endpoint) }
      const others = eps.list.filter((e) => e.ownerId !== id)
      if (patch.cidrs !== undefined) assertClearOfEndpoints(patch.cidrs, [...others, mine], nameOf)
      const mineAfter = (patch.cidrs ?? []).map((prefix) => ({ prefix, ownerId: id }))
      if (rec.endpoint !== old.endpoint) assertEndpointUsable(mine, others, [...owned, ...mineAfter], nameOf)
      return this.plan(rec, (m) => {
        if (rec.name !== old.name) m.hdel(this.keys.names, old.name).hset(this.keys.names, rec.name, id)
        if (rec.endpoint !== old.endpoint) m.hdel(this.keys.endpoints, canonicalEndpoint(old.endpoint).endpoint)
        this.indexEndpoints(m, eps, mine)
        if (patch.cidrs !== undefined) {
          for (const c of old.cidrs) m.hdel(this.keys.prefixes, c)
          for (const c of rec.cidrs) m.hset(this.keys.prefixes, c, id)
        }
      })
    }
  }

  /** Body for deleting a VPC and everything keyed by it. */
  remove(id: string) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      // A join token issued meanwhile (issueJoinToken runs outside the versioned transaction)
      // changes vpcjoin:{id} and so aborts this EXEC; the retry deletes the new token too.
      await conn.watch(this.keys.vpcJoin(id))
      const old = await this.load(conn, id)
      const joinHash = await conn.get(this.keys.vpcJoin(id))
      return {
        write: (m, v) => {
          m.del(this.keys.vpc(id), this.keys.credential(id), this.keys.agent(id), this.keys.vpcJoin(id))
          if (joinHash !== null) m.del(this.keys.join(joinHash))
          m.srem(this.keys.vpcs, id)
            .hdel(this.keys.names, old.name)
            .hdel(this.keys.endpoints, canonicalEndpoint(old.endpoint).endpoint)
          for (const c of [...old.cidrs, ...old.routes]) m.hdel(this.keys.prefixes, c)
          moveKey(m, this.keys, old.publicKey, null, id)
          this.logChange(m, v, id, 'remove')
        },
        result: () => old,
      }
    }
  }

  /** Body for adding an extra prefix behind a VPC; an existing identical route is a no-op. */
  addRoute(id: string, route: Prefix) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      const old = await this.load(conn, id)
      const text = route.toString()
      if (old.routes.includes(text)) return { unchanged: old }
      if (old.cidrs.length + old.routes.length >= MAX_PREFIXES_PER_VPC) {
        throw new ApiError(
          WireErrorCode.validation,
          `VPC "${old.name}" already has ${MAX_PREFIXES_PER_VPC} prefixes (CIDRs and routes); remove one or aggregate them`,
        )
      }
      const nameOf = nameResolver(await conn.hgetall(this.keys.names))
      assertNoOverlap([route], await this.owned(conn), nameOf)
      assertClearOfEndpoints([route], (await this.endpoints(conn)).list, nameOf)
      const routes = prefixTexts([...old.routes.map((r) => parsePrefix(r)), route])
      return this.plan({ ...old, routes }, (m) => {
        m.hset(this.keys.prefixes, text, id)
      })
    }
  }

  /** Body for removing an extra prefix; ROUTE_NOT_FOUND when the VPC does not have it. */
  removeRoute(id: string, route: Prefix) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      const old = await this.load(conn, id)
      const text = route.toString()
      if (!old.routes.includes(text)) {
        throw new ApiError(
          WireErrorCode.routeNotFound,
          `VPC "${old.name}" has no route ${text}; its routes are: ${old.routes.join(', ') || 'none'}`,
        )
      }
      return this.plan({ ...old, routes: old.routes.filter((r) => r !== text) }, (m) => {
        m.hdel(this.keys.prefixes, text)
      })
    }
  }

  /** Body for enrolment: consumes the join token and records key and credential hash. */
  enroll(joinHash: string, publicKey: string, credentialHash: string) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord | undefined>> => {
      await conn.watch(this.keys.join(joinHash))
      const id = await conn.get(this.keys.join(joinHash))
      const old = id === null ? null : await conn.get(this.keys.vpc(id))
      if (id === null || old === null) return { unchanged: undefined }
      const prev = JSON.parse(old) as VpcRecord
      const claim = await claimKey(conn, this.keys, id, publicKey)
      const rec: VpcRecord = { ...prev, publicKey }
      return this.plan(rec, (m) => {
        m.del(this.keys.join(joinHash), this.keys.vpcJoin(id)).set(this.keys.credential(id), credentialHash)
        claim.write(m, prev.publicKey)
      })
    }
  }

  /** Body for recording a new public key of an authenticated agent. */
  setPublicKey(id: string, publicKey: string) {
    return async (conn: Redis): Promise<TxOutcome<VpcRecord>> => {
      const old = await this.load(conn, id)
      if (old.publicKey === publicKey) return { unchanged: old }
      const claim = await claimKey(conn, this.keys, id, publicKey)
      return this.plan({ ...old, publicKey }, (m) => {
        claim.write(m, old.publicKey)
      })
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
   * existed has none, and then the endpoints are read from the VPC records (and the plan that
   * uses them writes the index, see {@link RegistryOps.indexEndpoints}).
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

  /** Adds `mine` to the endpoint index, and the whole index when it was rebuilt from records. */
  private indexEndpoints(m: ChainableCommander, eps: EndpointIndex, mine: OwnedEndpoint): void {
    if (eps.rebuilt)
      for (const e of eps.list) if (e.ownerId !== mine.ownerId) m.hset(this.keys.endpoints, e.endpoint, e.ownerId)
    m.hset(this.keys.endpoints, mine.endpoint, mine.ownerId)
  }

  /** The standard plan: stamp the record, store it, add extra writes and one upsert change. */
  private plan(rec: VpcRecord, extra: (m: ChainableCommander) => void): TxOutcome<VpcRecord> {
    return {
      write: (m, v) => {
        const stamped = { ...rec, updatedAt: this.now(), version: v }
        m.set(this.keys.vpc(rec.id), JSON.stringify(stamped))
        extra(m)
        this.logChange(m, v, rec.id, 'upsert')
        rec = stamped
      },
      result: () => rec,
    }
  }

  private logChange(m: ChainableCommander, v: number, id: string, kind: 'upsert' | 'remove'): void {
    m.zadd(this.keys.changes, v, JSON.stringify({ v, id, k: kind }))
    m.zremrangebyrank(this.keys.changes, 0, -(this.changeLogMax + 1))
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
