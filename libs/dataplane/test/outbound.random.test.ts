// Seeded randomized test of the outbound routing decision against a naive reference
// (wireguard-go allowedips_rand_test.go): random peers own random prefixes, random packets
// of both families, and routePacket must pick what a linear longest-prefix scan picks.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatAddress, RouteTable, type IpFamily, type Prefix } from '@vpcmesh/cidr'
import {
  addressInside,
  mulberry32,
  NaiveRouteTable,
  randomAddress,
  randomPrefix,
  type Prng,
} from '@vpcmesh/cidr/testing'
import { Drop } from '../src/drops.js'
import { routePacket } from '../src/outbound.js'
import type { Peer } from '../src/peer.js'
import { ipv4Packet, ipv6Packet } from '../src/testing/packets.js'

const SEEDS = [1, 42, 0xdecafbad]

/** A packet of `family` to `dst`, placed at a random offset inside a bigger buffer. */
function packetAt(rng: Prng, family: IpFamily, dst: Uint8Array): { buf: Uint8Array; offset: number; length: number } {
  const src = family === 4 ? '192.0.2.1' : '2001:db8::1'
  const p = family === 4 ? ipv4Packet(src, formatAddress(dst)) : ipv6Packet(src, formatAddress(dst))
  const offset = rng.int(64)
  const buf = new Uint8Array(offset + p.length + rng.int(64))
  buf.set(p, offset)
  return { buf, offset, length: p.length }
}

for (const seed of SEEDS) {
  test(`outbound routing matches a naive longest-prefix scan (seed ${seed})`, () => {
    const rng = mulberry32(seed)
    const peers = Array.from({ length: 12 }, (_, i) => ({ id: `p${i}` }) as unknown as Peer)
    const table = new RouteTable<Peer>()
    const naive = new NaiveRouteTable<Peer>()
    const prefixes: Prefix[] = []
    for (let i = 0; i < 300; i++) {
      const family: IpFamily = rng.int(2) === 0 ? 4 : 6
      const prefix = randomPrefix(rng, family, 1, family === 4 ? 32 : 128)
      const peer = peers[rng.int(peers.length)] as Peer
      table.insert(prefix, peer)
      naive.insert(prefix, peer)
      prefixes.push(prefix)
    }
    for (let i = 0; i < 3000; i++) {
      const family: IpFamily = rng.int(2) === 0 ? 4 : 6
      const near: Prefix | undefined = prefixes[rng.int(prefixes.length)]
      const dst: Uint8Array =
        near !== undefined && near.family === family && rng.int(2) === 0
          ? addressInside(rng, near)
          : randomAddress(rng, family)
      const { buf, offset, length } = packetAt(rng, family, dst)
      const want: Peer | number = naive.lookup(dst) ?? -(Drop.no_route + 1)
      assert.equal(routePacket(table, buf, offset, length), want, `seed ${seed} packet ${i} to ${formatAddress(dst)}`)
    }
  })
}

test('outbound routing: truncated, empty and non-IP packets are malformed, never thrown', () => {
  const table = new RouteTable<Peer>()
  const p4 = ipv4Packet('192.0.2.1', '10.0.0.1')
  const malformed = -(Drop.malformed + 1)
  assert.equal(routePacket(table, p4, 0, 19), malformed)
  assert.equal(routePacket(table, p4, 0, 0), malformed)
  assert.equal(routePacket(table, ipv6Packet('::1', '::2'), 0, 39), malformed)
  assert.equal(routePacket(table, Uint8Array.of(0x10, 0, 0), 0, 3), malformed)
  assert.equal(routePacket(table, p4, 0, p4.length), -(Drop.no_route + 1))
})
