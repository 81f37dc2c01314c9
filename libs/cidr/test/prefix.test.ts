import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseAddress } from '../src/address.js'
import { CIDR_ERROR_CODES } from '../src/errors.js'
import { comparePrefixes, parsePrefix, prefixFrom } from '../src/prefix.js'

/** Valid strict input → [canonical text, family, bits]. */
const VALID: Array<[string, string, 4 | 6, number]> = [
  ['10.0.0.0/16', '10.0.0.0/16', 4, 16],
  ['0.0.0.0/0', '0.0.0.0/0', 4, 0],
  ['192.0.2.1/32', '192.0.2.1/32', 4, 32],
  ['172.16.0.0/12', '172.16.0.0/12', 4, 12],
  ['10.0.0.128/25', '10.0.0.128/25', 4, 25],
  ['fd00::/48', 'fd00::/48', 6, 48],
  ['::/0', '::/0', 6, 0],
  ['::1/128', '::1/128', 6, 128],
  ['::/128', '::/128', 6, 128],
  ['FD00:0000::/8', 'fd00::/8', 6, 8],
  ['2001:db8:0:0:1::/80', '2001:db8:0:0:1::/80', 6, 80], // the longer (trailing) zero run is compressed,
  ['::ffff:10.0.0.0/104', '::ffff:10.0.0.0/104', 6, 104],
  ['2001:db8::8000/113', '2001:db8::8000/113', 6, 113],
]

/** Invalid input (any mode) → [code, fragment the message must contain]. */
const INVALID: Array<[string, string, string]> = [
  ['', CIDR_ERROR_CODES.invalid, 'empty input'],
  ['/8', CIDR_ERROR_CODES.invalid, 'empty input'],
  ['10.0.0.0/', CIDR_ERROR_CODES.invalid, 'prefix length ""'],
  ['10.0.0.0/ 8', CIDR_ERROR_CODES.invalid, 'prefix length " 8"'],
  ['10.0.0.0 /8', CIDR_ERROR_CODES.invalid, 'whitespace'],
  ['10.0.0.0/8 ', CIDR_ERROR_CODES.invalid, 'prefix length "8 "'],
  ['10.0.0.0/08', CIDR_ERROR_CODES.invalid, 'leading zeros'],
  ['10.0.0.0/+8', CIDR_ERROR_CODES.invalid, 'decimal number 0-32'],
  ['10.0.0.0/8.0', CIDR_ERROR_CODES.invalid, 'decimal number 0-32'],
  ['10.0.0.0/-1', CIDR_ERROR_CODES.invalid, 'decimal number 0-32'],
  ['10.0.0.0/8/8', CIDR_ERROR_CODES.invalid, 'prefix length "8/8"'],
  ['1.2.3.4/33', CIDR_ERROR_CODES.invalid, 'length 33 is out of range for IPv4 (0-32)'],
  ['1.2.3.4/1000', CIDR_ERROR_CODES.invalid, 'decimal number 0-32'],
  ['::/129', CIDR_ERROR_CODES.invalid, 'length 129 is out of range for IPv6 (0-128)'],
  ['256.0.0.0/8', CIDR_ERROR_CODES.invalid, 'larger than 255'],
  ['010.0.0.0/8', CIDR_ERROR_CODES.invalid, 'leading zero'],
  ['fe80::%eth0/64', CIDR_ERROR_CODES.invalid, 'zone ids'],
  ['garbage', CIDR_ERROR_CODES.invalid, 'exactly four'],
  ['garbage/8', CIDR_ERROR_CODES.invalid, 'exactly four'],
  ['10.0.0.0/abc', CIDR_ERROR_CODES.invalid, 'decimal number'],
  ['fd00:::/48', CIDR_ERROR_CODES.invalid, 'empty group'],
]

/** Asserts `fn` throws a CidrError with `code` whose message quotes `input` and contains `fragment`. */
function assertCidrError(fn: () => unknown, input: string, code: string, fragment: string): void {
  assert.throws(fn, (e: Error & { code?: string; retryable?: boolean }) => {
    assert.equal(e.code, code, `code for ${JSON.stringify(input)}: ${e.message}`)
    assert.equal(e.retryable, false)
    assert.ok(e.message.includes(JSON.stringify(input)), `message quotes input: ${e.message}`)
    assert.ok(e.message.includes(fragment), `message for ${JSON.stringify(input)} mentions "${fragment}": ${e.message}`)
    return true
  })
}

test('parsePrefix accepts canonical prefixes and prints them canonically', () => {
  for (const [input, canonical, family, bits] of VALID) {
    const p = parsePrefix(input)
    assert.equal(p.toString(), canonical, input)
    assert.equal(p.family, family, input)
    assert.equal(p.bits, bits, input)
    assert.equal(p.maxBits, family === 4 ? 32 : 128)
    assert.ok(parsePrefix(canonical).equals(p), `${canonical} round-trips`)
    assert.equal(JSON.stringify({ p }), `{"p":"${canonical}"}`)
  }
})

test('parsePrefix rejects invalid text in strict and non-strict mode', () => {
  for (const [input, code, fragment] of INVALID) {
    assertCidrError(() => parsePrefix(input), input, code, fragment)
    assertCidrError(() => parsePrefix(input, { strict: false }), input, code, fragment)
  }
})

test('strict mode rejects host bits and names the canonical prefix', () => {
  assertCidrError(
    () => parsePrefix('10.0.0.1/16'),
    '10.0.0.1/16',
    CIDR_ERROR_CODES.hostBits,
    'has host bits set; did you mean 10.0.0.0/16?',
  )
  assertCidrError(() => parsePrefix('fd00::1/48'), 'fd00::1/48', CIDR_ERROR_CODES.hostBits, 'did you mean fd00::/48?')
  assertCidrError(() => parsePrefix('10.0.0.1/0'), '10.0.0.1/0', CIDR_ERROR_CODES.hostBits, 'did you mean 0.0.0.0/0?')
  assertCidrError(
    () => parsePrefix('10.0.0.129/25'),
    '10.0.0.129/25',
    CIDR_ERROR_CODES.hostBits,
    'did you mean 10.0.0.128/25?',
  )
  assertCidrError(
    () => parsePrefix('10.0.0.1/16'),
    '10.0.0.1/16',
    CIDR_ERROR_CODES.hostBits,
    '10.0.0.1/32 for just that address',
  )
})

test('non-strict mode masks host bits', () => {
  assert.equal(parsePrefix('10.0.0.1/16', { strict: false }).toString(), '10.0.0.0/16')
  assert.equal(parsePrefix('10.255.255.255/9', { strict: false }).toString(), '10.128.0.0/9')
  assert.equal(parsePrefix('fd00::ffff/112', { strict: false }).toString(), 'fd00::/112')
  assert.equal(parsePrefix('2001:db8::1/0', { strict: false }).toString(), '::/0')
})

test('a bare address needs /32 or /128 in strict mode and is a host prefix otherwise', () => {
  assertCidrError(
    () => parsePrefix('10.0.0.1'),
    '10.0.0.1',
    CIDR_ERROR_CODES.invalid,
    'missing "/length"; write 10.0.0.1/32',
  )
  assertCidrError(() => parsePrefix('fd00::1'), 'fd00::1', CIDR_ERROR_CODES.invalid, 'write fd00::1/128')
  assert.equal(parsePrefix('10.0.0.1', { strict: false }).toString(), '10.0.0.1/32')
  assert.equal(parsePrefix('FD00::1', { strict: false }).toString(), 'fd00::1/128')
})

test('prefixFrom copies bytes and applies the same rules', () => {
  const bytes = Uint8Array.from([10, 1, 2, 3])
  const p = prefixFrom(bytes, 32)
  bytes[0] = 99
  assert.equal(p.toString(), '10.1.2.3/32')
  const copy = p.address
  copy[0] = 1
  assert.equal(p.toString(), '10.1.2.3/32', 'address getter returns a copy')
  assert.throws(() => prefixFrom(Uint8Array.from([10, 1, 2, 3]), 8), { code: CIDR_ERROR_CODES.hostBits })
  assert.equal(prefixFrom(Uint8Array.from([10, 1, 2, 3]), 8, { strict: false }).toString(), '10.0.0.0/8')
  for (const bits of [-1, 33, 1.5, Number.NaN]) {
    assert.throws(() => prefixFrom(new Uint8Array(4), bits), { code: CIDR_ERROR_CODES.invalid }, `bits ${bits}`)
  }
  assert.throws(() => prefixFrom(new Uint8Array(5), 8), { code: CIDR_ERROR_CODES.invalid })
})

test('contains addresses and prefixes, never across families', () => {
  const p = parsePrefix('10.0.0.0/8')
  assert.ok(p.contains(parseAddress('10.255.0.1')))
  assert.ok(!p.contains(parseAddress('11.0.0.0')))
  assert.ok(p.contains(parsePrefix('10.1.0.0/16')))
  assert.ok(p.contains(p))
  assert.ok(!parsePrefix('10.1.0.0/16').contains(p))
  assert.ok(!parsePrefix('::/0').contains(parseAddress('10.0.0.1')))
  assert.ok(!parsePrefix('0.0.0.0/0').contains(parseAddress('::ffff:10.0.0.1')))
  assert.ok(!parsePrefix('0.0.0.0/0').contains(parsePrefix('::/0')))
  assert.ok(parsePrefix('::/0').contains(parseAddress('2001:db8::1')))
  assert.ok(parsePrefix('2001:db8::/32').contains(parsePrefix('2001:db8:1::/48')))
  assert.ok(parsePrefix('10.0.0.0/31').contains(parseAddress('10.0.0.1')))
  assert.ok(!parsePrefix('10.0.0.0/32').contains(parseAddress('10.0.0.1')))
})

test('containsAt reads a packet buffer in place and is false past its end', () => {
  const p = parsePrefix('192.168.0.0/16')
  const packet = Uint8Array.from([0, 0, 192, 168, 7, 9])
  assert.ok(p.containsAt(packet, 2))
  assert.ok(!p.containsAt(packet, 1))
  assert.ok(!p.containsAt(packet, 3), 'only 3 bytes left')
  assert.ok(!p.containsAt(packet, -1))
})

test('overlaps is containment either way and false across families', () => {
  const a = parsePrefix('10.0.0.0/8')
  assert.ok(a.overlaps(parsePrefix('10.1.0.0/16')))
  assert.ok(parsePrefix('10.1.0.0/16').overlaps(a))
  assert.ok(a.overlaps(parsePrefix('10.0.0.0/8')))
  assert.ok(!a.overlaps(parsePrefix('11.0.0.0/8')))
  assert.ok(!parsePrefix('10.0.0.0/25').overlaps(parsePrefix('10.0.0.128/25')))
  assert.ok(parsePrefix('0.0.0.0/0').overlaps(a))
  assert.ok(!parsePrefix('0.0.0.0/0').overlaps(parsePrefix('::/0')))
  assert.ok(parsePrefix('fd00::/8').overlaps(parsePrefix('fd12:3456::/32')))
})

test('compare sorts by family, then address, then length; equals matches compare', () => {
  const texts = ['fd00::/8', '10.0.0.0/16', '::/0', '10.0.0.0/8', '9.0.0.0/8', '0.0.0.0/0', '10.0.0.0/32', 'fd00::/16']
  const sorted = texts
    .map((t) => parsePrefix(t))
    .sort(comparePrefixes)
    .map(String)
  assert.deepEqual(sorted, [
    '0.0.0.0/0',
    '9.0.0.0/8',
    '10.0.0.0/8',
    '10.0.0.0/16',
    '10.0.0.0/32',
    '::/0',
    'fd00::/8',
    'fd00::/16',
  ])
  assert.ok(parsePrefix('10.0.0.0/8').equals(parsePrefix('10.0.0.0/8')))
  assert.ok(!parsePrefix('10.0.0.0/8').equals(parsePrefix('10.0.0.0/9')))
  assert.ok(!parsePrefix('0.0.0.0/0').equals(parsePrefix('::/0')))
})

test('prefixes are frozen', () => {
  const p = parsePrefix('10.0.0.0/8')
  assert.ok(Object.isFrozen(p))
  assert.throws(() => {
    ;(p as { bits: number }).bits = 9
  }, TypeError)
})
