import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LINUXNET_ERROR_CODES, nftTransaction, renderNftables, ruleComments } from '../src/index.js'

const FULL = `table inet vpcmesh {
\tchain forward {
\t\ttype filter hook forward priority mangle; policy accept;
\t\tiifname "vmt0" meta nfproto ipv4 tcp flags syn tcp option maxseg size > 1340 tcp option maxseg size set 1340 comment "vpcmesh:mss-in-v4:bbf4fbfd7af2ffdb"
\t\tiifname "vmt0" meta nfproto ipv6 tcp flags syn tcp option maxseg size > 1320 tcp option maxseg size set 1320 comment "vpcmesh:mss-in-v6:bbf4fbfd7af2ffdb"
\t\toifname "vmt0" tcp flags syn tcp option maxseg size set rt mtu comment "vpcmesh:mss-out:bbf4fbfd7af2ffdb"
\t}
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tiifname "vmt0" oifname != "vmt0" masquerade comment "vpcmesh:masquerade:bbf4fbfd7af2ffdb"
\t}
}
`

test('renderNftables: MSS clamp both ways and masquerade (golden)', () => {
  assert.equal(renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: true }), FULL)
  assert.equal(renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: true, mssClamp: true }), FULL)
})

test('renderNftables: preserve source IPs has no nat chain (golden)', () => {
  assert.equal(renderNftables({ tunName: 'mesh0', mtu: 1280, masquerade: false }), `table inet vpcmesh {
\tchain forward {
\t\ttype filter hook forward priority mangle; policy accept;
\t\tiifname "mesh0" meta nfproto ipv4 tcp flags syn tcp option maxseg size > 1240 tcp option maxseg size set 1240 comment "vpcmesh:mss-in-v4:752d7faf997fc056"
\t\tiifname "mesh0" meta nfproto ipv6 tcp flags syn tcp option maxseg size > 1220 tcp option maxseg size set 1220 comment "vpcmesh:mss-in-v6:752d7faf997fc056"
\t\toifname "mesh0" tcp flags syn tcp option maxseg size set rt mtu comment "vpcmesh:mss-out:752d7faf997fc056"
\t}
}
`)
})

test('renderNftables: masquerade without clamp (golden); neither renders nothing', () => {
  assert.equal(renderNftables({ tunName: 'mesh0', mtu: 1420, masquerade: true, mssClamp: false }), `table inet vpcmesh {
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tiifname "mesh0" oifname != "mesh0" masquerade comment "vpcmesh:masquerade:469ee6f4470a4d4d"
\t}
}
`)
  assert.equal(renderNftables({ tunName: 'mesh0', mtu: 1420, masquerade: false, mssClamp: false }), '')
})

test('renderNftables: the fingerprint changes with every input', () => {
  const fps = new Set([
    { tunName: 'vmt0', mtu: 1380, masquerade: true }, { tunName: 'vmt1', mtu: 1380, masquerade: true },
    { tunName: 'vmt0', mtu: 1381, masquerade: true }, { tunName: 'vmt0', mtu: 1380, masquerade: false }
  ].map((c) => ruleComments(renderNftables(c))[0]))
  assert.equal(fps.size, 4)
})

test('renderNftables: refuses a TUN name that is unsafe to quote', () => {
  for (const bad of ['vmt"0', 'a b', '', 'x'.repeat(16), 'vmt0\n}']) {
    assert.throws(() => renderNftables({ tunName: bad, mtu: 1380, masquerade: true }), { code: LINUXNET_ERROR_CODES.CONFIG }, bad)
  }
})

test('ruleComments: the rule comments in order', () => {
  assert.deepEqual(ruleComments(FULL), [
    'vpcmesh:mss-in-v4:bbf4fbfd7af2ffdb', 'vpcmesh:mss-in-v6:bbf4fbfd7af2ffdb',
    'vpcmesh:mss-out:bbf4fbfd7af2ffdb', 'vpcmesh:masquerade:bbf4fbfd7af2ffdb'
  ])
  assert.deepEqual(ruleComments(''), [])
})

test('nftTransaction: create-if-missing, delete, define, in one input', () => {
  assert.equal(nftTransaction(FULL), `table inet vpcmesh {}\ndelete table inet vpcmesh\n${FULL}`)
  assert.equal(nftTransaction(''), 'table inet vpcmesh {}\ndelete table inet vpcmesh\n')
})
