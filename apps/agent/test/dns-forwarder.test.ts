import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { Answer } from 'dns-packet'
import { answerData, mustResolve, mustTcpQueries, mustUdpQuery, query, rcodeOf } from './dns/client.js'
import { FakeDnsServer } from './dns/fake-dns-server.js'
import { type StartedForwarder, mustStartForwarder, queries } from './dns/harness.js'

const soa = (name: string): Answer => ({
  type: 'SOA',
  name,
  ttl: 30,
  data: {
    mname: `ns.dns.${name}`,
    rname: `hostmaster.${name}`,
    serial: 1,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: 30,
  },
})
const a = (name: string, data: string): Answer => ({ type: 'A', name, ttl: 5, data })

const bigTxt: Answer[] = Array.from({ length: 12 }, (_, i) => ({
  type: 'TXT',
  name: 'big.example.com',
  ttl: 5,
  data: `record ${i} ${'x'.repeat(90)}`,
}))

describe('dns forwarder: routing, rewriting, transports', () => {
  let zoneB: FakeDnsServer
  let zoneDeep: FakeDnsServer
  let upstream: FakeDnsServer
  let f: StartedForwarder

  before(async () => {
    zoneB = await FakeDnsServer.start({
      records: new Map<string, Answer[]>([
        [
          'db.ns.svc.cluster.local',
          [
            a('db.ns.svc.cluster.local', '10.0.0.7'),
            { type: 'AAAA', name: 'db.ns.svc.cluster.local', data: 'fd00:a::7' },
          ],
        ],
        [
          'alias.ns.svc.cluster.local',
          [
            { type: 'CNAME', name: 'alias.ns.svc.cluster.local', data: 'db.ns.svc.cluster.local' },
            a('db.ns.svc.cluster.local', '10.0.0.7'),
          ],
        ],
        ['outside.ns.svc.cluster.local', [a('outside.ns.svc.cluster.local', '10.9.9.9')]],
      ]),
      authorities: [soa('cluster.local')],
    })
    zoneDeep = await FakeDnsServer.start({
      records: new Map([['x.deep.b.cluster.local', [a('x.deep.b.cluster.local', '10.1.1.1')]]]),
    })
    upstream = await FakeDnsServer.start({
      records: new Map<string, Answer[]>([
        ['example.com', [a('example.com', '192.0.2.10')]],
        ['big.example.com', bigTxt],
      ]),
      behaviour: new Map([['tc.example.com', 'truncate-udp']]),
    })
    upstream.zone.records.set('tc.example.com', [a('tc.example.com', '192.0.2.11')])
    f = await mustStartForwarder({
      zones: [
        {
          zone: 'b.cluster.local',
          rewriteTo: 'cluster.local',
          servers: [zoneB.endpoint],
          rewriteAnswers: [
            { from: '10.0.0.0/24', to: '242.1.0.0/24' },
            { from: 'fd00:a::/64', to: 'fd00:b::/64' },
          ],
        },
        { zone: 'deep.b.cluster.local', servers: [zoneDeep.endpoint] },
      ],
      upstream: [upstream.endpoint],
    })
  })

  after(async () => {
    await f.forwarder.stop()
    await Promise.all([zoneB.stop(), zoneDeep.stop(), upstream.stop()])
  })

  test('routes by longest suffix on label boundaries, else upstream', async () => {
    const deep = await mustUdpQuery(f.port, query('x.deep.b.cluster.local'))
    assert.deepEqual(answerData(deep), ['10.1.1.1'])
    assert.equal(zoneDeep.seen.at(-1)?.name, 'x.deep.b.cluster.local')

    await mustUdpQuery(f.port, query('DB.ns.svc.B.Cluster.Local'))
    assert.equal(zoneB.seen.at(-1)?.name, 'db.ns.svc.cluster.local')

    const xb = await mustUdpQuery(f.port, query('xb.cluster.local'))
    assert.equal(rcodeOf(xb), 'NXDOMAIN')
    assert.equal(upstream.seen.at(-1)?.name, 'xb.cluster.local')
    const ex = await mustUdpQuery(f.port, query('example.com'))
    assert.deepEqual(answerData(ex), ['192.0.2.10'])
    assert.equal(queries(f.metrics, 'upstream', 'nxdomain'), 1)
    assert.equal(queries(f.metrics, 'upstream', 'ok'), 1)
    assert.equal(queries(f.metrics, 'deep.b.cluster.local', 'ok'), 1)
  })

  test('renames the zone both ways, CNAME targets too, and translates A answers', async () => {
    const q = query('Alias.ns.svc.b.cluster.local')
    const r = await mustUdpQuery(f.port, q)
    assert.equal(r.id, q.id)
    assert.deepEqual(r.questions, [{ name: 'Alias.ns.svc.b.cluster.local', type: 'A', class: 'IN' }])
    const answers = (r.answers ?? []).map((x) => [x.type, x.name, (x as { data: unknown }).data])
    assert.deepEqual(answers, [
      ['CNAME', 'alias.ns.svc.b.cluster.local', 'db.ns.svc.b.cluster.local'],
      ['A', 'db.ns.svc.b.cluster.local', '242.1.0.7'],
    ])
    const auth = r.authorities?.[0] as { name: string; data: { mname: string; rname: string } }
    assert.deepEqual(
      [auth.name, auth.data.mname, auth.data.rname],
      ['b.cluster.local', 'ns.dns.b.cluster.local', 'hostmaster.b.cluster.local'],
    )
  })

  test('translates AAAA answers and leaves addresses outside the prefixes alone', async () => {
    const six = await mustUdpQuery(f.port, query('db.ns.svc.b.cluster.local', 'AAAA', 1232))
    assert.deepEqual(answerData(six), ['fd00:b::7'])
    assert.equal(zoneB.seen.at(-1)?.udpSize, 1232, 'the OPT record is forwarded')
    assert.deepEqual(
      six.additionals?.map((r) => r.type),
      ['OPT'],
      'and survives the rewrite',
    )
    const out = await mustUdpQuery(f.port, query('outside.ns.svc.b.cluster.local'))
    assert.deepEqual(answerData(out), ['10.9.9.9'])
    const nx = await mustUdpQuery(f.port, query('nope.ns.svc.b.cluster.local'))
    assert.equal(rcodeOf(nx), 'NXDOMAIN')
    assert.equal(nx.authorities?.[0]?.name, 'b.cluster.local')
    assert.equal(queries(f.metrics, 'b.cluster.local', 'nxdomain'), 1)
  })

  test('truncates an answer over 512 bytes without EDNS0; the client gets it over TCP', async () => {
    const q = query('big.example.com', 'TXT')
    const { answer, viaTcp } = await mustResolve(f.port, q)
    assert.equal(viaTcp, true)
    assert.equal(answer.id, q.id)
    assert.equal(answer.answers?.length, 12)
    assert.deepEqual(
      upstream.seen.filter((s) => s.name === 'big.example.com').map((s) => s.transport),
      ['udp', 'tcp'],
    )
    assert.equal(queries(f.metrics, 'upstream', 'truncated'), 1)
  })

  test('keeps the client OPT record and answers in full when EDNS0 allows it', async () => {
    const { answer, viaTcp } = await mustResolve(f.port, query('big.example.com', 'TXT', 4096))
    assert.equal(viaTcp, false)
    assert.equal(answer.answers?.length, 12)
    assert.equal(upstream.seen.at(-1)?.udpSize, 4096)
    const small = await mustResolve(f.port, query('big.example.com', 'TXT', 1000))
    assert.equal(small.viaTcp, true, 'over the advertised 1000 bytes')
  })

  test('relays a truncated upstream answer so the client retries over TCP', async () => {
    const { answer, viaTcp } = await mustResolve(f.port, query('tc.example.com'))
    assert.equal(viaTcp, true)
    assert.deepEqual(answerData(answer), ['192.0.2.11'])
  })

  test('answers two queries pipelined on one TCP connection', async () => {
    const q1 = query('db.ns.svc.b.cluster.local')
    const q2 = query('example.com')
    const answers = await mustTcpQueries(f.port, [q1, q2])
    const byId = new Map(answers.map((x) => [x.id, x]))
    assert.deepEqual(answerData(byId.get(q1.id)!), ['242.1.0.7'])
    assert.deepEqual(answerData(byId.get(q2.id)!), ['192.0.2.10'])
    assert.equal(zoneB.seen.at(-1)?.transport, 'tcp')
  })

  test('uses its own upstream ids and observes durations per zone', async () => {
    const q = query('example.com')
    q.id = 4242
    const before = upstream.seen.length
    await mustUdpQuery(f.port, q)
    await mustUdpQuery(f.port, { ...q })
    const ids = upstream.seen.slice(before).map((s) => s.id)
    assert.equal(ids.length, 2)
    assert.ok(
      ids.some((id) => id !== 4242),
      `upstream ids ${ids} follow the client's`,
    )
    const durations = f.metrics.observations('vpcmesh_agent_dns_query_duration_seconds', { zone: 'upstream' })
    assert.ok(durations.length >= 4 && durations.every((d) => d >= 0 && d < 5))
  })
})
