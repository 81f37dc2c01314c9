// The hop builders of `vpcmesh explain` (apps/controller/src/explain/*-hop*.ts): verdicts,
// evidence and fixes from probe outcomes. Pure.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ProbeOutcome } from '@vpcmesh/protocol'
import { dnsHop } from '../../src/explain/dns-hop.js'
import { locate } from '../../src/explain/flow.js'
import { forwardHop } from '../../src/explain/forward-hop.js'
import { mergeHop, summarize } from '../../src/explain/hop-verdicts.js'
import { mtuHop } from '../../src/explain/mtu-hop.js'
import { natHop } from '../../src/explain/nat-hop.js'
import { routeHop } from '../../src/explain/route-hops.js'
import { tunnelHop } from '../../src/explain/tunnel-hop.js'
import { routeEntries } from '../../src/mesh/route-lookup.js'
import { A, B, CLAMP, G1, G2, ok, peer, result } from './explain-fixtures.js'

const silent: ProbeOutcome = { ok: false, reason: 'agent did not answer within 5000 ms' }

test('route: present into the TUN is ok; missing, elsewhere or skipped is broken with a fix', () => {
  const good = routeHop('route', 'a', '10.2.0.0/24', ok(result(['10.2.0.0/24'], [])))
  assert.deepEqual(good, {
    hop: 'route',
    vpc: 'a',
    verdict: 'ok',
    evidence: ['10.2.0.0/24 dev vpcmesh0 in table 52 (kernel, read now)'],
  })
  const gone = routeHop(
    'route',
    'a',
    '10.2.0.0/24',
    ok(result([], [], { routes: [{ prefix: '10.2.0.0/24', dev: null, type: null }] })),
  )
  assert.equal(gone.verdict, 'broken')
  assert.deepEqual(gone.evidence, ['no route for 10.2.0.0/24 in table 52 (kernel, read now)'])
  assert.match(gone.fix ?? '', /`ip route replace 10\.2\.0\.0\/24 dev vpcmesh0 table 52 proto 112`/)
  const thrown = routeHop(
    'route-back',
    'b',
    '10.1.0.0/24',
    ok(result([], [], { routes: [{ prefix: '10.1.0.0/24', dev: null, type: 'throw' }] })),
  )
  assert.deepEqual(thrown.evidence, ['10.1.0.0/24 in table 52 is throw, not into vpcmesh0'])
  const skipped = routeHop(
    'route',
    'a',
    '10.2.0.0/24',
    ok(
      result([], [], {
        skippedRoutes: [{ prefix: '10.2.0.0/24', reason: 'operator', detail: 'main has it via eth1' }],
      }),
    ),
  )
  assert.equal(skipped.verdict, 'broken')
  assert.match(skipped.fix ?? '', /operator's and wins/)
  assert.equal(routeHop('route', 'a', '10.2.0.0/24', silent).verdict, 'unknown')
})

test('tunnel: up both ways is ok; a side hearing nothing is broken and names the direction', () => {
  const aSees = (up: boolean) => ({
    from: 'a',
    to: 'b',
    peerId: B.id,
    outcome: ok(result([], [], { peers: [peer(B.id, up)] })),
  })
  const bSees = (up: boolean) => ({
    from: 'b',
    to: 'a',
    peerId: A.id,
    outcome: ok(result([], [], { peers: [peer(A.id, up)] })),
  })
  const both = tunnelHop(aSees(true), bSees(true))
  assert.equal(both.verdict, 'ok')
  assert.deepEqual(both.evidence, [
    'tunnel a → b up: last handshake 4 s ago, RTT 0.4 ms, endpoint 198.51.100.2:51820, rx 5 packets',
    'tunnel b → a up: last handshake 4 s ago, RTT 0.4 ms, endpoint 198.51.100.2:51820, rx 5 packets',
  ])
  const oneWay = tunnelHop(aSees(true), bSees(false))
  assert.equal(oneWay.verdict, 'broken')
  assert.ok(oneWay.evidence.includes('b receives nothing authenticated from a'))
  assert.match(oneWay.fix ?? '', /packets from a to b do not arrive/)
  const noPeer = tunnelHop({ ...aSees(true), outcome: ok(result([], [])) }, bSees(true))
  assert.match(noPeer.evidence[0] ?? '', /has no tunnel peer vpc_0000000000b2/)
  assert.equal(tunnelHop(aSees(true), { ...bSees(true), outcome: silent }).verdict, 'unknown')
})

test('nat: none for local VPCs; SNAT and DNAT rules checked by the index of the global prefix', () => {
  const entries = routeEntries([A, B, G1, G2])
  const local = locate([A, B], routeEntries([A, B]), { src: '10.1.0.5', dst: '10.2.0.7' }, () => true).flow
  assert.ok(local !== undefined)
  assert.equal(natHop(local.src, local.dst, silent, silent), undefined)
  const flow = locate([A, B, G1, G2], entries, { src: '10.0.0.9', dst: '242.0.2.3', srcVpc: 'g1' }, () => true).flow
  assert.ok(flow !== undefined)
  const snat = ok(
    result([], [], {
      nft: {
        table: true,
        comments: ['vpcmesh:global-snat-v4-0:f', 'vpcmesh:global-dnat-v4-0:f'],
        localSet: [],
        foreignDrops: [],
      },
    }),
  )
  const dnatLoaded = ok(
    result([], [], { nft: { table: true, comments: ['vpcmesh:global-dnat-v4-1:f'], localSet: [], foreignDrops: [] } }),
  )
  const good = natHop(flow.src, flow.dst, snat, dnatLoaded)
  assert.equal(good?.verdict, 'ok')
  assert.deepEqual(good?.evidence, [
    'source 10.0.0.9 → 242.0.0.9 leaving VPC g1 (10.0.0.0/24 ↔ 242.0.0.0/24)',
    'rule vpcmesh:global-snat-v4-0 loaded',
    'destination 242.0.2.3 → 10.5.0.3 entering VPC g2 (10.5.0.0/24 ↔ 242.0.2.0/24)',
    'rule vpcmesh:global-dnat-v4-1 loaded',
  ])
  const missing = natHop(flow.src, flow.dst, snat, snat)
  assert.equal(missing?.verdict, 'broken')
  assert.equal(missing?.vpc, undefined)
  assert.ok(missing?.evidence.includes('rule vpcmesh:global-dnat-v4-1 NOT loaded'))
  assert.match(missing?.fix ?? '', /agent of g2 has not loaded its global NAT rules/)
})

test('mtu: the clamp on both agents; missing matters for tcp only', () => {
  const good = ok(result([], []))
  const bare = ok(
    result([], [], { nft: { table: true, comments: [CLAMP[0] as string], localSet: [], foreignDrops: [] } }),
  )
  assert.equal(mtuHop({ vpc: 'a', outcome: good }, { vpc: 'b', outcome: good }, undefined).verdict, 'ok')
  const tcp = mtuHop({ vpc: 'a', outcome: good }, { vpc: 'b', outcome: bare }, 'tcp')
  assert.equal(tcp.verdict, 'broken')
  assert.equal(tcp.vpc, undefined)
  assert.ok(
    tcp.evidence.includes('b: TUN vpcmesh0 MTU 1420, MSS clamp rules missing: vpcmesh:mss-in-v6, vpcmesh:mss-out'),
  )
  assert.equal(mtuHop({ vpc: 'a', outcome: good }, { vpc: 'b', outcome: bare }, 'udp').verdict, 'ok')
  const small = ok(result([], [], { tun: { name: 'vpcmesh0', mtu: 1280 } }))
  assert.ok(
    mtuHop({ vpc: 'a', outcome: good }, { vpc: 'b', outcome: small }, 'icmp').evidence.some((e) =>
      /MTUs differ/.test(e),
    ),
  )
})

test('forward: forwarding, the policy set and foreign drop chains, on both agents', () => {
  const side = (vpc: string, local: string, outcome: ProbeOutcome) => ({ vpc, local, outcome })
  const aOk = side('a', '10.1.0.5', ok(result([], ['10.1.0.0/24'])))
  const bOk = side('b', '10.2.0.7', ok(result([], ['10.2.0.0/24', '10.2.1.7/32'])))
  assert.equal(forwardHop(bOk, aOk).verdict, 'ok')
  const off = forwardHop(
    side('b', '10.2.0.7', ok(result([], ['10.2.0.0/24'], { forwarding: { ipv4: false, ipv6: true } }))),
    aOk,
  )
  assert.deepEqual([off.verdict, off.evidence[0]], ['broken', 'b: net.ipv4.ip_forward = 0'])
  assert.match(off.fix ?? '', /sysctl -w net\.ipv4\.ip_forward=1/)
  const outside = forwardHop(side('b', '10.2.9.9', ok(result([], ['10.2.0.0/24']))), aOk)
  assert.match(outside.evidence[0] ?? '', /10\.2\.9\.9 is not in the mesh policy set/)
  const docker = { family: 'ip', table: 'filter', chain: 'FORWARD', acceptsFromTun: false, acceptsToTun: false }
  const dropped = forwardHop(
    side(
      'b',
      '10.2.0.7',
      ok(
        result([], ['10.2.0.0/24'], {
          nft: { table: true, comments: [], localSet: ['10.2.0.0/24'], foreignDrops: [docker] },
        }),
      ),
    ),
    aOk,
  )
  assert.deepEqual(dropped.evidence, [
    'b: table ip filter chain FORWARD (hook forward, policy drop) has no accept for vpcmesh0',
    'a: forwarding on, 10.1.0.5 allowed by the mesh policy',
  ])
  assert.equal(
    dropped.fix,
    'on the agent host of b: `iptables -I FORWARD -i vpcmesh0 -j ACCEPT && iptables -I FORWARD -o vpcmesh0 -j ACCEPT`',
  )
  const nftChain = { family: 'inet', table: 'fw', chain: 'fwd', acceptsFromTun: true, acceptsToTun: false }
  const srcSide = forwardHop(
    bOk,
    side(
      'a',
      '10.1.0.5',
      ok(
        result([], ['10.1.0.0/24'], {
          nft: { table: true, comments: [], localSet: ['10.1.0.0/24'], foreignDrops: [nftChain] },
        }),
      ),
    ),
  )
  assert.equal(srcSide.vpc, undefined)
  assert.match(
    srcSide.fix ?? '',
    /nft insert rule inet fw fwd iifname "vpcmesh0" accept && nft insert rule inet fw fwd oifname "vpcmesh0" accept/,
  )
  const allowed = { ...docker, acceptsFromTun: true, acceptsToTun: true }
  const fine = forwardHop(
    side(
      'b',
      '10.2.0.7',
      ok(result([], [], { nft: { table: true, comments: [], localSet: ['10.2.0.0/24'], foreignDrops: [allowed] } })),
    ),
    aOk,
  )
  assert.equal(fine.verdict, 'ok')
  assert.ok(fine.evidence.includes('b: ip filter FORWARD (policy drop) accepts vpcmesh0'))
  const noTable = forwardHop(
    side('b', '10.2.0.7', ok(result([], [], { nft: { table: false, comments: [], localSet: [], foreignDrops: [] } }))),
    aOk,
  )
  assert.equal(noTable.evidence[0], 'b: table inet vpcmesh missing')
  assert.equal(forwardHop(side('b', '10.2.0.7', silent), aOk).verdict, 'unknown')
})

test('dns: the answer, the serving zone, or broken with a fix', () => {
  const answer = (addresses: string[], error: string | null) =>
    ok(result([], [], { dns: { name: 'db.corp.internal', via: 'forwarder', server: '10.1.0.1:53', addresses, error } }))
  const good = dnsHop([A, B], 'a', 'db.corp.internal', answer(['fd00:2::7', '10.2.0.77'], null))
  assert.equal(good.address, '10.2.0.77')
  assert.deepEqual(good.hop.evidence, [
    "db.corp.internal → fd00:2::7, 10.2.0.77 via the agent's DNS forwarder 10.1.0.1:53",
    'zone corp.internal of VPC b (server 10.2.0.53)',
  ])
  const bad = dnsHop([A, B], 'a', 'db.corp.internal', answer([], 'queryA ESERVFAIL'))
  assert.equal(bad.hop.verdict, 'broken')
  assert.equal(bad.address, undefined)
  assert.match(bad.hop.fix ?? '', /check that 10\.2\.0\.53 answers for corp\.internal inside VPC b/)
  assert.equal(dnsHop([A, B], 'a', 'x.example', silent).hop.verdict, 'unknown')
})

test('summarize and mergeHop: broken wins over unknown over ok; first broken named', () => {
  const h = (hop: 'route' | 'tunnel' | 'mtu', verdict: 'ok' | 'broken' | 'unknown') => ({ hop, verdict, evidence: [] })
  assert.deepEqual(summarize([h('route', 'ok'), h('tunnel', 'unknown'), h('mtu', 'broken')]), {
    verdict: 'broken',
    firstBroken: 'mtu',
  })
  assert.deepEqual(summarize([h('route', 'ok'), h('tunnel', 'unknown')]), { verdict: 'unknown', firstBroken: null })
  assert.deepEqual(summarize([h('route', 'ok')]), { verdict: 'ok', firstBroken: null })
  const merged = mergeHop('mtu', [
    { hop: 'mtu', vpc: 'a', verdict: 'unknown', evidence: ['x'], fix: 'u' },
    { hop: 'mtu', vpc: 'b', verdict: 'broken', evidence: ['y'], fix: 'b' },
  ])
  assert.deepEqual(merged, { hop: 'mtu', verdict: 'broken', evidence: ['x', 'y'], fix: 'b' })
})
