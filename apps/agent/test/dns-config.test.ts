import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isCode } from '@vpcmesh/common'
import { parseDnsForwarderConfig } from '../src/dns/config.js'
import { DNS_ERROR_CODES } from '../src/dns/errors.js'

describe('dns forwarder config', () => {
  test('applies defaults, normalizes names and addresses, and freezes', () => {
    const c = parseDnsForwarderConfig({
      listen: { address: '127.0.0.1', port: 0 },
      zones: [
        {
          zone: 'B.Cluster.Local.',
          rewriteTo: 'cluster.local',
          servers: [{ address: '0:0::1', port: 53 }],
          rewriteAnswers: [{ from: '10.0.0.0/24', to: '242.1.0.0/24' }],
        },
      ],
      upstream: [{ address: '10.0.0.2', port: 53 }],
    })
    assert.equal(c.timeoutMs, 2000)
    assert.equal(c.maxInFlight, 1024)
    assert.equal(c.zones[0]!.zone, 'b.cluster.local')
    assert.equal(c.zones[0]!.servers[0]!.address, '::1')
    assert.equal(c.zones[0]!.rewriteAnswers[0]!.to.toString(), '242.1.0.0/24')
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.zones[0]) && Object.isFrozen(c.zones[0]!.servers))
  })

  test('reports every problem at once with VPCMESH_ERR_DNS_CONFIG', () => {
    const bad = () =>
      parseDnsForwarderConfig({
        listen: { address: 'localhost', port: 70_000 },
        zones: [
          { zone: 'a..b', servers: [] },
          {
            zone: 'c.local',
            servers: [{ address: '10.0.0.1', port: 0 }],
            rewriteAnswers: [{ from: '10.0.0.0/24', to: '242.1.0.0/16' }],
          },
          { zone: 'C.local', servers: [{ address: '10.0.0.1', port: 53 }] },
        ],
        timeoutMs: 0,
      })
    assert.throws(bad, (e: unknown) => {
      assert.ok(isCode(e, DNS_ERROR_CODES.config))
      const msg = (e as Error).message
      for (const part of [
        'listen.address',
        'listen.port',
        'zones[0].zone',
        'zones[0].servers',
        'zones[1].servers[0].port',
      ]) {
        assert.ok(msg.includes(part), `${part} in ${msg}`)
      }
      assert.match(msg, /same family and prefix length/)
      assert.match(msg, /c\.local is listed twice/)
      assert.match(msg, /timeoutMs/)
      return true
    })
  })
})
