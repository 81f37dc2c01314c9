import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseEndpoint, formatEndpoint } from '../src/endpoint.js'
import { HostPort } from '../src/host-port.js'

test('parseEndpoint accepts IPv4, names and bracketed IPv6', () => {
  assert.deepEqual(parseEndpoint('203.0.113.10:51820'), { host: '203.0.113.10', port: 51820 })
  assert.deepEqual(parseEndpoint('edge.example.com:1'), { host: 'edge.example.com', port: 1 })
  assert.deepEqual(parseEndpoint('[2001:db8::1]:65535'), { host: '2001:db8::1', port: 65535 })
  assert.equal(formatEndpoint({ host: '2001:db8::1', port: 7 }), '[2001:db8::1]:7')
  assert.equal(formatEndpoint({ host: '10.0.0.1', port: 7 }), '10.0.0.1:7')
})

test('parseEndpoint explains what is wrong', () => {
  const bad: Array<[string, RegExp]> = [
    ['10.0.0.1', /must be host:port/],
    ['10.0.0.1:0', /use 1-65535/],
    ['10.0.0.1:70000', /use 1-65535/],
    ['300.1.1.1:80', /invalid host/],
    ['2001:db8::1:80', /must be host:port/],
    ['[zz]:80', /invalid IPv6/],
    ['-bad-.com:80', /invalid host/],
    ['', /must be host:port/],
  ]
  for (const [input, why] of bad) {
    const r = parseEndpoint(input)
    assert.equal(typeof r, 'string', input)
    assert.match(r as string, why, input)
  }
})

test('HostPort accepts what parseEndpoint accepts and reports its explanation', () => {
  assert.equal(HostPort.parse('127.0.0.1:7701'), '127.0.0.1:7701')
  assert.equal(HostPort.parse('[::1]:7700'), '[::1]:7700')
  const r = HostPort.safeParse('10.0.0.1:0')
  assert.equal(r.success, false)
  assert.match(r.error?.issues[0]?.message ?? '', /use 1-65535/)
})
