import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type DecodedPacket, decode, encode } from 'dns-packet'
import { parseDnsForwarderConfig } from '../src/dns/config.js'
import { forwardQuestion, needsRewrite, rewriteAnswer } from '../src/dns/rewrite.js'

const config = parseDnsForwarderConfig({
  listen: { address: '127.0.0.1', port: 0 },
  zones: [
    {
      zone: 'b.cluster.local',
      rewriteTo: 'cluster.local',
      servers: [{ address: '127.0.0.1', port: 53 }],
      rewriteAnswers: [{ from: '10.0.0.0/24', to: '242.1.0.0/24' }],
    },
    { zone: 'plain.example', servers: [{ address: '127.0.0.1', port: 53 }] },
  ],
})
const zone = config.zones[0]!

describe('dns rewrite', () => {
  test('renames the question suffix for forwarding, keeping the client case', () => {
    const q = { name: 'DB.ns.svc.b.cluster.local', type: 'A' as const, class: 'IN' as const }
    assert.equal(forwardQuestion(q, zone).name, 'DB.ns.svc.cluster.local')
    assert.equal(forwardQuestion(q, config.zones[1]), q)
    assert.equal(needsRewrite(zone), true)
    assert.equal(needsRewrite(config.zones[1]), false)
  })

  test('renames record names and name-valued data back, translates A, leaves the rest', () => {
    const packet: DecodedPacket = decode(
      encode({
        id: 1,
        type: 'response',
        questions: [{ name: 'svc.cluster.local', type: 'MX' }],
        answers: [
          { type: 'MX', name: 'svc.cluster.local', data: { preference: 10, exchange: 'mx.cluster.local' } },
          {
            type: 'SRV',
            name: '_h._tcp.svc.cluster.local',
            data: { port: 80, target: 'pod.cluster.local', priority: 0, weight: 0 },
          },
          { type: 'PTR', name: '7.0.0.10.in-addr.arpa', data: 'db.ns.svc.cluster.local' },
          { type: 'CNAME', name: 'ext.cluster.local', data: 'www.example.com' },
          { type: 'A', name: 'db.cluster.local', data: '10.0.0.9' },
        ],
        authorities: [{ type: 'NS', name: 'cluster.local', data: 'ns1.cluster.local' }],
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: 0 } as never],
      }),
    )
    const question = { name: 'SVC.b.cluster.local', type: 'MX' as const, class: 'IN' as const }
    rewriteAnswer(packet, question, zone)
    const out = decode(encode(packet))
    assert.deepEqual(out.questions, [question])
    const rows = (out.answers ?? []).map((r) => [r.name, (r as { data: unknown }).data])
    assert.deepEqual(rows, [
      ['svc.b.cluster.local', { preference: 10, exchange: 'mx.b.cluster.local' }],
      ['_h._tcp.svc.b.cluster.local', { port: 80, target: 'pod.b.cluster.local', priority: 0, weight: 0 }],
      ['7.0.0.10.in-addr.arpa', 'db.ns.svc.b.cluster.local'],
      ['ext.b.cluster.local', 'www.example.com'],
      ['db.b.cluster.local', '242.1.0.9'],
    ])
    assert.deepEqual(
      out.authorities?.map((r) => [r.name, (r as { data: unknown }).data]),
      [['b.cluster.local', 'ns1.b.cluster.local']],
    )
    assert.deepEqual(
      out.additionals?.map((r) => [r.type, r.name]),
      [['OPT', '.']],
    )
  })
})
