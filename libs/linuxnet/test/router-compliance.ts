// Router compliance suite (see CONTRIBUTING.md, Tests; libp2p interface-compliance-tests): the same checks
// run against FakeRunner and against a real network namespace. The suite looks at the host
// only through `ip`/`nft` commands on the harness's runner, so both answer the same way.
import { describe, it, beforeEach, afterEach } from 'node:test'
import assert from 'node:assert/strict'
import {
  type CommandRunner,
  type Router,
  type RouterConfig,
  LINUXNET_ERROR_CODES,
  VPCMESH_ROUTE_PROTOCOL,
  createLinuxRouter,
  isLinuxNetError,
  routeTableFor,
} from '../src/index.js'

/** What a suite run needs: a router over a host that has the TUN `tun` and can get more links. */
export interface RouterHarness {
  router: Router
  runner: CommandRunner
  tun: string
  addTun: (name: string) => Promise<void>
  teardown: () => Promise<void>
}

const PROTO = String(VPCMESH_ROUTE_PROTOCOL)

/**
 * Routes on `dev` as `prefix proto`, both families, sorted (ip prints /32 and /128 bare), in
 * `table` (default: the TUN's own table).
 */
async function routesOn(
  runner: CommandRunner,
  dev: string,
  table: string = String(routeTableFor(dev)),
): Promise<string[]> {
  const out: string[] = []
  for (const fam of ['-4', '-6']) {
    const res = await runner.run(['ip', fam, '-json', 'route', 'show', 'table', table, 'dev', dev])
    for (const r of JSON.parse(res.stdout) as Array<{ dst: string; protocol?: string }>)
      out.push(`${r.dst} ${r.protocol ?? '?'}`)
  }
  return out.sort()
}

/** Policy rules looking up `table`, IPv4 and IPv6, as `family pref not? fwmark table`. */
async function rulesFor(runner: CommandRunner, table: number): Promise<string[]> {
  const out: string[] = []
  for (const fam of ['-4', '-6']) {
    const res = await runner.run(['ip', fam, '-json', 'rule', 'show'])
    for (const r of JSON.parse(res.stdout) as Array<{ priority: number; not?: null; fwmark?: string; table: string }>) {
      if (r.table === String(table))
        out.push(`${fam} ${r.priority}${'not' in r ? ' not' : ''} ${r.fwmark ?? ''} ${r.table}`)
    }
  }
  return out.sort()
}

/** Names of tables in `nft -j list ruleset`, sorted (duplicates kept). */
async function tables(runner: CommandRunner): Promise<string[]> {
  const res = await runner.run(['nft', '-j', 'list', 'ruleset'])
  const doc = JSON.parse(res.stdout) as { nftables: Array<{ table?: { family: string; name: string } }> }
  return doc.nftables.flatMap((o) => (o.table === undefined ? [] : [`${o.table.family} ${o.table.name}`])).sort()
}

/** Full observable state: routes on every TUN plus the whole ruleset text. */
async function snapshot(h: RouterHarness, devs: string[]): Promise<string> {
  const parts = [(await h.runner.run(['nft', 'list', 'ruleset'])).stdout]
  for (const d of devs) parts.push((await routesOn(h.runner, d)).join('\n'))
  return parts.join('\n--\n')
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e) => {
    assert.ok(isLinuxNetError(e), String(e))
    assert.equal(e.code, code)
    return true
  })
}

/** Registers the suite under `name`; `setup` makes a fresh harness per test. */
export function routerCompliance(name: string, setup: () => Promise<RouterHarness>): void {
  describe(`Router compliance: ${name}`, () => {
    let h: RouterHarness
    let cfg: RouterConfig
    beforeEach(async () => {
      h = await setup()
      cfg = {
        tunName: h.tun,
        mtu: 1380,
        routes: ['10.1.0.0/16', '10.2.0.5/32', 'fd00:1::/64', 'fd00:2::7/128'],
        localCidrs: ['10.0.0.0/16'],
        masquerade: true,
      }
    })
    afterEach(async () => {
      await h.teardown()
    })

    it('set() routes each prefix into the TUN exactly once and creates one table', async () => {
      assert.equal(await h.router.set(cfg), 'changed')
      assert.deepEqual(await routesOn(h.runner, h.tun), [
        `10.1.0.0/16 ${PROTO}`,
        `10.2.0.5 ${PROTO}`,
        `fd00:1::/64 ${PROTO}`,
        `fd00:2::7 ${PROTO}`,
      ])
      assert.deepEqual(await tables(h.runner), ['inet vpcmesh'])
    })

    it('set() again with the same config changes nothing and says so', async () => {
      await h.router.set(cfg)
      const before = await snapshot(h, [h.tun])
      assert.equal(await h.router.set({ ...cfg, routes: [...cfg.routes].reverse() }), 'unchanged')
      assert.equal(await snapshot(h, [h.tun]), before)
    })

    it('set() adds and removes only the routes that changed', async () => {
      await h.router.set(cfg)
      assert.equal(await h.router.set({ ...cfg, routes: ['10.1.0.0/16', '10.3.0.0/16'] }), 'changed')
      assert.deepEqual(await routesOn(h.runner, h.tun), [`10.1.0.0/16 ${PROTO}`, `10.3.0.0/16 ${PROTO}`])
    })

    it('set() puts its table before main with a rule that tunnel datagrams (fwmark) skip', async () => {
      await h.router.set(cfg)
      const t = routeTableFor(h.tun)
      assert.deepEqual(await rulesFor(h.runner, t), [`-4 5300 not 0x766d ${t}`, `-6 5300 not 0x766d ${t}`])
      assert.deepEqual(await routesOn(h.runner, h.tun, 'main'), [], 'nothing of ours in main')
    })

    it("set() never takes over the operator's main-table route for the same prefix: it skips and reports it", async () => {
      await h.router.set({ ...cfg, routes: [] })
      await h.runner.run(['ip', 'route', 'add', '10.1.0.0/16', 'dev', h.tun, 'proto', 'static'])
      await h.runner.run(['ip', 'route', 'add', '192.168.9.0/24', 'dev', h.tun, 'proto', 'static'])
      await h.router.set({ ...cfg, routes: ['10.1.0.0/16', '10.2.0.0/16'] })
      assert.deepEqual(await routesOn(h.runner, h.tun, 'main'), ['10.1.0.0/16 static', '192.168.9.0/24 static'])
      assert.deepEqual(await routesOn(h.runner, h.tun), [`10.2.0.0/16 ${PROTO}`])
      const state = await h.router.current()
      assert.deepEqual(
        state.skipped.map((x) => [x.prefix, x.reason]),
        [['10.1.0.0/16', 'operator']],
      )
    })

    it('set() skips a route that covers an address of this host, a peer endpoint or the controller; the rest applies', async () => {
      await h.router.set({
        ...cfg,
        routes: ['10.1.0.0/16', '192.0.2.0/24', '198.51.100.0/24'],
        controllerAddresses: ['192.0.2.7'],
        peerEndpoints: ['198.51.100.9'],
      })
      assert.deepEqual(await routesOn(h.runner, h.tun), [`10.1.0.0/16 ${PROTO}`])
      const state = await h.router.current()
      assert.deepEqual(
        state.skipped.map((x) => [x.prefix, x.reason]),
        [
          ['192.0.2.0/24', 'underlay'],
          ['198.51.100.0/24', 'underlay'],
        ],
      )
      assert.deepEqual(state.throws, ['192.0.2.7/32'], 'the controller is looked up in main')
    })

    it("two TUNs on one host have their own tables; cleanup of one never removes the other's routes", async () => {
      await h.addTun('vmt2')
      const second = createLinuxRouter({ runner: h.runner }) // a second agent on the same host
      await h.router.set(cfg)
      await second.set({ ...cfg, tunName: 'vmt2', routes: ['10.7.0.0/16'] })
      await h.router.set(cfg)
      assert.equal((await routesOn(h.runner, h.tun)).length, 4, 'the first TUN kept its routes')
      assert.deepEqual(await routesOn(h.runner, 'vmt2'), [`10.7.0.0/16 ${PROTO}`])
      await second.cleanup('vmt2')
      assert.deepEqual(await routesOn(h.runner, 'vmt2'), [])
      assert.equal((await routesOn(h.runner, h.tun)).length, 4, 'cleanup of vmt2 left vmt0 alone')
      assert.equal((await rulesFor(h.runner, routeTableFor(h.tun))).length, 2)
    })

    it('masquerade and the MSS clamp follow the config; the mesh policy stays with both off', async () => {
      await h.router.set(cfg)
      assert.equal(await h.router.set({ ...cfg, masquerade: false }), 'changed')
      assert.deepEqual(await tables(h.runner), ['inet vpcmesh'])
      assert.equal(await h.router.set({ ...cfg, masquerade: false, mssClamp: false }), 'changed')
      assert.deepEqual(await tables(h.runner), ['inet vpcmesh'])
      assert.deepEqual(
        (await h.router.current()).nftRules?.map((c) => c.split(':')[1]),
        [
          'forward-deny-hairpin',
          'forward-deny-link-local-v4',
          'forward-deny-link-local-v6',
          'forward-deny-v4',
          'forward-deny-v6',
          'input-deny-link-local-v4',
          'input-deny-link-local-v6',
          'input-deny-v4',
          'input-deny-v6',
        ],
      )
      assert.equal(await h.router.set({ ...cfg, masquerade: false, mssClamp: false }), 'unchanged')
    })

    it('a change of the local prefixes replaces the table; the same ones again change nothing', async () => {
      await h.router.set(cfg)
      assert.equal(await h.router.set({ ...cfg, localCidrs: ['10.0.0.0/16', 'fd00:9::/64'] }), 'changed')
      assert.match(
        (await h.runner.run(['nft', 'list', 'table', 'inet', 'vpcmesh'])).stdout,
        /elements = \{ fd00:9::\/64 \}/,
      )
      assert.equal(await h.router.set({ ...cfg, localCidrs: ['fd00:9::/64', '10.0.0.0/16'] }), 'unchanged')
    })

    it('a new tunName moves the routes to the new link (and its table)', async () => {
      await h.router.set(cfg)
      await h.addTun('vmt1')
      assert.equal(await h.router.set({ ...cfg, tunName: 'vmt1' }), 'changed')
      assert.deepEqual(await routesOn(h.runner, h.tun), [])
      assert.deepEqual(await rulesFor(h.runner, routeTableFor(h.tun)), [])
      assert.equal((await routesOn(h.runner, 'vmt1')).length, 4)
    })

    it('cleanup() removes our routes, rule and nftables table, keeps foreign routes, and is safe to repeat', async () => {
      await h.router.set(cfg)
      await h.runner.run(['ip', 'route', 'add', '192.168.9.0/24', 'dev', h.tun, 'proto', 'static'])
      await h.router.cleanup(h.tun)
      assert.deepEqual(await routesOn(h.runner, h.tun), [])
      assert.deepEqual(await routesOn(h.runner, h.tun, 'main'), ['192.168.9.0/24 static'])
      assert.deepEqual(await rulesFor(h.runner, routeTableFor(h.tun)), [])
      assert.deepEqual(await tables(h.runner), [])
      await h.router.cleanup(h.tun)
      assert.equal(await h.router.set(cfg), 'changed')
    })

    it('set() and cleanup() remove routes of ours that an earlier version left in main, on this TUN only', async () => {
      await h.addTun('vmt3')
      await h.router.set(cfg)
      await h.runner.run(['ip', 'link', 'set', 'dev', 'vmt3', 'up'])
      await h.runner.run(['ip', 'route', 'add', '10.5.0.0/16', 'dev', h.tun, 'proto', PROTO])
      await h.runner.run(['ip', 'route', 'add', '10.6.0.0/16', 'dev', 'vmt3', 'proto', PROTO])
      assert.equal(await h.router.set(cfg), 'changed')
      assert.deepEqual(await routesOn(h.runner, h.tun, 'main'), [])
      assert.deepEqual(await routesOn(h.runner, 'vmt3', 'main'), [`10.6.0.0/16 ${PROTO}`], "another TUN's routes stay")
      await h.runner.run(['ip', 'route', 'add', '10.5.0.0/16', 'dev', h.tun, 'proto', PROTO])
      await h.router.cleanup(h.tun)
      assert.deepEqual(await routesOn(h.runner, h.tun, 'main'), [])
      assert.deepEqual(await routesOn(h.runner, 'vmt3', 'main'), [`10.6.0.0/16 ${PROTO}`])
    })

    it('cleanup() on a host without anything of ours succeeds', async () => {
      await h.router.cleanup(h.tun)
      assert.deepEqual(await tables(h.runner), [])
    })

    it('set() with a missing TUN or an invalid config fails and changes nothing', async () => {
      await h.router.set(cfg)
      const before = await snapshot(h, [h.tun])
      await rejectsWith(
        h.router.set({ ...cfg, tunName: 'nosuch0', routes: ['10.9.0.0/16'] }),
        LINUXNET_ERROR_CODES.noLink,
      )
      await rejectsWith(h.router.set({ ...cfg, routes: ['10.9.0.0/16', '10.0.5.0/33'] }), LINUXNET_ERROR_CODES.config)
      assert.equal(await snapshot(h, [h.tun]), before)
    })

    it('set() repairs routes the kernel dropped when the TUN went down', async () => {
      await h.router.set(cfg)
      await h.runner.run(['ip', 'link', 'set', 'dev', h.tun, 'down'])
      assert.deepEqual(await routesOn(h.runner, h.tun), [])
      assert.equal(await h.router.set(cfg), 'changed')
      assert.equal((await routesOn(h.runner, h.tun)).length, 4)
    })

    it('a route overlapping this VPC is skipped and reported, not an error', async () => {
      assert.equal(await h.router.set({ ...cfg, routes: ['10.9.0.0/16', '10.0.5.0/24'] }), 'changed')
      assert.deepEqual(await routesOn(h.runner, h.tun), [`10.9.0.0/16 ${PROTO}`])
      assert.deepEqual(
        (await h.router.current()).skipped.map((x) => [x.prefix, x.reason]),
        [['10.0.5.0/24', 'local']],
      )
    })

    it('current() reports our routes and rules', async () => {
      await h.router.set(cfg)
      const state = await h.router.current()
      assert.equal(state.routes.length, 4)
      assert.equal(state.table, routeTableFor(h.tun))
      assert.equal(state.nftRules?.length, 14)
      assert.deepEqual(
        [state.forwardDenied, state.inputDenied],
        [
          { packets: 0, bytes: 0 },
          { packets: 0, bytes: 0 },
        ],
      )
      await h.router.cleanup(h.tun)
      const gone = await h.router.current()
      assert.deepEqual([gone.nftRules, gone.forwardDenied, gone.inputDenied], [undefined, undefined, undefined])
    })
  })
}
