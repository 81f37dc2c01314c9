// LinuxRouter driven through a series of RouterConfigs against FakeRunner: golden state dumps
// after each step and the exact commands issued (tailscale TestRouterStates).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLinuxRouter, LINUXNET_ERROR_CODES, isLinuxNetError } from '../src/index.js'
import { FakeRunner, isReadCommand } from '../src/testing/index.js'
import { BASE } from './router-fixtures.js'

/** The dump with rule fingerprints replaced by `<fp>` (nftables.test.ts pins the real ones). */
function dump(f: FakeRunner): string {
  return f.dump().replace(/:[0-9a-f]{16}"/g, ':<fp>"')
}

/** Write commands among `cmds`. */
function writes(cmds: string[]): string[] {
  return cmds.filter((c) => !isReadCommand(c.split(' ')))
}

const READS = [
  'ip -json link show dev vmt0',
  'sysctl -e net.ipv4.ip_forward net.ipv6.conf.all.forwarding net.ipv4.conf.all.rp_filter',
  'nft -j list table inet vpcmesh',
  'ip -4 -json rule show',
  'ip -6 -json rule show',
  'ip -4 -json route show table main',
  'ip -6 -json route show table main',
  'ip -json addr show',
  'ip -4 -json route show table 30317',
  'ip -6 -json route show table 30317',
]

/** Our table in these tests (the default would be derived from the TUN name). */
const OPTS = { routeTable: 30317 }

/** The mesh policy chains for TUN vmt0 (identical in every step). */
const POLICY = (what: 'forward' | 'input'): string[] => [
  ...(what === 'forward'
    ? [
        `nft     iifname "vmt0" oifname "vmt0" counter name "mesh_forward_denied" drop comment "vpcmesh:forward-deny-hairpin:<fp>"`,
      ]
    : []),
  `nft     iifname "vmt0" ip daddr 169.254.0.0/16 counter name "mesh_${what}_denied" drop comment "vpcmesh:${what}-deny-link-local-v4:<fp>"`,
  `nft     iifname "vmt0" ip6 daddr { fd00:ec2::254, fe80::/10 } counter name "mesh_${what}_denied" drop comment "vpcmesh:${what}-deny-link-local-v6:<fp>"`,
  `nft     iifname "vmt0" ip daddr != @local4 counter name "mesh_${what}_denied" drop comment "vpcmesh:${what}-deny-v4:<fp>"`,
  `nft     iifname "vmt0" ip6 daddr != @local6 counter name "mesh_${what}_denied" drop comment "vpcmesh:${what}-deny-v6:<fp>"`,
]

const TABLE = (masq: boolean, mss4: number, mss6: number): string =>
  [
    'nft table inet vpcmesh {',
    'nft   counter mesh_forward_denied {',
    'nft     packets 0 bytes 0',
    'nft   }',
    'nft   counter mesh_input_denied {',
    'nft     packets 0 bytes 0',
    'nft   }',
    'nft   set local4 {',
    'nft     type ipv4_addr',
    'nft     flags interval',
    'nft     elements = { 10.0.0.0/16 }',
    'nft   }',
    'nft   set local6 {',
    'nft     type ipv6_addr',
    'nft     flags interval',
    'nft   }',
    'nft   chain forward {',
    'nft     type filter hook forward priority mangle; policy accept;',
    `nft     iifname "vmt0" meta nfproto ipv4 tcp flags syn tcp option maxseg size > ${mss4} ` +
      `tcp option maxseg size set ${mss4} comment "vpcmesh:mss-in-v4:<fp>"`,
    `nft     iifname "vmt0" meta nfproto ipv6 tcp flags syn tcp option maxseg size > ${mss6} ` +
      `tcp option maxseg size set ${mss6} comment "vpcmesh:mss-in-v6:<fp>"`,
    'nft     oifname "vmt0" tcp flags syn tcp option maxseg size set rt mtu comment "vpcmesh:mss-out:<fp>"',
    'nft   }',
    'nft   chain mesh_forward {',
    'nft     type filter hook forward priority filter; policy accept;',
    ...POLICY('forward'),
    'nft   }',
    'nft   chain mesh_input {',
    'nft     type filter hook input priority filter; policy accept;',
    ...POLICY('input'),
    'nft   }',
    ...(masq
      ? [
          'nft   chain postrouting {',
          'nft     type nat hook postrouting priority srcnat; policy accept;',
          'nft     iifname "vmt0" oifname != "vmt0" ip daddr @local4 masquerade comment "vpcmesh:masquerade-v4:<fp>"',
          'nft     iifname "vmt0" oifname != "vmt0" ip6 daddr @local6 masquerade comment "vpcmesh:masquerade-v6:<fp>"',
          'nft   }',
        ]
      : []),
    'nft }',
  ].join('\n')

const SYSCTLS_ON =
  'sysctl net.ipv4.conf.all.rp_filter = 0\nsysctl net.ipv4.ip_forward = 1\nsysctl net.ipv6.conf.all.forwarding = 1'

test('LinuxRouter: a series of configs, golden state and exact commands after each step', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  f.addLink('eth0')
  f.setUp('eth0')
  await f.run(['ip', 'route', 'add', '10.0.0.0/16', 'dev', 'eth0', 'proto', 'kernel'])
  await f.run(['ip', 'route', 'add', '10.2.7.0/24', 'dev', 'eth0', 'proto', 'static'])
  const r = createLinuxRouter({ runner: f }, OPTS)
  f.takeCommands()

  // 1: first set() from nothing: the rule, then throw entries, then routes.
  assert.equal(await r.set(BASE), 'changed')
  assert.deepEqual(writes(f.takeCommands()), [
    'ip link set dev vmt0 mtu 1380 up',
    'sysctl -w net.ipv4.ip_forward=1',
    'sysctl -w net.ipv6.conf.all.forwarding=1',
    'nft -f -',
    'ip -4 rule add not fwmark 0x766d table 30317 pref 5300 proto 112',
    'ip -6 rule add not fwmark 0x766d table 30317 pref 5300 proto 112',
    'ip route replace throw 10.2.7.0/24 table 30317 proto 112',
    'ip route replace 10.1.0.0/16 dev vmt0 table 30317 proto 112',
    'ip route replace 10.2.0.0/16 dev vmt0 table 30317 proto 112',
    'ip route replace fd00:2::/64 dev vmt0 table 30317 proto 112',
  ])
  const main =
    'route table main 10.0.0.0/16 dev eth0 proto 2 metric 0\nroute table main 10.2.7.0/24 dev eth0 proto 4 metric 0'
  const rules =
    'rule -4 pref 5300 not fwmark 0x766d table 30317 proto 112\nrule -6 pref 5300 not fwmark 0x766d table 30317 proto 112'
  const routes1 =
    `route table 30317 10.1.0.0/16 dev vmt0 proto 112 metric 0\nroute table 30317 10.2.0.0/16 dev vmt0 proto 112 metric 0\n` +
    `route table 30317 fd00:2::/64 dev vmt0 proto 112 metric 1024\nroute table 30317 throw 10.2.7.0/24 proto 112 metric 0\n${main}`
  assert.equal(
    dump(f),
    `link eth0 mtu 1500 up\nlink vmt0 mtu 1380 up\n${TABLE(true, 1340, 1320)}\n${rules}\n${routes1}\n${SYSCTLS_ON}\n`,
  )

  // 2: the same config again: reads only.
  const before = dump(f)
  assert.equal(
    await r.set({ ...BASE, routes: ['fd00:2::/64', '10.1.0.0/16', '10.2.0.0/16', '10.1.0.0/16'] }),
    'unchanged',
  )
  assert.deepEqual(f.takeCommands(), READS)
  assert.equal(dump(f), before)

  // 3: one more route: exactly one replace.
  assert.equal(await r.set({ ...BASE, routes: [...BASE.routes, '10.3.0.0/16'] }), 'changed')
  assert.deepEqual(writes(f.takeCommands()), ['ip route replace 10.3.0.0/16 dev vmt0 table 30317 proto 112'])

  // 4: one route fewer: exactly one del.
  assert.equal(await r.set({ ...BASE, routes: ['10.2.0.0/16', 'fd00:2::/64', '10.3.0.0/16'] }), 'changed')
  assert.deepEqual(writes(f.takeCommands()), ['ip route del 10.1.0.0/16 dev vmt0 table 30317'])

  // 5: masquerade off: one nft transaction, routes untouched.
  const cfg5 = { ...BASE, routes: ['10.2.0.0/16', 'fd00:2::/64', '10.3.0.0/16'], masquerade: false }
  assert.equal(await r.set(cfg5), 'changed')
  const cmds5 = f.commands.slice()
  assert.deepEqual(writes(f.takeCommands()), ['nft -f -'])
  assert.match(
    cmds5.find((c) => c.argv[1] === '-f')?.input ?? '',
    /^table inet vpcmesh \{\}\ndelete table inet vpcmesh\ntable inet vpcmesh \{\n/,
  )

  // 6: new MTU: link and the clamp values change.
  assert.equal(await r.set({ ...cfg5, mtu: 1400 }), 'changed')
  assert.deepEqual(writes(f.takeCommands()), ['ip link set dev vmt0 mtu 1400 up', 'nft -f -'])
  const routes6 =
    `route table 30317 10.2.0.0/16 dev vmt0 proto 112 metric 0\nroute table 30317 10.3.0.0/16 dev vmt0 proto 112 metric 0\n` +
    `route table 30317 fd00:2::/64 dev vmt0 proto 112 metric 1024\nroute table 30317 throw 10.2.7.0/24 proto 112 metric 0\n${main}`
  assert.equal(
    dump(f),
    `link eth0 mtu 1500 up\nlink vmt0 mtu 1400 up\n${TABLE(false, 1360, 1340)}\n${rules}\n${routes6}\n${SYSCTLS_ON}\n`,
  )

  // 7: cleanup: our rule, table and nftables table go; the link, sysctls and main's routes stay.
  await r.cleanup('vmt0')
  assert.deepEqual(writes(f.takeCommands()), [
    'ip -4 rule del table 30317 pref 5300',
    'ip -6 rule del table 30317 pref 5300',
    'ip route del throw 10.2.7.0/24 table 30317',
    'ip route del 10.2.0.0/16 dev vmt0 table 30317',
    'ip route del 10.3.0.0/16 dev vmt0 table 30317',
    'ip route del fd00:2::/64 dev vmt0 table 30317 metric 1024',
    'nft delete table inet vpcmesh',
  ])
  assert.equal(dump(f), `link eth0 mtu 1500 up\nlink vmt0 mtu 1400 up\n${main}\n${SYSCTLS_ON}\n`)
})

test('LinuxRouter: never deletes a prefix it then adds, across random config changes', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f }, OPTS)
  const pool = ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/24', '172.16.0.0/12', 'fd00:1::/64', 'fd00:2::/48']
  let seed = 7
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  for (let i = 0; i < 50; i++) {
    const routes = pool.filter(() => rand() < 0.5)
    await r.set({ ...BASE, routes, tunName: 'vmt0' })
    const cmds = f.takeCommands()
    const deleted = new Set<string>()
    for (const c of cmds) {
      const [, , verb, prefix] = c.split(' ')
      if (verb === 'del' && prefix !== undefined) deleted.add(prefix)
      if (verb === 'replace' && prefix !== undefined)
        assert.ok(!deleted.has(prefix), `step ${i}: del then add of ${prefix}\n${cmds.join('\n')}`)
    }
    assert.equal(await r.set({ ...BASE, routes }), 'unchanged')
    assert.ok(f.takeCommands().every((c) => isReadCommand(c.split(' '))))
  }
})

test('LinuxRouter: a failing command surfaces argv and output; the next set() converges', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f }, OPTS)
  f.failures.push({
    match: (a) => a[2] === 'replace' && a[3] === '10.2.0.0/16',
    code: 2,
    stderr: 'RTNETLINK answers: Operation not permitted',
  })
  await assert.rejects(r.set(BASE), (e) => {
    assert.ok(isLinuxNetError(e))
    assert.equal(e.code, LINUXNET_ERROR_CODES.command)
    assert.equal(
      e.message,
      'command exited with code 2: ip route replace 10.2.0.0/16 dev vmt0 table 30317 proto 112: RTNETLINK answers: Operation not permitted',
    )
    assert.deepEqual(e.command?.argv, [
      'ip',
      'route',
      'replace',
      '10.2.0.0/16',
      'dev',
      'vmt0',
      'table',
      '30317',
      'proto',
      '112',
    ])
    return true
  })
  f.failures.length = 0
  f.takeCommands()
  assert.equal(await r.set(BASE), 'changed')
  assert.deepEqual(writes(f.takeCommands()), [
    'ip route replace 10.2.0.0/16 dev vmt0 table 30317 proto 112',
    'ip route replace fd00:2::/64 dev vmt0 table 30317 proto 112',
  ])
  assert.equal(await r.set(BASE), 'unchanged')
})

test('LinuxRouter: strict rp_filter is a warning, logged once, never changed', async () => {
  const f = new FakeRunner({ sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '1' } })
  f.addLink('vmt0')
  const warned: string[] = []
  const logger = {
    debug() {},
    info() {},
    warn(m: string) {
      warned.push(m)
    },
    error() {},
    child() {
      return logger
    },
  }
  const r = createLinuxRouter({ runner: f, logger })
  await r.set({ ...BASE, routes: ['10.1.0.0/16'] })
  await r.set({ ...BASE, routes: ['10.1.0.0/16'] })
  assert.equal(warned.length, 1)
  assert.match(warned[0] ?? '', /rp_filter=1/)
  assert.deepEqual((await r.current()).warnings, warned)
  assert.ok(!f.commands.some((c) => c.argv.includes('-w')))
  assert.match(f.dump(), /rp_filter = 1/)
})

test('LinuxRouter: concurrent set() calls run one after the other', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f })
  const results = await Promise.all([r.set(BASE), r.set(BASE), r.set({ ...BASE, routes: ['10.1.0.0/16'] })])
  assert.deepEqual(results, ['changed', 'unchanged', 'changed'])
  assert.deepEqual((await r.current()).routes, [{ prefix: '10.1.0.0/16', dev: 'vmt0' }])
})

test('createLinuxRouter: rejects a route protocol outside 5-255, reserved tables, bad marks and priorities', () => {
  assert.throws(() => createLinuxRouter({ runner: new FakeRunner() }, { routeProtocol: 2 }), {
    code: LINUXNET_ERROR_CODES.config,
  })
  for (const routeTable of [0, 254, 255, 253, 2 ** 31]) {
    assert.throws(
      () => createLinuxRouter({ runner: new FakeRunner() }, { routeTable }),
      { code: LINUXNET_ERROR_CODES.config },
      String(routeTable),
    )
  }
  assert.throws(() => createLinuxRouter({ runner: new FakeRunner() }, { fwmark: 0 }), {
    code: LINUXNET_ERROR_CODES.config,
  })
  assert.throws(() => createLinuxRouter({ runner: new FakeRunner() }, { rulePriority: 32766 }), {
    code: LINUXNET_ERROR_CODES.config,
  })
})

test('LinuxRouter: a large diff goes to ip as one batch (one process), deletions in one forced batch', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f }, OPTS)
  const many = Array.from({ length: 300 }, (_, i) => `172.${16 + (i >> 8)}.${i & 255}.0/24`)
  assert.equal(await r.set({ ...BASE, routes: many }), 'changed')
  const first = f.commands.filter((c) => !isReadCommand(c.argv) && c.argv[0] === 'ip' && c.argv.includes('route'))
  assert.deepEqual(first, [], 'no single route commands for a large diff')
  const batches = f.commands.filter((c) => c.argv.join(' ') === 'ip -batch -')
  assert.equal(batches.length, 1)
  assert.equal(batches[0]?.input?.split('\n').filter((l) => l !== '').length, 300)
  assert.match(batches[0]?.input ?? '', /^route replace 172\.16\.0\.0\/24 dev vmt0 table 30317 proto 112\n/)
  assert.equal(
    f
      .dump()
      .split('\n')
      .filter((l) => l.startsWith('route table 30317 ')).length,
    300,
  )
  f.takeCommands()
  f.commands.length = 0
  // Back to the 3 base routes: 300 deletions in one forced batch. One answers "already gone"
  // (as if removed between the read and the delete; the fake keeps it): the set still succeeds
  // and every other deletion happened.
  f.failures.push({
    match: (a) => a.join(' ') === 'ip route del 172.16.5.0/24 dev vmt0 table 30317',
    code: 2,
    stderr: 'RTNETLINK answers: No such process',
  })
  assert.equal(await r.set(BASE), 'changed')
  assert.deepEqual(
    f.commands.filter((c) => c.argv.includes('-batch')).map((c) => c.argv.join(' ')),
    ['ip -force -batch -'],
  )
  assert.deepEqual(
    f
      .dump()
      .split('\n')
      .filter((l) => l.startsWith('route table 30317 '))
      .map((l) => l.split(' ')[3]),
    ['10.1.0.0/16', '10.2.0.0/16', '172.16.5.0/24', 'fd00:2::/64'],
  )
})

test('LinuxRouter: a failing line of a batch surfaces with its error; the next set() converges', async () => {
  const f = new FakeRunner()
  f.addLink('vmt0')
  const r = createLinuxRouter({ runner: f }, OPTS)
  const many = Array.from({ length: 20 }, (_, i) => `172.16.${i}.0/24`)
  f.failures.push({
    match: (a) => a[2] === 'replace' && a[3] === '172.16.7.0/24',
    code: 2,
    stderr: 'RTNETLINK answers: Operation not permitted',
  })
  await assert.rejects(r.set({ ...BASE, routes: many }), (e) => {
    assert.ok(isLinuxNetError(e))
    assert.equal(e.code, LINUXNET_ERROR_CODES.command)
    assert.match(e.message, /ip -batch -: RTNETLINK answers: Operation not permitted\nCommand failed -:8/)
    return true
  })
  f.failures.length = 0
  assert.equal(await r.set({ ...BASE, routes: many }), 'changed')
  assert.equal(
    f
      .dump()
      .split('\n')
      .filter((l) => l.startsWith('route table 30317 ')).length,
    20,
  )
  // A deletion batch fails on anything but "already gone".
  f.failures.push({
    match: (a) => a[2] === 'del' && a[3] === '172.16.3.0/24',
    code: 2,
    stderr: 'RTNETLINK answers: Operation not permitted',
  })
  await assert.rejects(r.set(BASE), /ip -force -batch -: RTNETLINK answers: Operation not permitted/)
})
