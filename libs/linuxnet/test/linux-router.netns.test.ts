// LinuxRouter with ExecRunner in a real network namespace (root; CI runs it, never skipped):
// the same config series as linux-router.test.ts, checked with `ip -json route` and `nft`,
// and step by step against FakeRunner (same results, same write commands, same state).
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  type CommandRunner,
  type RouterConfig,
  type RunOptions,
  type RunResult,
  createLinuxRouter,
  routeTableFor,
} from '../src/index.js'
import { FakeRunner, isReadCommand } from '../src/testing/index.js'
import { mustCreateNetns } from './netns.js'
import { BASE } from './router-fixtures.js'

const ns = mustCreateNetns('r')
after(() => {
  ns.destroy()
})

/** Wraps a runner and records the write commands it runs. */
function recording(inner: CommandRunner): CommandRunner & { writes: string[] } {
  const writes: string[] = []
  return {
    writes,
    async run(argv: readonly string[], opts?: RunOptions): Promise<RunResult> {
      if (!isReadCommand(argv)) writes.push(argv.join(' '))
      return await inner.run(argv, opts)
    },
  }
}

/** Everything observable in the namespace: all routes of every table, the rules and the whole ruleset. */
function fullDump(): string {
  return [
    ns.exec(['ip', '-4', 'route', 'show', 'table', 'all']),
    ns.exec(['ip', '-6', 'route', 'show', 'table', 'all']),
    ns.exec(['ip', '-4', 'rule', 'show']),
    ns.exec(['ip', '-6', 'rule', 'show']),
    ns.exec(['nft', 'list', 'ruleset']),
    ns.exec(['ip', '-o', 'link', 'show']),
  ].join('\n--\n')
}

/** Routes on vmt0 as `dst protocol`, sorted, in `table` (default: vmt0's own table). */
function tunRoutes(table = String(routeTableFor('vmt0'))): string[] {
  return ['-4', '-6']
    .flatMap((f) =>
      (
        JSON.parse(ns.exec(['ip', f, '-json', 'route', 'show', 'table', table, 'dev', 'vmt0'])) as Array<{
          dst: string
          protocol: string
        }>
      ).map((r) => `${r.dst} ${r.protocol}`),
    )
    .sort()
}

function tableCount(): number {
  const doc = JSON.parse(ns.exec(['nft', '-j', 'list', 'ruleset'])) as { nftables: Array<{ table?: { name: string } }> }
  return doc.nftables.filter((o) => o.table?.name === 'vpcmesh').length
}

const STEPS: Array<[string, RouterConfig, string[]]> = [
  ['first set', BASE, ['10.1.0.0/16 112', '10.2.0.0/16 112', 'fd00:2::/64 112']],
  [
    'more routes',
    { ...BASE, routes: [...BASE.routes, '10.3.0.0/16', '10.4.0.9/32'] },
    ['10.1.0.0/16 112', '10.2.0.0/16 112', '10.3.0.0/16 112', '10.4.0.9 112', 'fd00:2::/64 112'],
  ],
  ['fewer routes', { ...BASE, routes: ['10.3.0.0/16', 'fd00:2::/64'] }, ['10.3.0.0/16 112', 'fd00:2::/64 112']],
  [
    'preserve source IPs',
    { ...BASE, routes: ['10.3.0.0/16', 'fd00:2::/64'], masquerade: false },
    ['10.3.0.0/16 112', 'fd00:2::/64 112'],
  ],
  [
    'new MTU',
    { ...BASE, routes: ['10.3.0.0/16', 'fd00:2::/64'], masquerade: false, mtu: 1400 },
    ['10.3.0.0/16 112', 'fd00:2::/64 112'],
  ],
]

test('netns: the config series programs exactly the wanted state, like FakeRunner does', async () => {
  const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')
  ns.addTun('vmt0')
  ns.exec(['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'])
  ns.exec(['ip', 'addr', 'add', '10.0.0.1/16', 'dev', 'eth0'])
  ns.exec(['ip', 'link', 'set', 'eth0', 'up'])
  const real = recording(ns.runner)
  const fake = new FakeRunner()
  fake.addLink('vmt0')
  const fakeRec = recording(fake)
  const realRouter = createLinuxRouter({ runner: real })
  const fakeRouter = createLinuxRouter({ runner: fakeRec })

  for (const [name, cfg, want] of STEPS) {
    assert.equal(await realRouter.set(cfg), 'changed', name)
    assert.equal(await fakeRouter.set(cfg), 'changed', name)
    assert.deepEqual(real.writes.splice(0), fakeRec.writes.splice(0), `${name}: same write commands`)
    assert.deepEqual(tunRoutes(), want, name)
    assert.equal(tableCount(), 1, name)
    assert.deepEqual(await realRouter.current(), await fakeRouter.current(), `${name}: same state`)

    const before = fullDump()
    assert.equal(await realRouter.set(cfg), 'unchanged', `${name}: re-apply`)
    assert.deepEqual(real.writes.splice(0), [], `${name}: re-apply issues only reads`)
    assert.equal(fullDump(), before, `${name}: re-apply changes nothing`)
  }
  assert.equal(ns.exec(['sysctl', '-n', 'net.ipv4.ip_forward']).trim(), '1')
  assert.equal(ns.exec(['sysctl', '-n', 'net.ipv6.conf.all.forwarding']).trim(), '1')
  assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward, 'the host itself is untouched')
  assert.match(ns.exec(['ip', '-o', 'link', 'show', 'dev', 'vmt0']), /mtu 1400/)
})

test('netns: the loaded ruleset holds the clamp in both directions, the mesh policy and masquerade towards local prefixes', async () => {
  const router = createLinuxRouter({ runner: ns.runner })
  await router.set(BASE)
  const text = ns.exec(['nft', 'list', 'table', 'inet', 'vpcmesh'])
  assert.match(
    text,
    /iifname "vmt0" meta nfproto ipv4 tcp flags syn tcp option maxseg size > 1340 tcp option maxseg size set 1340/,
  )
  assert.match(
    text,
    /iifname "vmt0" meta nfproto ipv6 tcp flags syn tcp option maxseg size > 1320 tcp option maxseg size set 1320/,
  )
  assert.match(text, /oifname "vmt0" tcp flags syn tcp option maxseg size set rt mtu/)
  assert.match(
    text,
    /type nat hook postrouting priority srcnat; policy accept;\n\t\tiifname "vmt0" oifname != "vmt0" ip daddr @local4 masquerade/,
  )
  assert.match(
    text,
    /type filter hook forward priority filter; policy accept;\n\t\tiifname "vmt0" oifname "vmt0" counter name "mesh_forward_denied" drop/,
  )
  assert.match(text, /iifname "vmt0" ip daddr != @local4 counter name "mesh_forward_denied" drop/)
  assert.match(text, /type filter hook input priority filter; policy accept;/)
  assert.match(text, /type filter hook forward priority mangle; policy accept;/)
})

test('netns: a large diff goes through ip -batch both ways (300 routes in, then out)', async () => {
  const router = createLinuxRouter({ runner: ns.runner })
  const many = Array.from({ length: 300 }, (_, i) => `172.${16 + (i >> 8)}.${i & 255}.0/24`)
  await router.set({ ...BASE, routes: many })
  const table = (await router.current()).table
  const count = (): number =>
    (JSON.parse(ns.exec(['ip', '-4', '-json', 'route', 'show', 'table', String(table)])) as unknown[]).length
  assert.equal(count(), 300, 'the 300 routes, nothing else')
  await router.set(BASE)
  assert.equal(count(), 2, "back to the base config's two IPv4 routes")
})

test('netns: the kernel takes the global-mode prefix translation; back to local mode removes it', async () => {
  const router = createLinuxRouter({ runner: ns.runner })
  await router.set({ ...BASE, globalNat: [{ local: '10.0.0.0/16', global: '242.7.0.0/16' }] })
  const text = ns.exec(['nft', 'list', 'table', 'inet', 'vpcmesh'])
  assert.match(
    text,
    /type nat hook prerouting priority dstnat; policy accept;\n\t\tiifname "vmt0" ip daddr 242\.7\.0\.0\/16 /,
  )
  assert.match(text, /ip daddr 242\.7\.0\.0\/16 counter name "global_nat_in" dnat ip prefix to 10\.0\.0\.0\/16/)
  assert.match(
    text,
    /oifname "vmt0" ip saddr 10\.0\.0\.0\/16 counter name "global_nat_out" snat ip prefix to 242\.7\.0\.0\/16/,
  )
  await router.set(BASE)
  assert.doesNotMatch(ns.exec(['nft', 'list', 'table', 'inet', 'vpcmesh']), /snat|dnat/)
})

test('netns: a fresh router (agent restart) finds everything in place and changes nothing', async () => {
  await createLinuxRouter({ runner: ns.runner }).set(BASE)
  const before = fullDump()
  assert.equal(await createLinuxRouter({ runner: ns.runner }).set(BASE), 'unchanged')
  assert.equal(fullDump(), before)
})

test('netns: cleanup removes exactly our routes and table; foreign routes and tables stay', async () => {
  const router = createLinuxRouter({ runner: ns.runner })
  await router.set(BASE)
  ns.exec(['ip', 'route', 'add', '192.168.7.0/24', 'dev', 'vmt0', 'proto', 'static'])
  ns.exec(['ip', 'route', 'add', '192.168.8.0/24', 'dev', 'eth0', 'proto', String(113)])
  ns.exec(['nft', 'add', 'table', 'inet', 'operator'])
  await router.cleanup('vmt0')
  assert.deepEqual(tunRoutes(), [])
  assert.deepEqual(tunRoutes('main'), ['192.168.7.0/24 static'])
  assert.doesNotMatch(ns.exec(['ip', 'rule', 'show']), /lookup 3\d{4}/, 'our rule is gone')
  assert.equal(tableCount(), 0)
  assert.match(ns.exec(['ip', 'route', 'show', 'dev', 'eth0']), /192\.168\.8\.0\/24 proto 113/)
  assert.match(ns.exec(['nft', 'list', 'tables']), /table inet operator/)
  const before = fullDump()
  await router.cleanup('vmt0')
  assert.equal(fullDump(), before, 'a second cleanup changes nothing')
  assert.equal(ns.exec(['sysctl', '-n', 'net.ipv4.ip_forward']).trim(), '1', 'sysctls are left alone')
})

test('ExecRunner: the netns option runs commands inside the namespace', async () => {
  const res = await ns.runner.run(['ip', '-json', 'link', 'show', 'dev', 'vmt0'])
  assert.equal((JSON.parse(res.stdout) as Array<{ ifname: string }>)[0]?.ifname, 'vmt0')
})
