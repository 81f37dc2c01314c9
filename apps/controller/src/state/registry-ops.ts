import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { parseAddress, parsePrefix, type Prefix } from '@vpcmesh/cidr'
import {
  type DnsZoneSetting,
  type GlobalPrefix,
  MAX_PREFIXES_PER_VPC,
  WireErrorCode,
  parseDnsServer,
  routedPrefixPairs,
  routedPrefixes,
} from '@vpcmesh/protocol'
import { ApiError, gatewayNotFound, vpcNotFound } from '../errors.js'
import type { RedisKeys } from './redis-keys.js'
import type { Enrolment, GatewayHello, GatewayRecord, GlobalRequest, NewVpc, VpcPatch, VpcRecord } from './store.js'
import { planGlobalPrefixes } from './global-prefixes.js'
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
import { KeyInUseError, claimKey, moveKey, releaseEntry } from './key-index.js'

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
    assertDnsServersInside(input.dnsZones ?? [], input.cidrs)
    const owned = await this.owned(tx.conn)
    const id = `vpc_${randomBytes(6).toString('hex')}`
    const nameOf = nameResolver({ ...names, [input.name]: id })
    assertNoOverlap(input.cidrs, [], nameOf)
    const globalPrefixes = globalsFor(
      input.mode ?? 'local',
      input.cidrs,
      input.global,
      [],
      owned.map((o) => o.prefix),
    )
    const addressing = globalPrefixes === undefined ? {} : { mode: 'global' as const, globalPrefixes }
    const routed = routedPrefixes({ cidrs: prefixTexts(input.cidrs), routes: [], ...addressing }).map((c) =>
      parsePrefix(c),
    )
    assertNoOverlap(routed, owned, nameOf)
    const eps = await this.endpoints(tx.conn)
    const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(input.endpoint) }
    assertClearOfEndpoints(routed, [...eps.list, mine], nameOf)
    assertEndpointUsable(mine, eps.list, owned, nameOf)
    const t = this.now()
    const rec: VpcRecord = {
      id,
      name: input.name,
      cidrs: prefixTexts(input.cidrs),
      routes: [],
      endpoint: input.endpoint,
      masquerade: input.masquerade,
      ...(input.routeTable === undefined ? {} : { routeTable: input.routeTable }),
      ...(input.dnsZones === undefined || input.dnsZones.length === 0 ? {} : { dnsZones: input.dnsZones }),
      ...addressing,
      publicKey: null,
      createdAt: t,
      updatedAt: t,
      version: tx.version,
    }
    return this.upsert(tx, rec, [
      ['sadd', this.keys.vpcs, id],
      ['hset', this.keys.names, input.name, id],
      ...routedPrefixes(rec).map((c): Write => ['hset', this.keys.prefixes, c, id]),
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
    const addressing = patch.cidrs !== undefined || patch.mode !== undefined || patch.global !== undefined
    const owned = await this.owned(tx.conn)
    const others = owned.filter((o) => o.ownerId !== id)
    if (addressing) {
      const mode = patch.mode ?? old.mode ?? 'local'
      const locals = [...rec.cidrs, ...rec.routes].map((c) => parsePrefix(c))
      const keep = mode === 'global' ? (old.globalPrefixes ?? []) : []
      const globals = globalsFor(
        mode,
        locals,
        patch.global,
        keep,
        others.map((o) => o.prefix),
      )
      delete rec.mode
      delete rec.globalPrefixes
      if (globals !== undefined) Object.assign(rec, { mode: 'global', globalPrefixes: globals })
    }
    if (sameVpc(old, rec)) return unchanged(old)
    if (patch.dnsZones !== undefined || patch.cidrs !== undefined)
      assertDnsServersInside(
        rec.dnsZones ?? [],
        [...rec.cidrs, ...rec.routes].map((c) => parsePrefix(c)),
      )
    const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(rec.endpoint) }
    const routed = addressing ? routedPrefixes(rec).map((c) => parsePrefix(c)) : undefined
    const eps = await this.checkUpdate(tx.conn, old, rec, mine, routed, others)
    const writes: Write[] = []
    if (rec.name !== old.name) writes.push(['hdel', this.keys.names, old.name], ['hset', this.keys.names, rec.name, id])
    if (rec.endpoint !== old.endpoint)
      writes.push(['hdel', this.keys.endpoints, canonicalEndpoint(old.endpoint).endpoint])
    writes.push(...this.indexEndpoints(eps, mine))
    if (routed !== undefined) {
      writes.push(...routedPrefixes(old).map((c): Write => releaseEntry(this.keys.prefixes, c, id)))
      writes.push(...routed.map((c): Write => ['hset', this.keys.prefixes, c.toString(), id]))
    }
    return this.upsert(tx, rec, writes)
  }

  /**
   * Validates VPC `old` becoming `rec` (endpoint `mine`; `routed`, its new routed prefixes,
   * when its addressing changes; `others`, every other VPC's routed prefix): name free, no
   * overlap, endpoints clear and usable. Returns the endpoint index read.
   */
  private async checkUpdate(
    conn: Redis,
    old: VpcRecord,
    rec: VpcRecord,
    mine: OwnedEndpoint,
    routed: Prefix[] | undefined,
    others: OwnedPrefix[],
  ): Promise<EndpointIndex> {
    const names = await conn.hgetall(this.keys.names)
    const holder = names[rec.name]
    if (holder !== undefined && holder !== old.id) throw nameTaken(rec.name, holder)
    const nameOf = nameResolver(names)
    if (routed !== undefined) assertNoOverlap(routed, others, nameOf)
    const eps = await this.endpoints(conn)
    const otherEps = eps.list.filter((e) => e.ownerId !== old.id)
    if (routed !== undefined) assertClearOfEndpoints(routed, [...otherEps, mine], nameOf)
    const mineAfter = (routed ?? routedPrefixes(old).map((c) => parsePrefix(c))).map((prefix) => ({
      prefix,
      ownerId: old.id,
    }))
    if (rec.endpoint !== old.endpoint) assertEndpointUsable(mine, otherEps, [...others, ...mineAfter], nameOf)
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
    const gws = old.gateways ?? []
    const writes: Write[] = [
      ['del', k.vpc(id), k.credential(id), k.agent(id), k.vpcJoin(id), k.lease(id)],
      ...gws.map((g): Write => ['del', k.credential(id, g.id), k.agent(`${id}/${g.id}`)]),
      ...gws.flatMap((g): Write[] =>
        g.endpoint === null || g.endpoint === old.endpoint
          ? []
          : [releaseEntry(k.endpoints, canonicalEndpoint(g.endpoint).endpoint, id)],
      ),
      ...gws.filter((g) => g.publicKey !== old.publicKey).flatMap((g) => moveKey(k, g.publicKey, null, id)),
      ...(joinHash === null ? [] : [['del', k.join(joinHash)] as Write]),
      ['srem', k.vpcs, id],
      ['hdel', k.names, old.name],
      ['hdel', k.endpoints, canonicalEndpoint(old.endpoint).endpoint],
      ...routedPrefixes(old).map((c): Write => releaseEntry(k.prefixes, c, id)),
      ...moveKey(k, old.publicKey, null, id),
    ]
    return { value: old, writes, change: { id, kind: 'remove' } }
  }

  /** Adds an extra prefix behind a VPC; an existing identical route is unchanged. */
  async addRoute(tx: TxView, id: string, route: Prefix, global?: GlobalRequest): Promise<TxDecision<VpcRecord>> {
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
    const owned = await this.owned(tx.conn)
    const mine = [...old.cidrs, ...old.routes].map((c) => ({ prefix: parsePrefix(c), ownerId: id }))
    // Local prefixes of the VPC itself must not overlap either, even where only globals are routed.
    assertNoOverlap([route], old.mode === 'global' ? mine : [], nameOf)
    if (old.mode !== 'global' && global !== undefined && global.wishes.length > 0)
      throw new ApiError(
        WireErrorCode.validation,
        `VPC "${old.name}" is in local mode; a global prefix needs mode global`,
      )
    const routes = prefixTexts([...old.routes.map((r) => parsePrefix(r)), route])
    const rec: VpcRecord = { ...old, routes }
    // Global mode: the existing pairs kept, the new route's allocated (or wished) among them.
    const globals = globalsFor(
      old.mode ?? 'local',
      [...old.cidrs, ...routes].map((c) => parsePrefix(c)),
      global,
      old.globalPrefixes ?? [],
      owned.filter((o) => o.ownerId !== id).map((o) => o.prefix),
    )
    if (globals !== undefined) rec.globalPrefixes = globals
    const routed = parsePrefix(routedPrefixPairs(rec).find((x) => x.local === text)?.routed ?? text)
    assertNoOverlap([routed], owned, nameOf)
    assertClearOfEndpoints([routed], (await this.endpoints(tx.conn)).list, nameOf)
    return this.upsert(tx, rec, [['hset', this.keys.prefixes, routed.toString(), id]])
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
    const rec: VpcRecord = { ...old, routes }
    if (old.globalPrefixes !== undefined) rec.globalPrefixes = old.globalPrefixes.filter((g) => g.local !== text)
    const routed = old.globalPrefixes?.find((g) => g.local === text)?.global ?? text
    return this.upsert(tx, rec, [releaseEntry(this.keys.prefixes, routed, id)])
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
    hello: GatewayHello = { name: 'gw' },
  ): Promise<TxDecision<Enrolment | undefined>> {
    await tx.conn.watch(this.keys.join(joinHash))
    const id = await tx.conn.get(this.keys.join(joinHash))
    const raw = id === null ? null : await tx.conn.get(this.keys.vpc(id))
    if (id === null || raw === null) return unchanged(undefined)
    const old = JSON.parse(raw) as VpcRecord
    return await this.joinGateway(tx, old, publicKey, credentialHash, hello, [
      ['del', this.keys.join(joinHash), this.keys.vpcJoin(id)],
    ])
  }

  /**
   * Upgrade of an agent enrolled before gateways (authenticated with the VPC's own credential)
   * that now names itself: it becomes the VPC's first gateway with a new credential, and the
   * VPC's credential is deleted. Undefined (nothing written) when the VPC already has gateways.
   */
  async migrateLegacy(
    tx: TxView,
    id: string,
    publicKey: string,
    credentialHash: string,
    hello: GatewayHello,
  ): Promise<TxDecision<Enrolment | undefined>> {
    const old = await this.load(tx.conn, id)
    if ((old.gateways ?? []).length > 0) return unchanged(undefined)
    return await this.joinGateway(tx, old, publicKey, credentialHash, hello, [])
  }

  /**
   * Adds gateway `hello.name` to VPC `old`, or replaces the gateway of that name (a re-installed
   * host), with its key, announced endpoint and credential. The VPC's own key is its active
   * (else first) gateway's: a first gateway, or the key holder enrolling again, moves it. The
   * first gateway also replaces an agent enrolled before gateways (its credential is deleted).
   */
  private async joinGateway(
    tx: TxView,
    old: VpcRecord,
    publicKey: string,
    credentialHash: string,
    hello: GatewayHello,
    writes: Write[],
  ): Promise<TxDecision<Enrolment>> {
    const id = old.id
    const gws = old.gateways ?? []
    const same = gws.find((g) => g.name === hello.name)
    const gw: GatewayRecord = {
      id: same?.id ?? `gw_${randomBytes(6).toString('hex')}`,
      name: hello.name,
      publicKey,
      endpoint: hello.endpoint ?? null,
      drained: false,
      createdAt: this.now(),
    }
    assertKeyFreeInVpc(gws, gw.id, publicKey)
    assertOwnEndpoint(old, gw.id, hello.endpoint)
    const epWrites = await this.gatewayEndpoint(tx.conn, id, hello.endpoint, same?.endpoint ?? null, old.endpoint)
    const gateways = same === undefined ? [...gws, gw] : gws.map((g) => (g.id === gw.id ? gw : g))
    const primary = same === undefined ? gws.length === 0 : old.publicKey === same.publicKey
    const from = same?.publicKey ?? (gws.length === 0 ? old.publicKey : null)
    const keyWrites = await claimKey(tx.conn, this.keys, id, publicKey, from)
    const rec: VpcRecord = { ...old, gateways, publicKey: primary ? publicKey : old.publicKey }
    const d = this.upsert(tx, rec, [
      ...writes,
      ['set', this.keys.credential(id, gw.id), credentialHash],
      ...(gws.length === 0 ? [['del', this.keys.credential(id)] as Write] : []),
      ...keyWrites,
      ...epWrites,
    ])
    return { ...d, value: { vpc: d.value, gatewayId: gw.id } }
  }

  /**
   * Records a new public key (and announced endpoint) of an authenticated agent; unchanged when
   * nothing differs. `gateway` undefined: an agent enrolled before gateways (the VPC's key).
   */
  async setPublicKey(
    tx: TxView,
    id: string,
    publicKey: string,
    gateway?: string,
    hello?: GatewayHello,
  ): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    if (gateway === undefined) {
      if (old.publicKey === publicKey) return unchanged(old)
      const keyWrites = await claimKey(tx.conn, this.keys, id, publicKey, old.publicKey)
      return this.upsert(tx, { ...old, publicKey }, keyWrites)
    }
    const gws = old.gateways ?? []
    const cur = gws.find((g) => g.id === gateway)
    if (cur === undefined) throw gatewayNotFound(old.name, gateway)
    const endpoint = hello?.endpoint ?? cur.endpoint
    if (cur.publicKey === publicKey && cur.endpoint === endpoint && !cur.drained) return unchanged(old)
    assertKeyFreeInVpc(gws, gateway, publicKey)
    const keyWrites =
      cur.publicKey === publicKey ? [] : await claimKey(tx.conn, this.keys, id, publicKey, cur.publicKey)
    let epWrites: Write[] = []
    if (endpoint !== cur.endpoint) {
      assertOwnEndpoint(old, gateway, endpoint ?? undefined)
      epWrites = await this.gatewayEndpoint(tx.conn, id, endpoint ?? undefined, cur.endpoint, old.endpoint)
    }
    const next: GatewayRecord = { ...cur, publicKey, endpoint, drained: false }
    const isKeyHolder = old.publicKey === cur.publicKey
    const rec: VpcRecord = {
      ...old,
      gateways: gws.map((g) => (g.id === gateway ? next : g)),
      publicKey: isKeyHolder ? publicKey : old.publicKey,
    }
    return this.upsert(tx, rec, [...keyWrites, ...epWrites])
  }

  /**
   * Takes the free active-gateway lease for `gateway` with the next fencing epoch. The lease
   * key is read after WATCH of the version key (VersionedTx), and every taking bumps the
   * version, so two replicas electing at once cannot both commit. Unchanged (undefined) when
   * the lease is held, the gateway is unknown or drained.
   */
  async electGateway(
    tx: TxView,
    id: string,
    gateway: string,
    ttlMs: number,
  ): Promise<TxDecision<VpcRecord | undefined>> {
    const raw = await tx.conn.get(this.keys.vpc(id))
    if (raw === null) return unchanged(undefined)
    const old = JSON.parse(raw) as VpcRecord
    const gw = (old.gateways ?? []).find((g) => g.id === gateway)
    if (gw === undefined || gw.drained) return unchanged(undefined)
    if ((await tx.conn.exists(this.keys.lease(id))) === 1) return unchanged(undefined)
    const epoch = (old.active?.epoch ?? 0) + 1
    const reason = old.active == null || old.active.gateway === gateway ? 'elected' : 'failover'
    const rec: VpcRecord = { ...old, active: { gateway, epoch, since: this.now(), reason }, publicKey: gw.publicKey }
    return this.upsert(tx, rec, [['set', this.keys.lease(id), `${gateway}:${epoch}`, 'PX', ttlMs]])
  }

  /** Moves the active role from `gateway` to `target` (drain, or a failover its peers asked for); see GatewayLeases. */
  async drainGateway(
    tx: TxView,
    id: string,
    gateway: string,
    target: string,
    ttlMs: number,
    reason: 'drain' | 'failover' = 'drain',
  ): Promise<TxDecision<VpcRecord>> {
    const old = await this.load(tx.conn, id)
    const gws = old.gateways ?? []
    const to = gws.find((g) => g.id === target)
    if (!gws.some((g) => g.id === gateway)) throw gatewayNotFound(old.name, gateway)
    if (old.active?.gateway !== gateway) {
      throw new ApiError(
        WireErrorCode.gatewayNotActive,
        `gateway ${gateway} of VPC "${old.name}" is not the active one (${old.active?.gateway ?? 'none elected'}); drain the active gateway`,
      )
    }
    if (to === undefined || to.drained || to.id === gateway) throw noStandby(old.name)
    const epoch = old.active.epoch + 1
    const rec: VpcRecord = {
      ...old,
      gateways: reason === 'drain' ? gws.map((g) => (g.id === gateway ? { ...g, drained: true } : g)) : gws,
      active: { gateway: target, epoch, since: this.now(), reason },
      publicKey: to.publicKey,
    }
    return this.upsert(tx, rec, [['set', this.keys.lease(id), `${target}:${epoch}`, 'PX', ttlMs]])
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

  /**
   * Checks a gateway's announced endpoint like a registered one (valid `host:port`, no other
   * VPC's, not inside a registered prefix) and returns the index writes that move the VPC's
   * claim from `from` to it.
   */
  private async gatewayEndpoint(
    conn: Redis,
    id: string,
    endpoint: string | undefined,
    from: string | null,
    registered: string,
  ): Promise<Write[]> {
    const out: Write[] = []
    // The VPC's registered endpoint stays indexed whichever gateway announced it.
    if (from !== null && canonicalEndpoint(from).endpoint !== canonicalEndpoint(registered).endpoint)
      out.push(releaseEntry(this.keys.endpoints, canonicalEndpoint(from).endpoint, id))
    if (endpoint === undefined) return out
    const mine: OwnedEndpoint = { ownerId: id, ...canonicalEndpoint(endpoint) }
    const eps = await this.endpoints(conn)
    const nameOf = nameResolver(await conn.hgetall(this.keys.names))
    assertEndpointUsable(mine, eps.list, await this.owned(conn), nameOf)
    return [...out, ...this.indexEndpoints(eps, mine)]
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

/**
 * Refuses DNS zones whose server is not an IP address (with an optional port) inside one of
 * `prefixes` (the VPC's CIDRs and routes: agents reach it through the mesh), or zones listed
 * twice.
 */
export function assertDnsServersInside(zones: readonly DnsZoneSetting[], prefixes: readonly Prefix[]): void {
  const seen = new Set<string>()
  for (const z of zones) {
    const zone = z.zone.toLowerCase()
    if (seen.has(zone))
      throw new ApiError(WireErrorCode.validation, `DNS zone ${zone} is listed twice; give each zone once`)
    seen.add(zone)
    const e = parseDnsServer(z.server)
    if (typeof e === 'string') throw new ApiError(WireErrorCode.validation, `DNS zone ${zone}: ${e}`)
    const bytes = parseAddress(e.address)
    if (!prefixes.some((p) => p.contains(bytes))) {
      throw new ApiError(
        WireErrorCode.validation,
        `DNS zone ${zone}: server ${e.address} is not inside the VPC's CIDRs or routes ` +
          `(${prefixes.map(String).join(', ')}); other VPCs reach it through the mesh`,
      )
    }
  }
}

/**
 * Refuses an endpoint that another gateway of the same VPC already receives on (the first
 * gateway without an announced endpoint uses the VPC's registered one): each gateway needs its
 * own `host:port`, or peers could not tell them apart.
 */
function assertOwnEndpoint(rec: VpcRecord, self: string, endpoint: string | undefined): void {
  if (endpoint === undefined) return
  const mine = canonicalEndpoint(endpoint).endpoint
  const gws = rec.gateways ?? []
  const twin = gws.find((g, i) => {
    const effective = g.endpoint ?? (i === 0 ? rec.endpoint : null)
    return g.id !== self && effective !== null && canonicalEndpoint(effective).endpoint === mine
  })
  if (twin !== undefined) {
    throw new ApiError(
      WireErrorCode.endpointTaken,
      `endpoint ${mine} is already the tunnel endpoint of gateway "${twin.name}" of VPC "${rec.name}"; ` +
        'each gateway needs its own host:port (--advertise-endpoint)',
    )
  }
}

/** Refuses a key that another gateway of the same VPC already has. */
function assertKeyFreeInVpc(gws: readonly GatewayRecord[], self: string, publicKey: string): void {
  const other = gws.find((g) => g.id !== self && g.publicKey === publicKey)
  if (other !== undefined) throw new KeyInUseError(`${other.id}`)
}

/** No other gateway can take the active role. */
export function noStandby(vpcName: string): ApiError {
  return new ApiError(
    WireErrorCode.noStandby,
    `VPC "${vpcName}" has no other connected, undrained gateway to take the active role; start one, then drain again`,
  )
}

/**
 * The global prefixes of a VPC in `mode` with prefixes `locals`: undefined in local mode
 * (wishes are then refused), else planned from `request` (required), keeping `keep`, avoiding
 * `used`. See {@link planGlobalPrefixes}.
 */
function globalsFor(
  mode: 'local' | 'global',
  locals: readonly Prefix[],
  request: GlobalRequest | undefined,
  keep: readonly GlobalPrefix[],
  used: readonly Prefix[],
): GlobalPrefix[] | undefined {
  if (mode === 'local') {
    if (request !== undefined && request.wishes.length > 0)
      throw new ApiError(WireErrorCode.validation, 'globalPrefixes need mode "global"')
    return undefined
  }
  if (request === undefined) throw new Error('global mode needs the global pool (GlobalRequest)')
  return planGlobalPrefixes(locals, request, keep, used)
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
  if (patch.routeTable !== undefined) out.routeTable = patch.routeTable
  if (patch.dnsZones !== undefined) out.dnsZones = patch.dnsZones
  return out
}

function sameVpc(a: VpcRecord, b: VpcRecord): boolean {
  return (
    a.name === b.name &&
    a.endpoint === b.endpoint &&
    a.masquerade === b.masquerade &&
    JSON.stringify(a.routeTable ?? null) === JSON.stringify(b.routeTable ?? null) &&
    JSON.stringify(a.dnsZones ?? []) === JSON.stringify(b.dnsZones ?? []) &&
    (a.mode ?? 'local') === (b.mode ?? 'local') &&
    JSON.stringify(a.globalPrefixes ?? []) === JSON.stringify(b.globalPrefixes ?? []) &&
    a.cidrs.join(',') === b.cidrs.join(',')
  )
}
