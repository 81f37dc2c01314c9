import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectFamily, familyOf, formatAddress, parseAddress, parseAddressOf } from '../src/address.js'
import { CIDR_ERROR_CODES } from '../src/errors.js'

/** Valid input → canonical text. */
const VALID: Array<[string, string]> = [
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['192.0.2.1', '192.0.2.1'],
  ['10.0.0.0', '10.0.0.0'],
  ['::', '::'],
  ['::1', '::1'],
  ['1::', '1::'],
  ['0:0:0:0:0:0:0:0', '::'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['2001:DB8::1', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal runs
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
  ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], // longest run wins
  ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
  ['fe80::abcd:ef01', 'fe80::abcd:ef01'],
  ['FD00:0:0:0:0:0:0:0', 'fd00::'],
  ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
  ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
  ['0:0:0:0:0:ffff:10.0.0.1', '::ffff:10.0.0.1'],
  ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
]

/** Invalid input → a fragment the error message must contain. */
const INVALID: Array<[string, string]> = [
  ['', 'empty input'],
  [' 10.0.0.1', 'whitespace'],
  ['10.0.0.1 ', 'whitespace'],
  ['10.0.0.1\n', 'whitespace'],
  ['010.1.1.1', 'leading zero'],
  ['10.01.1.1', 'leading zero'],
  ['00.0.0.0', 'leading zero'],
  ['256.0.0.0', 'larger than 255'],
  ['1.2.3', 'exactly four'],
  ['1.2.3.4.5', 'exactly four'],
  ['1.2.3.', 'octet ""'],
  ['1..3.4', 'octet ""'],
  ['0x0a.0.0.1', 'not a decimal'],
  ['1.2.3.-4', 'not a decimal'],
  ['1.2.3.1000', 'not a decimal'],
  ['167772161', 'exactly four'],
  ['hello', 'exactly four'],
  ['fe80::1%eth0', 'zone ids'],
  ['[::1]', 'only hex digits'],
  ['::g', 'only hex digits'],
  [':::', 'empty group'],
  ['1:::2', 'empty group'],
  [':1::', 'empty group'],
  ['1::2::3', 'only once'],
  ['1:2:3:4:5:6:7', 'needs 8 groups'],
  ['1:2:3:4:5:6:7:8:9', 'needs 8 groups'],
  ['1:2:3:4::5:6:7:8', 'at least one zero group'],
  ['12345::', 'not 1-4 hex digits'],
  [':', 'empty group'],
  ['1.2.3.4::', 'not 1-4 hex digits'],
  ['::1.2.3', 'embedded IPv4'],
  ['::256.1.1.1', 'embedded IPv4'],
  ['1:2:3:4:5:6:7:1.2.3.4', 'needs 8 groups'],
  ['::1.2.3.4:5', 'not 1-4 hex digits'],
]

test('parseAddress accepts valid text and formats it canonically (RFC 5952 for IPv6)', () => {
  for (const [input, canonical] of VALID) {
    const bytes = parseAddress(input)
    assert.equal(formatAddress(bytes), canonical, `input ${input}`)
    assert.deepEqual(parseAddress(canonical), bytes, `canonical ${canonical} round-trips`)
  }
})

test('parseAddress rejects invalid text with VPCMESH_ERR_CIDR_INVALID quoting the input', () => {
  for (const [input, fragment] of INVALID) {
    assert.throws(
      () => parseAddress(input),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, CIDR_ERROR_CODES.invalid, `input ${JSON.stringify(input)}`)
        assert.equal(e.name, 'CidrError')
        assert.ok(e.message.includes(JSON.stringify(input)), `message quotes input: ${e.message}`)
        assert.ok(
          e.message.includes(fragment),
          `message for ${JSON.stringify(input)} mentions "${fragment}": ${e.message}`,
        )
        return true
      },
    )
  }
})

test('IPv4 bytes are network order; IPv4-mapped text stays IPv6', () => {
  assert.deepEqual([...parseAddress('192.0.2.1')], [192, 0, 2, 1])
  const mapped = parseAddress('::ffff:192.0.2.1')
  assert.equal(mapped.length, 16)
  assert.deepEqual([...mapped.subarray(10)], [0xff, 0xff, 192, 0, 2, 1])
})

test('family detection from text and bytes', () => {
  assert.equal(detectFamily('10.0.0.1'), 4)
  assert.equal(detectFamily('::ffff:10.0.0.1'), 6)
  assert.equal(detectFamily('::'), 6)
  assert.equal(detectFamily('10.0.0.256'), undefined)
  assert.equal(detectFamily('10.0.0.0/8'), undefined)
  assert.equal(familyOf(new Uint8Array(4)), 4)
  assert.equal(familyOf(new Uint8Array(16)), 6)
  assert.equal(familyOf(new Uint8Array(5)), undefined)
})

test('parseAddressOf enforces the family', () => {
  assert.deepEqual([...parseAddressOf('1.2.3.4', 4)], [1, 2, 3, 4])
  assert.throws(() => parseAddressOf('::1', 4), /invalid IP address "::1": expected an IPv4 address/)
  assert.throws(() => parseAddressOf('1.2.3.4', 6), /expected an IPv6 address/)
})

test('formatAddress reads an address in place from a larger buffer', () => {
  const packet = Uint8Array.from([0x45, 0, 10, 1, 2, 3, 0xff])
  assert.equal(formatAddress(packet, 2, 4), '10.1.2.3')
  const v6 = new Uint8Array(20)
  v6[3] = 0x20
  v6[4] = 0x01
  v6[18] = 1
  v6[19] = 0xee
  assert.equal(formatAddress(v6, 3, 6), '2001::1')
})

test('formatAddress rejects lengths and offsets that do not fit', () => {
  for (const [buf, offset, family] of [
    [new Uint8Array(5), 0, undefined],
    [new Uint8Array(4), 1, 4],
    [new Uint8Array(16), -1, 6],
  ] as const) {
    assert.throws(() => formatAddress(buf, offset, family), { code: CIDR_ERROR_CODES.invalid })
  }
})
