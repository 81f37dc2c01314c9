/**
 * Property-based tests of the map codec (docs/testing.md, "Property and protocol fuzzing"):
 * the controller encodes snapshots and deltas with `encodeMessage`; the agent decodes them
 * with `decodeControllerMessage`, folds them with `applyUpdate` and turns the map into host
 * config with `translate`, which the router validates. Arbitrary frames never throw past
 * validation; valid maps round-trip. `VPCMESH_TEST_SEED` replays a run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { hasCode } from '@vpcmesh/common'
import { normalizeRouterConfig } from '@vpcmesh/linuxnet'
import {
  ControllerMessage,
  type Delta,
  decodeControllerMessage,
  encodeMessage,
  type MeshNode,
  type NetMap,
  type Snapshot,
} from '@vpcmesh/protocol'
import { applyUpdate } from '../src/control/netmap-state.js'
import { resolveEndpoint } from '../src/runtime/endpoint-resolver.js'
import { translate } from '../src/runtime/translate.js'

const SEED = process.env.VPCMESH_TEST_SEED ? Number(process.env.VPCMESH_TEST_SEED) : undefined
const RUNS: fc.Parameters<unknown> = { numRuns: 300, ...(SEED === undefined ? {} : { seed: SEED }) }
const PRIVATE = Buffer.alloc(32, 7).toString('base64')
/** Name lookups fail: the test never touches the network. */
const noLookup = async (): Promise<string> => {
  throw new Error('no DNS in this test')
}

const octet = fc.integer({ min: 0, max: 255 })
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'))
/** Canonical IPv4 prefixes /8-/24 (the schema takes any text; these are what a controller stores). */
const cidr = fc
  .tuple(octet, octet, fc.integer({ min: 8, max: 24 }))
  .map(([a, b, bits]) => `${a}.${bits >= 16 ? b : 0}.0.0/${bits}`)
const node: fc.Arbitrary<MeshNode> = fc.record(
  {
    id: fc.stringMatching(/^vpc_[0-9a-f]{12}$/),
    name: fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/),
    cidrs: fc.array(cidr, { maxLength: 3 }),
    routes: fc.array(cidr, { maxLength: 2 }),
    endpoint: fc.tuple(ipv4, fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`),
    publicKey: fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'))),
    masquerade: fc.boolean(),
  },
  { noNullPrototype: true },
)
const peers = fc.uniqueArray(node, { selector: (n) => n.id, maxLength: 8 })
const snapshot: fc.Arbitrary<Snapshot> = fc.record(
  {
    type: fc.constant('snapshot' as const),
    version: fc.nat(),
    self: node,
    peers,
  },
  { noNullPrototype: true },
)

/** What the agent does with a decoded update: fold, translate, validate for the router. */
async function consume(frame: string | Buffer, held?: NetMap): Promise<NetMap | undefined> {
  const d = decodeControllerMessage(frame)
  if (!d.ok) {
    assert.equal(typeof d.error, 'string')
    return undefined
  }
  assert.ok(ControllerMessage.safeParse(JSON.parse(frame.toString())).success)
  const m = d.message
  if (m.type !== 'snapshot' && m.type !== 'delta') return undefined
  const map = applyUpdate(held, m)
  if (map === undefined) return undefined
  const endpoints = new Map(
    await Promise.all(map.peers.map(async (p) => [p.id, await resolveEndpoint(p.endpoint, noLookup)] as const)),
  )
  const cfg = translate(map, endpoints, { privateKey: PRIVATE, tunName: 'vpcmesh0', mtu: 1420 })
  try {
    normalizeRouterConfig(cfg.router)
  } catch (e) {
    assert.ok(hasCode(e) && e.code === 'VPCMESH_ERR_LINUXNET_CONFIG', `router config threw ${String(e)}`)
  }
  return map
}

/** `value` with the node at a random path replaced by `junk`. */
function mutate(value: unknown, path: number[], junk: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return junk
  const keys = Object.keys(value)
  if (keys.length === 0) return junk
  const k = keys[path[0]! % keys.length]!
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as never) : { ...value }
  copy[k] = mutate((value as Record<string, unknown>)[k], path.slice(1), junk)
  return copy
}

test('arbitrary frames never throw past decoding, folding and translation', async () => {
  const frame = fc.oneof(
    fc.string(),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc
      .tuple(snapshot, fc.array(fc.nat(), { maxLength: 4 }), fc.jsonValue())
      .map(([s, path, junk]) => JSON.stringify(mutate(s, path, junk))),
    snapshot.map((s) => encodeMessage(s).slice(0, Math.floor(encodeMessage(s).length / 2))),
  )
  await fc.assert(
    fc.asyncProperty(frame, async (f) => {
      await consume(f)
    }),
    RUNS,
  )
})

test('valid snapshots round-trip through encode and decode and translate cleanly', async () => {
  await fc.assert(
    fc.asyncProperty(snapshot, async (s) => {
      const d = decodeControllerMessage(encodeMessage(s))
      assert.ok(d.ok)
      assert.deepEqual(d.message, s)
      const map = await consume(encodeMessage(s))
      assert.ok(map !== undefined)
      assert.deepEqual(
        map.peers.map((p) => p.id),
        s.peers.map((p) => p.id).sort(),
      )
      const endpoints = new Map(map.peers.map((p) => [p.id, null]))
      const cfg = translate(map, endpoints, { privateKey: PRIVATE, tunName: 'vpcmesh0', mtu: 1420 })
      assert.equal(cfg.dataplane.peers.length, s.peers.filter((p) => p.publicKey !== null).length)
      assert.deepEqual(
        cfg.router.routes,
        map.peers.flatMap((p) => [...p.cidrs, ...p.routes]),
      )
      normalizeRouterConfig(cfg.router)
    }),
    RUNS,
  )
})

test('a delta between two maps, encoded and decoded, turns the first into the second', () => {
  fc.assert(
    fc.property(snapshot, snapshot, (a, b) => {
      const held = applyUpdate(undefined, a)
      assert.ok(held !== undefined)
      const bIds = new Set(b.peers.map((p) => p.id))
      const delta: Delta = {
        type: 'delta',
        fromVersion: a.version,
        version: a.version + 1,
        self: b.self,
        upsert: b.peers,
        remove: a.peers.filter((p) => !bIds.has(p.id)).map((p) => p.id),
      }
      const d = decodeControllerMessage(encodeMessage(delta))
      assert.ok(d.ok && d.message.type === 'delta')
      const next = applyUpdate(held, d.message)
      const want = applyUpdate(undefined, { ...b, version: a.version + 1 })
      assert.deepEqual(next, want)
      assert.equal(applyUpdate(held, { ...d.message, fromVersion: a.version + 1 }), undefined, 'wrong base')
    }),
    RUNS,
  )
})
