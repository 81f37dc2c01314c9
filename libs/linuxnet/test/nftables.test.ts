import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  LINUXNET_ERROR_CODES,
  NFT_COUNTERS,
  createLinuxRouter,
  nftTransaction,
  renderNftables,
  ruleComments,
} from '../src/index.js'
import { FakeRunner } from '../src/testing/index.js'
import { withCounterValues } from '../src/nftables.js'

const LOCAL = ['10.0.0.0/16', '192.168.5.0/24', 'fd00:1::/64']

const FULL = `table inet vpcmesh {
\tset local4 {
\t\ttype ipv4_addr; flags interval;
\t\telements = { 10.0.0.0/16, 192.168.5.0/24 }
\t}
\tset local6 {
\t\ttype ipv6_addr; flags interval;
\t\telements = { fd00:1::/64 }
\t}
\tcounter mesh_forward_denied {
\t}
\tcounter mesh_input_denied {
\t}
\tchain forward {
\t\ttype filter hook forward priority mangle; policy accept;
\t\tiifname "vmt0" meta nfproto ipv4 tcp flags syn tcp option maxseg size > 1340 tcp option maxseg size set 1340 comment "vpcmesh:mss-in-v4:afdb80523745621b"
\t\tiifname "vmt0" meta nfproto ipv6 tcp flags syn tcp option maxseg size > 1320 tcp option maxseg size set 1320 comment "vpcmesh:mss-in-v6:afdb80523745621b"
\t\toifname "vmt0" tcp flags syn tcp option maxseg size set rt mtu comment "vpcmesh:mss-out:afdb80523745621b"
\t}
\tchain mesh_forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tiifname "vmt0" oifname "vmt0" counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-hairpin:afdb80523745621b"
\t\tiifname "vmt0" ip daddr 169.254.0.0/16 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-link-local-v4:afdb80523745621b"
\t\tiifname "vmt0" ip6 daddr { fd00:ec2::254, fe80::/10 } counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-link-local-v6:afdb80523745621b"
\t\tiifname "vmt0" ip daddr != @local4 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-v4:afdb80523745621b"
\t\tiifname "vmt0" ip6 daddr != @local6 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-v6:afdb80523745621b"
\t}
\tchain mesh_input {
\t\ttype filter hook input priority filter; policy accept;
\t\tiifname "vmt0" ip daddr 169.254.0.0/16 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-link-local-v4:afdb80523745621b"
\t\tiifname "vmt0" ip6 daddr { fd00:ec2::254, fe80::/10 } counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-link-local-v6:afdb80523745621b"
\t\tiifname "vmt0" ip daddr != @local4 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-v4:afdb80523745621b"
\t\tiifname "vmt0" ip6 daddr != @local6 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-v6:afdb80523745621b"
\t}
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tiifname "vmt0" oifname != "vmt0" ip daddr @local4 masquerade comment "vpcmesh:masquerade-v4:afdb80523745621b"
\t\tiifname "vmt0" oifname != "vmt0" ip6 daddr @local6 masquerade comment "vpcmesh:masquerade-v6:afdb80523745621b"
\t}
}
`

test('renderNftables: local prefix sets, deny counters, MSS clamp, mesh policy and masquerade towards local prefixes (golden)', () => {
  assert.equal(renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: true, localCidrs: LOCAL }), FULL)
  assert.equal(
    renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: true, mssClamp: true, localCidrs: LOCAL }),
    FULL,
  )
})

test('renderNftables: without clamp and masquerade the mesh policy stays; empty sets deny everything from the TUN (golden)', () => {
  assert.equal(
    renderNftables({ tunName: 'mesh0', mtu: 1280, masquerade: false, mssClamp: false, localCidrs: [] }),
    `table inet vpcmesh {
\tset local4 {
\t\ttype ipv4_addr; flags interval;
\t}
\tset local6 {
\t\ttype ipv6_addr; flags interval;
\t}
\tcounter mesh_forward_denied {
\t}
\tcounter mesh_input_denied {
\t}
\tchain mesh_forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tiifname "mesh0" oifname "mesh0" counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-hairpin:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip daddr 169.254.0.0/16 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-link-local-v4:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip6 daddr { fd00:ec2::254, fe80::/10 } counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-link-local-v6:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip daddr != @local4 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-v4:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip6 daddr != @local6 counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-v6:6f5285c3f47a31d3"
\t}
\tchain mesh_input {
\t\ttype filter hook input priority filter; policy accept;
\t\tiifname "mesh0" ip daddr 169.254.0.0/16 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-link-local-v4:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip6 daddr { fd00:ec2::254, fe80::/10 } counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-link-local-v6:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip daddr != @local4 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-v4:6f5285c3f47a31d3"
\t\tiifname "mesh0" ip6 daddr != @local6 counter name "mesh_input_denied" drop comment "vpcmesh:input-deny-v6:6f5285c3f47a31d3"
\t}
}
`,
  )
})

test('renderNftables: every rule acts only on packets that entered from the TUN, and every drop is counted', () => {
  const text = renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: true, localCidrs: LOCAL })
  const rules = text.split('\n').filter((l) => l.includes(' comment "vpcmesh:'))
  for (const r of rules.filter((l) => !l.includes('mss-out'))) assert.match(r, /^\t\tiifname "vmt0" /, r)
  for (const r of rules.filter((l) => / drop /.test(l)))
    assert.match(r, /counter name "mesh_(forward|input)_denied" drop/, r)
  assert.equal((text.match(/policy accept;/g) ?? []).length, 4, 'no chain changes the fate of foreign traffic')
  assert.doesNotMatch(text, /policy drop/)
  assert.deepEqual(
    Object.values(NFT_COUNTERS).map((n) => text.includes(`\tcounter ${n} {`)),
    [true, true, false, false],
    'the NAT counters only in global mode',
  )
})

test('renderNftables: the fingerprint changes with every input', () => {
  const base = { tunName: 'vmt0', mtu: 1380, masquerade: true, localCidrs: LOCAL }
  const fps = new Set(
    [
      base,
      { ...base, tunName: 'vmt1' },
      { ...base, mtu: 1381 },
      { ...base, masquerade: false },
      { ...base, localCidrs: ['10.0.0.0/16'] },
      { ...base, localCidrs: [...LOCAL, 'fd00:9::/64'] },
    ].map((c) => ruleComments(renderNftables(c))[0]),
  )
  assert.equal(fps.size, 6)
})

test('renderNftables: refuses a TUN name that is unsafe to quote', () => {
  for (const bad of ['vmt"0', 'a b', '', 'x'.repeat(16), 'vmt0\n}']) {
    assert.throws(
      () => renderNftables({ tunName: bad, mtu: 1380, masquerade: true, localCidrs: [] }),
      { code: LINUXNET_ERROR_CODES.config },
      bad,
    )
  }
})

test('ruleComments: the rule comments in order', () => {
  const fp = /:([0-9a-f]{16})"/.exec(FULL)?.[1] ?? ''
  assert.deepEqual(
    ruleComments(FULL),
    [
      'mss-in-v4',
      'mss-in-v6',
      'mss-out',
      'forward-deny-hairpin',
      'forward-deny-link-local-v4',
      'forward-deny-link-local-v6',
      'forward-deny-v4',
      'forward-deny-v6',
      'input-deny-link-local-v4',
      'input-deny-link-local-v6',
      'input-deny-v4',
      'input-deny-v6',
      'masquerade-v4',
      'masquerade-v6',
    ].map((w) => `vpcmesh:${w}:${fp}`),
  )
  assert.deepEqual(ruleComments(''), [])
})

test('nftTransaction: create-if-missing, delete, define, in one input', () => {
  assert.equal(nftTransaction(FULL), `table inet vpcmesh {}\ndelete table inet vpcmesh\n${FULL}`)
  assert.equal(nftTransaction(''), 'table inet vpcmesh {}\ndelete table inet vpcmesh\n')
})

test('current(): reads the deny counters from the same nft listing as the rules', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f })
  assert.deepEqual(await r.current(), {
    table: undefined,
    routes: [],
    throws: [],
    skipped: [],
    nftRules: undefined,
    forwardDenied: undefined,
    inputDenied: undefined,
    globalNatIn: undefined,
    globalNatOut: undefined,
    warnings: [],
  })
  await r.set({ tunName: 'vmt0', mtu: 1380, routes: ['10.2.0.0/16'], localCidrs: ['10.1.0.0/16'], masquerade: true })
  assert.ok(f.countNft(NFT_COUNTERS.forwardDenied, 3, 252))
  f.takeCommands()
  const st = await r.current()
  assert.deepEqual(
    [st.forwardDenied, st.inputDenied],
    [
      { packets: 3, bytes: 252 },
      { packets: 0, bytes: 0 },
    ],
  )
  assert.equal(st.nftRules?.length, 14)
  assert.equal(f.takeCommands().filter((c) => c.startsWith('nft')).length, 1, 'one nft read for rules and counters')
})

test('FakeNft: like nft, a rule naming an undeclared set or counter fails the whole transaction', async () => {
  const f = new FakeRunner()
  const run = async (input: string): Promise<number> =>
    (await f.run(['nft', '-f', '-'], { input, allowFail: true })).code
  assert.equal(
    await run(
      'table inet t {\n\tchain c {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tip daddr != @nope drop\n\t}\n}\n',
    ),
    1,
  )
  assert.equal(
    await run(
      'table inet t {\n\tchain c {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tcounter name "nope" drop\n\t}\n}\n',
    ),
    1,
  )
  assert.equal((await f.run(['nft', 'list', 'ruleset'])).stdout, '')
})

test('syncNftables: a replaced table keeps the values its counters had', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f })
  const cfg = { tunName: 'vmt0', mtu: 1380, routes: ['10.2.0.0/16'], localCidrs: ['10.1.0.0/16'], masquerade: true }
  await r.set(cfg)
  f.countNft(NFT_COUNTERS.forwardDenied, 5, 420)
  f.countNft(NFT_COUNTERS.inputDenied, 1, 84)
  f.takeCommands()
  assert.equal(await r.set({ ...cfg, localCidrs: ['10.1.0.0/16', '10.9.0.0/16'] }), 'changed')
  assert.match(
    f.commands.find((c) => c.argv[1] === '-f')?.input ?? '',
    /\tcounter mesh_forward_denied \{\n\t\tpackets 5 bytes 420\n\t\}/,
  )
  const st = await r.current()
  assert.deepEqual(
    [st.forwardDenied, st.inputDenied],
    [
      { packets: 5, bytes: 420 },
      { packets: 1, bytes: 84 },
    ],
  )
})

test('withCounterValues: fills only declared counters with safe integer values', () => {
  const text = '\tcounter a {\n\t}\n\tcounter b {\n\t}\n'
  assert.equal(
    withCounterValues(text, {
      a: { packets: 2, bytes: 3 },
      b: { packets: Number.NaN, bytes: 1 },
      c: { packets: 1, bytes: 1 },
    }),
    '\tcounter a {\n\t\tpackets 2 bytes 3\n\t}\n\tcounter b {\n\t}\n',
  )
})

/** The fingerprint of rendered text (from its first rule comment). */
const fp = (text: string): string => /:([0-9a-f]{16})"/.exec(text)?.[1] ?? 'none'

test('renderNftables: global mode translates each prefix pair 1:1, destination on the way in, source on the way out', () => {
  const text = renderNftables({
    tunName: 'vmt0',
    mtu: 1380,
    masquerade: true,
    localCidrs: ['10.0.0.0/24', '10.96.0.0/12'],
    globalNat: [
      { local: '10.0.0.0/24', global: '242.0.0.0/24' },
      { local: '10.96.0.0/12', global: '242.16.0.0/12' },
    ],
  })
  const lines = (...l: string[]): string => l.map((x) => `${x}\n`).join('')
  assert.ok(
    text.includes(
      lines(
        '\tchain global_in {',
        '\t\ttype nat hook prerouting priority dstnat; policy accept;',
        `\t\tiifname "vmt0" ip daddr 242.0.0.0/24 counter name "global_nat_in" dnat ip prefix to 10.0.0.0/24 comment "vpcmesh:global-dnat-v4-0:${fp(text)}"`,
        `\t\tiifname "vmt0" ip daddr 242.16.0.0/12 counter name "global_nat_in" dnat ip prefix to 10.96.0.0/12 comment "vpcmesh:global-dnat-v4-1:${fp(text)}"`,
      ),
    ),
    text,
  )
  // Source translation first, then masquerade (only for traffic from the TUN, so never both).
  assert.ok(
    text.includes(
      lines(
        '\t\ttype nat hook postrouting priority srcnat; policy accept;',
        `\t\toifname "vmt0" ip saddr 10.0.0.0/24 counter name "global_nat_out" snat ip prefix to 242.0.0.0/24 comment "vpcmesh:global-snat-v4-0:${fp(text)}"`,
        `\t\toifname "vmt0" ip saddr 10.96.0.0/12 counter name "global_nat_out" snat ip prefix to 242.16.0.0/12 comment "vpcmesh:global-snat-v4-1:${fp(text)}"`,
        `\t\tiifname "vmt0" oifname != "vmt0" ip daddr @local4 masquerade comment "vpcmesh:masquerade-v4:${fp(text)}"`,
      ),
    ),
    text,
  )
  // Without masquerade the postrouting chain holds the translation alone; local mode has neither chain.
  const plain = renderNftables({
    tunName: 'vmt0',
    mtu: 1380,
    masquerade: false,
    localCidrs: ['10.0.0.0/24'],
    globalNat: [{ local: '10.0.0.0/24', global: '242.0.0.0/24' }],
  })
  assert.match(
    plain,
    /chain postrouting \{\n[^\n]*\n\t\toifname "vmt0" ip saddr 10\.0\.0\.0\/24 counter name "global_nat_out" snat ip prefix to 242\.0\.0\.0\/24 [^\n]*\n\t\}/,
  )
  const local = renderNftables({ tunName: 'vmt0', mtu: 1380, masquerade: false, localCidrs: ['10.0.0.0/24'] })
  assert.doesNotMatch(local, /global_in|postrouting|snat|dnat/)
})
