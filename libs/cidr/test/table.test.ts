import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseAddress } from '../src/address.js'
import { parsePrefix } from '../src/prefix.js'
import { RouteTable } from '../src/table.js'

/** A table built from `[prefix text, value]` pairs. */
function tableOf(routes: Array<[string, string]>): RouteTable<string> {
  const t = new RouteTable<string>()
  for (const [p, v] of routes) t.insert(parsePrefix(p), v)
  return t
}

/** Lookup by address text. */
const at = (t: RouteTable<string>, addr: string): string | undefined => t.lookup(parseAddress(addr))

test('empty table finds nothing', () => {
  const t = new RouteTable<string>()
  assert.equal(t.size, 0)
  assert.equal(at(t, '10.0.0.1'), undefined)
  assert.equal(at(t, '::1'), undefined)
  assert.deepEqual(t.entries(), [])
})

test('longest prefix wins, per family', () => {
  const t = tableOf([
    ['0.0.0.0/0', 'default'],
    ['10.0.0.0/8', 'a'],
    ['10.1.0.0/16', 'b'],
    ['10.1.2.3/32', 'host'],
    ['::/0', 'v6default'],
    ['fd00::/8', 'c'],
    ['fd00:1::/32', 'd'],
  ])
  assert.equal(at(t, '10.1.2.3'), 'host')
  assert.equal(at(t, '10.1.2.4'), 'b')
  assert.equal(at(t, '10.2.0.0'), 'a')
  assert.equal(at(t, '192.0.2.1'), 'default')
  assert.equal(at(t, 'fd00:1::5'), 'd')
  assert.equal(at(t, 'fd00:2::5'), 'c')
  assert.equal(at(t, '2001:db8::1'), 'v6default')
  assert.equal(at(t, '::ffff:10.1.2.3'), 'v6default', 'IPv4-mapped addresses are IPv6')
  assert.equal(t.size, 7)
})

test('insert replaces an identical prefix and reports whether it was new', () => {
  const t = new RouteTable<string>()
  assert.equal(t.insert(parsePrefix('10.0.0.0/8'), 'a'), true)
  assert.equal(t.insert(parsePrefix('10.0.0.0/8'), 'b'), false)
  assert.equal(t.size, 1)
  assert.equal(at(t, '10.9.9.9'), 'b')
  assert.equal(t.get(parsePrefix('10.0.0.0/8')), 'b')
  assert.equal(t.get(parsePrefix('10.0.0.0/9')), undefined)
})

test('a route can land on a branch point created by two others', () => {
  const t = tableOf([
    ['10.0.0.0/16', 'a'],
    ['10.128.0.0/16', 'b'],
  ])
  assert.equal(at(t, '10.64.0.0'), undefined)
  t.insert(parsePrefix('10.0.0.0/8'), 'branch')
  assert.equal(at(t, '10.64.0.0'), 'branch')
  assert.equal(at(t, '10.128.5.5'), 'b')
  assert.equal(t.size, 3)
})

test('remove deletes exactly one prefix and keeps the rest reachable', () => {
  const t = tableOf([
    ['10.0.0.0/8', 'a'],
    ['10.1.0.0/16', 'b'],
    ['10.1.128.0/17', 'c'],
    ['10.1.0.0/17', 'd'],
  ])
  assert.equal(t.remove(parsePrefix('10.1.0.0/16')), true)
  assert.equal(t.remove(parsePrefix('10.1.0.0/16')), false)
  assert.equal(t.remove(parsePrefix('10.2.0.0/16')), false)
  assert.equal(t.remove(parsePrefix('::/0')), false)
  assert.equal(t.size, 3)
  assert.equal(at(t, '10.1.200.1'), 'c')
  assert.equal(at(t, '10.1.1.1'), 'd')
  assert.equal(t.remove(parsePrefix('10.0.0.0/8')), true)
  assert.equal(at(t, '10.5.0.0'), undefined)
  assert.equal(at(t, '10.1.1.1'), 'd')
  for (const p of ['10.1.128.0/17', '10.1.0.0/17']) t.remove(parsePrefix(p))
  assert.equal(t.size, 0)
  assert.deepEqual(t.entries(), [])
})

test('removeByValue takes a value or a predicate and returns the count', () => {
  const t = tableOf([
    ['10.0.0.0/8', 'peer1'],
    ['10.1.0.0/16', 'peer2'],
    ['fd00::/8', 'peer1'],
    ['192.0.2.0/24', 'peer3'],
  ])
  assert.equal(t.removeByValue('peer1'), 2)
  assert.equal(t.removeByValue('nobody'), 0)
  assert.deepEqual(
    t.entries().map((e) => `${e.prefix.toString()}=${e.value}`),
    ['10.1.0.0/16=peer2', '192.0.2.0/24=peer3'],
  )
  assert.equal(
    t.removeByValue((v, p) => v === 'peer3' && p.bits === 24),
    1,
  )
  assert.equal(t.size, 1)
})

test('entries are sorted: IPv4 first, then address, then length', () => {
  const texts = [
    'fd00::/8',
    '10.1.0.0/16',
    '::/0',
    '10.0.0.0/8',
    '10.0.0.0/16',
    '0.0.0.0/0',
    'fd00::/16',
    '192.0.2.0/24',
  ]
  const t = tableOf(texts.map((p) => [p, p]))
  assert.deepEqual(
    t.entries().map((e) => e.prefix.toString()),
    ['0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/16', '10.1.0.0/16', '192.0.2.0/24', '::/0', 'fd00::/8', 'fd00::/16'],
  )
  assert.ok(t.entries().every((e) => e.value === e.prefix.toString()))
})

test('lookupV4 and lookupV6 read a destination address inside a packet buffer', () => {
  const t = tableOf([
    ['10.1.0.0/16', 'v4peer'],
    ['fd00:1::/32', 'v6peer'],
  ])
  const ipv4 = new Uint8Array(20)
  ipv4.set([10, 1, 2, 3], 16) // IPv4 destination at byte 16 (RFC 791)
  assert.equal(t.lookupV4(ipv4, 16), 'v4peer')
  assert.equal(t.lookup(ipv4, 16, 4), 'v4peer')
  assert.equal(t.lookupV4(ipv4, 12), undefined)
  const ipv6 = new Uint8Array(40)
  ipv6.set(parseAddress('fd00:1::9'), 24) // IPv6 destination at byte 24 (RFC 8200)
  assert.equal(t.lookupV6(ipv6, 24), 'v6peer')
  assert.equal(t.lookupV6(ipv6.subarray(24)), 'v6peer')
  assert.equal(t.lookupV6(ipv6, 8), undefined)
})

test('lookup returns undefined, never throws, for truncated buffers and bad offsets', () => {
  const t = tableOf([
    ['0.0.0.0/0', 'v4'],
    ['::/0', 'v6'],
  ])
  const buf = new Uint8Array(20)
  assert.equal(t.lookupV4(buf, 16), 'v4')
  assert.equal(t.lookupV4(buf, 17), undefined)
  assert.equal(t.lookupV4(buf, -1), undefined)
  assert.equal(t.lookupV4(buf, 1.5), undefined)
  assert.equal(t.lookupV6(buf, 5), undefined)
  assert.equal(t.lookupV6(buf, 4), 'v6')
  assert.equal(t.lookup(buf), undefined, '20 bytes imply no family')
  assert.equal(t.lookup(new Uint8Array(4)), 'v4')
  assert.equal(t.lookup(new Uint8Array(16)), 'v6')
})

test('/0 and full-length routes coexist', () => {
  const t = tableOf([
    ['0.0.0.0/0', 'all'],
    ['255.255.255.255/32', 'last'],
    ['0.0.0.0/32', 'first'],
    ['::/0', 'all6'],
    ['::/128', 'zero6'],
  ])
  assert.equal(at(t, '255.255.255.255'), 'last')
  assert.equal(at(t, '255.255.255.254'), 'all')
  assert.equal(at(t, '0.0.0.0'), 'first')
  assert.equal(at(t, '0.0.0.1'), 'all')
  assert.equal(at(t, '::'), 'zero6')
  assert.equal(at(t, '::1'), 'all6')
})
