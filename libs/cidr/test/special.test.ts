import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePrefix } from '../src/prefix.js'
import { specialRangeProblem } from '../src/special.js'

const problem = (text: string): string | undefined => specialRangeProblem(parsePrefix(text))

test('special ranges: default routes, loopback, link-local, multicast and broadcast are refused with the reason', () => {
  assert.match(problem('0.0.0.0/0') ?? '', /default route/)
  assert.match(problem('::/0') ?? '', /default route/)
  assert.match(problem('127.0.0.0/8') ?? '', /loopback/)
  assert.match(problem('127.0.0.1/32') ?? '', /loopback/)
  assert.match(problem('169.254.0.0/16') ?? '', /link-local \(cloud metadata\)/)
  assert.match(problem('169.254.169.254/32') ?? '', /link-local/)
  assert.match(problem('224.0.0.0/4') ?? '', /multicast/)
  assert.match(problem('239.1.0.0/16') ?? '', /multicast/)
  assert.match(problem('255.255.255.255/32') ?? '', /broadcast/)
  assert.match(problem('0.0.0.0/8') ?? '', /this-network/)
  assert.match(problem('::1/128') ?? '', /loopback/)
  assert.match(problem('fe80::/64') ?? '', /link-local/)
  assert.match(problem('ff02::/16') ?? '', /multicast/)
})

test('special ranges: a prefix containing a special range is refused too (128.0.0.0/1 holds multicast)', () => {
  assert.match(problem('128.0.0.0/1') ?? '', /169\.254\.0\.0\/16 \(link-local/)
  assert.match(problem('192.0.0.0/2') ?? '', /224\.0\.0\.0\/4 \(multicast\)/)
  assert.match(problem('0.0.0.0/1') ?? '', /0\.0\.0\.0\/8/)
  assert.match(problem('::/1') ?? '', /::\/128/)
})

test('special ranges: IPv4-mapped IPv6 is refused with a hint to use the IPv4 form', () => {
  assert.match(problem('::ffff:10.1.0.0/120') ?? '', /IPv4-mapped.*register the IPv4 form/)
})

test('special ranges: ordinary private and public prefixes pass', () => {
  for (const ok of [
    '10.0.0.0/8',
    '10.1.0.0/16',
    '172.16.0.0/12',
    '192.168.1.0/24',
    '100.64.0.0/10',
    '203.0.113.0/24',
    'fd00::/8',
    'fd00:1::/64',
    '2001:db8::/32',
  ]) {
    assert.equal(problem(ok), undefined, ok)
  }
})
