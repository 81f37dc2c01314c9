import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Prefix } from '@vpcmesh/cidr'
import { hasCode, type Logger, noopLogger } from '@vpcmesh/common'
import { storeUnavailable } from '../errors.js'
import { RedisKeys } from './redis-keys.js'
import { RegistryOps } from './registry-ops.js'
import { createRedisClient, type RedisTarget } from './redis-target.js'
import { VersionedTx, type TxOperation } from './redis-tx.js'
import {
  type AgentRecord,
  byCreation,
  type Change,
  type Enrolment,
  type GatewayHello,
  type GlobalRequest,
  type NewVpc,
  type RegistryDiff,
  type RegistrySnapshot,
  type Store,
  type VpcPatch,
  type VpcRecord,
} from './store.js'

/** Dependencies of {@link RedisStore}. */
export interface RedisStoreComponents {
  logger?: Logger
  now?: () => number
}

/** Knobs of {@link RedisStore}, and where Redis is: `url` (one server) or `target`. */
export type RedisStoreOptions = RedisStoreKnobs & ({ url: string } | { target: RedisTarget })

/** Knobs of {@link RedisStore} other than where Redis is. */
export interface RedisStoreKnobs {
  /** Key prefix. @default 'vpcmesh:' */
  prefix?: string
  /** Change-log entries kept. @default 10000 */
  changeLogMax?: number
  /** Per-command timeout, ms. @default 3000 */
  commandTimeoutMs?: number
  /** How long {@link createRedisStore} waits for all connections to be ready, ms. @default 10000 */
  connectTimeoutMs?: number
}

/** Reads the version, the epoch and every VPC record in one atomic step. */
const SNAPSHOT_LUA = `
local out = { redis.call('GET', KEYS[1]) or '0', redis.call('GET', KEYS[3]) or '' }
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local r = redis.call('GET', ARGV[1] .. id)
  if r then out[#out + 1] = r end
end
return out`

/**
 * Reads, in one atomic step, the epoch, the version and the current record (false: gone) of
 * each VPC the change log names after ARGV[1]; the third element is '1' when the log reaches
 * back that far and '0' when it does not (trimmed, or the store is behind ARGV[1]).
 */
const SINCE_LUA = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local from = tonumber(ARGV[1])
local out = { redis.call('GET', KEYS[3]) or '', tostring(v), '0' }
if from > v then return out end
if from < v then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if oldest[2] == nil or tonumber(oldest[2]) > from + 1 then return out end
end
out[3] = '1'
local seen = {}
for _, e in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], v)) do
  local id = cjson.decode(e).id
  if not seen[id] then
    seen[id] = true
    out[#out + 1] = id
    out[#out + 1] = redis.call('GET', ARGV[2] .. id) or false
  end
end
return out`

/** HSETs field/value pairs only into an existing hash. */
const UPDATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return 0`

/** Marks an agent disconnected only if the closing session is the recorded one. */
const DISCONNECT_LUA = `
if redis.call('HGET', KEYS[1], 'session') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'connected', '0')
end
return 0`

/**
 * The controller's state in Redis. Three connections: commands, WATCH transactions (one at a
 * time), and the pub/sub subscriber. Commands fail fast while Redis is unreachable (no offline
 * queue) and surface as VPCMESH_ERR_STORE_UNAVAILABLE; ioredis reconnects by itself. With a
 * Sentinel target every connection (re)connects to the current primary: after a failover the
 * command and WATCH connections work again (a transaction whose connection dropped fails as a
 * whole: its commands are never resent on the new connection, where the WATCH is gone), and
 * the subscriber subscribes again on the new primary (ioredis autoResubscribe); announcements
 * missed meanwhile are caught by the notifier's version poll.
 */
/** Extends the lease only while it holds the caller's `gateway:epoch`. */
const RENEW_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`

/** Deletes the lease only while it holds the caller's `gateway:epoch`. */
const RELEASE_LEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

class RedisStore implements Store {
  private readonly keys: RedisKeys
  private readonly cmd: Redis
  private readonly txConn: Redis
  private readonly sub: Redis
  private readonly tx: VersionedTx
  private readonly ops: RegistryOps
  private readonly listeners = new Set<(v: number) => void>()
  private readonly log: Logger
  private readonly connectTimeoutMs: number
  /** Message of the last connection error, for the connect timeout's message. */
  private lastError: string | undefined
  private closing = false

  constructor(components: RedisStoreComponents, options: RedisStoreOptions) {
    this.keys = new RedisKeys(options.prefix ?? 'vpcmesh:')
    this.log = (components.logger ?? noopLogger).child('store')
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000
    const target: RedisTarget = 'target' in options ? options.target : { url: options.url }
    const redisOpts = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 3000,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    }
    this.cmd = createRedisClient(target, redisOpts)
    // A command in flight when the connection drops must not be resent on the next
    // connection: WATCH state does not survive a reconnect, so an EXEC after resent reads
    // would run unwatched. A dropped command fails by commandTimeout instead: that request
    // answers 503 with nothing committed, and the next transaction WATCHes afresh.
    this.txConn = createRedisClient(target, { ...redisOpts, autoResendUnfulfilledCommands: false })
    this.sub = createRedisClient(target, { ...redisOpts, enableOfflineQueue: true, commandTimeout: undefined })
    for (const c of [this.cmd, this.txConn, this.sub]) {
      c.on('error', (e: Error) => {
        this.lastError = e.message
        this.log.debug('redis error', { error: e.message })
      })
      // ioredis gives a connection up for good ('end') when a reconnect races a disconnect
      // (seen during Sentinel failovers); we never want that: start it again until close().
      c.on('end', () => {
        if (!this.closing)
          setTimeout(() => {
            if (!this.closing) c.connect().catch(() => undefined)
          }, 500).unref()
      })
    }
    // Re-subscribe on every new connection, also after an 'end'; SUBSCRIBE is idempotent.
    this.sub.on('ready', () => {
      this.sub.subscribe(this.keys.events).catch(() => undefined)
    })
    this.tx = new VersionedTx(this.txConn, this.keys, options.changeLogMax ?? 10_000)
    this.ops = new RegistryOps(this.keys, components.now ?? Date.now)
    this.sub.on('message', (_ch: string, msg: string) => {
      this.dispatch(msg)
    })
  }

  /**
   * Connects all three connections and subscribes to change announcements. Fails after
   * connectTimeoutMs (in Sentinel mode ioredis would otherwise keep asking unreachable
   * sentinels for ever); the caller then close()s.
   */
  async connect(): Promise<void> {
    await this.guard(async () => {
      const ready = Promise.all([this.cmd.connect(), this.txConn.connect(), this.sub.connect()]).then(async () => {
        await this.sub.subscribe(this.keys.events)
      })
      ready.catch(() => undefined)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(
            new Error(
              `no ready Redis primary within ${this.connectTimeoutMs} ms${this.lastError === undefined ? '' : ` (last error: ${this.lastError})`}`,
            ),
          )
        }, this.connectTimeoutMs)
      })
      try {
        await Promise.race([ready, timeout])
      } finally {
        clearTimeout(timer)
      }
    })
  }

  createVpc(input: NewVpc, joinHash: string, ttlS: number): Promise<VpcRecord> {
    return this.mutate(async (tx) => await this.ops.addVpc(tx, input, joinHash, ttlS))
  }

  updateVpc(id: string, patch: VpcPatch): Promise<VpcRecord> {
    return this.mutate(async (tx) => await this.ops.updateVpc(tx, id, patch))
  }

  async deleteVpc(id: string): Promise<void> {
    await this.mutate(async (tx) => await this.ops.removeVpc(tx, id))
  }

  addRoute(id: string, route: Prefix, global?: GlobalRequest): Promise<VpcRecord> {
    return this.mutate(async (tx) => await this.ops.addRoute(tx, id, route, global))
  }

  removeRoute(id: string, route: Prefix): Promise<VpcRecord> {
    return this.mutate(async (tx) => await this.ops.removeRoute(tx, id, route))
  }

  /**
   * Looks the token up with one read on the command connection first, so unknown tokens (a
   * flood of made-up hellos) never wait in, or hold up, the serialized write queue.
   */
  async enroll(
    joinHash: string,
    publicKey: string,
    credHash: string,
    gateway?: GatewayHello,
  ): Promise<Enrolment | undefined> {
    const known = await this.guard(async () => (await this.cmd.exists(this.keys.join(joinHash))) === 1)
    if (!known) return undefined
    return await this.mutate(async (tx) => await this.ops.enroll(tx, joinHash, publicKey, credHash, gateway))
  }

  async setPublicKey(id: string, publicKey: string, gateway?: string, hello?: GatewayHello): Promise<void> {
    await this.mutate(async (tx) => await this.ops.setPublicKey(tx, id, publicKey, gateway, hello))
  }

  async migrateLegacy(
    id: string,
    publicKey: string,
    credHash: string,
    hello: GatewayHello,
  ): Promise<Enrolment | undefined> {
    return await this.mutate(async (tx) => await this.ops.migrateLegacy(tx, id, publicKey, credHash, hello))
  }

  async electGateway(id: string, gateway: string, ttlMs: number): Promise<VpcRecord | undefined> {
    // Cheap pre-check on the command connection: a held lease needs no transaction.
    if (await this.guard(async () => (await this.cmd.exists(this.keys.lease(id))) === 1)) return undefined
    return await this.mutate(async (tx) => await this.ops.electGateway(tx, id, gateway, ttlMs))
  }

  renewLease(id: string, gateway: string, epoch: number, ttlMs: number): Promise<boolean> {
    return this.guard(
      async () => (await this.cmd.eval(RENEW_LUA, 1, this.keys.lease(id), `${gateway}:${epoch}`, ttlMs)) === 1,
    )
  }

  releaseLease(id: string, gateway: string, epoch: number): Promise<void> {
    return this.guard(async () => {
      await this.cmd.eval(RELEASE_LEASE_LUA, 1, this.keys.lease(id), `${gateway}:${epoch}`)
    })
  }

  drainGateway(
    id: string,
    gateway: string,
    target: string,
    ttlMs: number,
    reason: 'drain' | 'failover' = 'drain',
  ): Promise<VpcRecord> {
    return this.mutate(async (tx) => await this.ops.drainGateway(tx, id, gateway, target, ttlMs, reason))
  }

  getVpc(id: string): Promise<VpcRecord | undefined> {
    return this.guard(async () => {
      const raw = await this.cmd.get(this.keys.vpc(id))
      return raw === null ? undefined : (JSON.parse(raw) as VpcRecord)
    })
  }

  epoch(): Promise<string> {
    return this.guard(async () => {
      await this.cmd.set(this.keys.epoch, randomBytes(8).toString('hex'), 'NX')
      return (await this.cmd.get(this.keys.epoch)) ?? ''
    })
  }

  currentVersion(): Promise<number> {
    return this.guard(async () => Number((await this.cmd.get(this.keys.version)) ?? 0))
  }

  snapshot(): Promise<RegistrySnapshot> {
    return this.guard(async () => {
      const out = (await this.cmd.eval(
        SNAPSHOT_LUA,
        3,
        this.keys.version,
        this.keys.vpcs,
        this.keys.epoch,
        this.keys.vpcPrefix,
      )) as string[]
      const vpcs = out
        .slice(2)
        .map((r) => JSON.parse(r) as VpcRecord)
        .sort(byCreation)
      return { version: Number(out[0]), vpcs, epoch: out[1] }
    })
  }

  registrySince(from: number): Promise<RegistryDiff | undefined> {
    return this.guard(async () => {
      const out = (await this.cmd.eval(
        SINCE_LUA,
        3,
        this.keys.version,
        this.keys.changes,
        this.keys.epoch,
        String(from),
        this.keys.vpcPrefix,
      )) as Array<string | null>
      if (out[2] !== '1') return undefined
      const diff: RegistryDiff = { epoch: out[0] as string, version: Number(out[1]), upserted: [], removed: [] }
      for (let i = 3; i < out.length; i += 2) {
        const raw = out[i + 1]
        if (raw === null || raw === undefined) diff.removed.push(out[i] as string)
        else diff.upserted.push(JSON.parse(raw) as VpcRecord)
      }
      return diff
    })
  }

  changesSince(from: number): Promise<{ version: number; changes: Change[] } | undefined> {
    return this.guard(async () => {
      const version = Number((await this.cmd.get(this.keys.version)) ?? 0)
      if (from >= version) return { version, changes: [] }
      const oldest = await this.cmd.zrange(this.keys.changes, 0, 0, 'WITHSCORES')
      if (oldest[1] === undefined || Number(oldest[1]) > from + 1) return undefined
      const raw = await this.cmd.zrangebyscore(this.keys.changes, `(${from}`, version)
      const changes = raw.map((r) => {
        const c = JSON.parse(r) as { v: number; id: string; k: Change['kind'] }
        return { version: c.v, id: c.id, kind: c.k }
      })
      return { version, changes }
    })
  }

  /** Replaces the VPC's join token (see {@link RegistryOps.issueJoinToken}); no version bump. */
  async issueJoinToken(id: string, tokenHash: string, ttlS: number): Promise<void> {
    await this.mutate(async (tx) => await this.ops.issueJoinToken(tx, id, tokenHash, ttlS))
  }

  checkCredential(id: string, credHash: string, gateway?: string): Promise<boolean> {
    return this.guard(async () => {
      const stored = await this.cmd.get(this.keys.credential(id, gateway))
      if (stored === null || stored.length !== credHash.length) return false
      return timingSafeEqual(Buffer.from(stored), Buffer.from(credHash))
    })
  }

  putAgent(id: string, fields: Partial<AgentRecord>): Promise<void> {
    return this.guard(async () => {
      await this.cmd.hset(this.keys.agent(id), flatten(fields))
    })
  }

  updateAgents(batch: Map<string, Partial<AgentRecord>>): Promise<void> {
    return this.guard(async () => {
      if (batch.size === 0) return
      const p = this.cmd.pipeline()
      for (const [id, fields] of batch)
        p.eval(UPDATE_LUA, 1, this.keys.agent(id), ...Object.entries(flatten(fields)).flat())
      await p.exec()
    })
  }

  disconnectAgent(id: string, session: string): Promise<void> {
    return this.guard(async () => {
      await this.cmd.eval(DISCONNECT_LUA, 1, this.keys.agent(id), session)
    })
  }

  agents(keys?: readonly string[]): Promise<AgentRecord[]> {
    return this.guard(async () => {
      const ids = keys ?? (await this.cmd.smembers(this.keys.vpcs))
      const p = this.cmd.pipeline()
      for (const id of ids) p.hgetall(this.keys.agent(id))
      const res = (await p.exec()) ?? []
      const out: AgentRecord[] = []
      res.forEach(([err, h], i) => {
        const r = h as Record<string, string> | null
        if (err === null && r !== null && r.session !== undefined) out.push(toAgentRecord(ids[i] as string, r))
      })
      return out
    })
  }

  ping(): Promise<void> {
    return this.guard(async () => {
      await this.cmd.ping()
    })
  }

  onVersion(fn: (version: number) => void): () => void {
    this.listeners.add(fn)
    return () => {
      this.listeners.delete(fn)
    }
  }

  async close(): Promise<void> {
    this.closing = true
    this.listeners.clear()
    for (const c of [this.sub, this.txConn, this.cmd]) c.disconnect()
  }

  private dispatch(msg: string): void {
    let v: number
    try {
      v = Number((JSON.parse(msg) as { v: unknown }).v)
    } catch {
      return
    }
    if (!Number.isInteger(v)) return
    for (const fn of this.listeners) fn(v)
  }

  /** Runs one registry operation in a transaction; announces the new version if it bumped it. */
  private async mutate<T>(op: TxOperation<T>): Promise<T> {
    return await this.guard(async () => {
      const r = await this.tx.run(op)
      if (r.committed) {
        await this.cmd.publish(this.keys.events, JSON.stringify({ v: r.version })).catch((e: Error) => {
          this.log.warn('change announcement failed; replicas catch up by polling', { error: e.message })
        })
      }
      return r.value
    })
  }

  /** Passes coded errors through; turns any other failure into STORE_UNAVAILABLE. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      if (hasCode(e) && e.code.startsWith('VPCMESH_')) throw e
      throw storeUnavailable(e)
    }
  }
}

function flatten(fields: Partial<AgentRecord>): Record<string, string> {
  const flat: Record<string, string> = {}
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) flat[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v)
  }
  return flat
}

function toAgentRecord(id: string, h: Record<string, string>): AgentRecord {
  return {
    id,
    session: h.session ?? '',
    replica: h.replica ?? '',
    connected: h.connected === '1',
    appliedVersion: Number(h.appliedVersion ?? 0),
    lastSeen: Number(h.lastSeen ?? 0),
    observedAddress: h.observedAddress ?? '',
    agentVersion: h.agentVersion ?? '',
    peers: h.peers ?? '[]',
  }
}

/** A connected store: resolves once Redis answered, throws STORE_UNAVAILABLE otherwise. */
export async function createRedisStore(components: RedisStoreComponents, options: RedisStoreOptions): Promise<Store> {
  const s = new RedisStore(components, options)
  try {
    await s.connect()
  } catch (e) {
    await s.close()
    throw e
  }
  return s
}
