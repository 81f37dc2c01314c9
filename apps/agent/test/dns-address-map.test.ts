import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { parsePrefix } from '@vpcmesh/cidr'
import { translateAddress } from '../src/dns/address-map.js'

const m = (from: string, to: string) => ({ from: parsePrefix(from), to: parsePrefix(to) })

describe('dns answer address translation', () => {
  const maps = [m('10.0.0.0/24', '242.1.0.0/24'), m('10.1.0.0/20', '242.2.16.0/20'), m('fd00:a::/64', 'fd00:b::/64')]

  test('keeps host bits and replaces network bits, IPv4 and IPv6', () => {
    assert.equal(translateAddress('10.0.0.7', maps), '242.1.0.7')
    assert.equal(translateAddress('10.1.15.255', maps), '242.2.31.255')
    assert.equal(translateAddress('fd00:a::7:1', maps), 'fd00:b::7:1')
  })

  test('leaves addresses outside every prefix, and non-addresses, alone', () => {
    assert.equal(translateAddress('10.0.1.7', maps), undefined)
    assert.equal(translateAddress('fd00:c::1', maps), undefined)
    assert.equal(translateAddress('not-an-address', maps), undefined)
    assert.equal(translateAddress('10.0.0.7', []), undefined)
  })

  test('is 1:1 over a whole /24', () => {
    const out = new Set<string>()
    for (let i = 0; i < 256; i++) out.add(translateAddress(`10.0.0.${i}`, maps)!)
    assert.equal(out.size, 256)
    assert.ok([...out].every((a) => a.startsWith('242.1.0.')))
  })
})
