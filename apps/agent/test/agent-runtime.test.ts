// AgentRuntime without root: MemoryPacketEngine for the TUN and UDP socket, LinuxRouter over FakeRunner
// for the host, a fake control channel and status server, FakeClock for every timer.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noopLogger, pollUntil } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import type { MeshNode, NetMap } from '@vpcmesh/protocol'
import { MemoryPacketEngine, ChannelNetwork } from '@vpcmesh/tun/testing'
import { generateKeyPair } from '@vpcmesh/dataplane'
import { createLinuxRouter, type Router } from '@vpcmesh/linuxnet'
import { FakeRunner } from '@vpcmesh/linuxnet/testing'
import { parseAgentConfig } from '../src/config.js'
import type { ControlClientComponents, ControlClientOptions } from '../src/control/client.js'
import { AgentRuntime } from '../src/runtime/agent-runtime.js'
import type { ControlChannel } from '../src/runtime/control-channel.js'
import { StateDir } from '../src/state/state-dir.js'
import type { StatusSource } from '../src/status/server.js'

const TUN = 'vmt0'
const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const publicKeys = [1, 2, 3].map(() => generateKeyPair().publicKey)
const node = (n: number): MeshNode => ({
  id: `vpc_00000000000${n}`,
  name: `v${n}`,
  cidrs: [`10.${n}.0.0/16`],
  routes: [],
  endpoint: `192.0.2.${n}:51820`,
  publicKey: publicKeys[n - 1] as string,
  masquerade: true,
})
const netmap = (version: number, peers: number[]): NetMap => ({ version, self: node(1), peers: peers.map(node) })

/** A MemoryPacketEngine that counts close() calls. */
class ProbeEngine extends MemoryPacketEngine {
  closes = 0
  override close(): void {
    this.closes++
    super.close()
  }
}

/** Stands in for the ControlClient: the test hands maps to the engine through `deliver`. */
class FakeControl implements ControlChannel {
  state: ControlChannel['state'] = 'idle'
  readonly connectedUrl = undefined
  readonly lastError = undefined
  readonly acks: number[] = []
  reports = 0
  constructor(
    readonly c: ControlClientComponents,
    readonly o: ControlClientOptions,
  ) {}
  start(): void {
    this.state = 'connecting'
  }
  stop(): void {
    this.state = 'stopped'
  }
  ack(map: NetMap): void {
    this.acks.push(map.version)
  }
  reportStatus(): void {
    this.reports++
  }
  deliver(map: NetMap): void {
    this.c.onMap(map)
  }
}

interface Rig {
  agent: AgentRuntime
  clock: FakeClock
  runner: FakeRunner
  router: Router
  state: StateDir
  engines: ProbeEngine[]
  controls: FakeControl[]
  server: { source: StatusSource | undefined; closed: boolean; fail: Error | undefined }
  fatal: string[]
  link: { present: boolean }
}

function rig(saved?: NetMap, args: string[] = []): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-agent-runtime-'))
  dirs.push(dir)
  const state = new StateDir(dir)
  if (saved !== undefined) state.saveNetMap(saved)
  const config = parseAgentConfig(
    [
      '--controller',
      'http://127.0.0.1:7700',
      '--state-dir',
      dir,
      '--tun',
      TUN,
      '--status-listen',
      '127.0.0.1:7799',
      ...args,
    ],
    {},
  )
  const clock = new FakeClock()
  const runner = new FakeRunner()
  runner.addLink(TUN)
  const router = createLinuxRouter({ runner }, { routeTable: 30317 })
  const network = new ChannelNetwork()
  const r: Omit<Rig, 'agent'> = {
    clock,
    runner,
    router,
    state,
    engines: [],
    controls: [],
    server: { source: undefined, closed: false, fail: undefined },
    fatal: [],
    link: { present: true },
  }
  const agent = new AgentRuntime({
    config,
    state,
    logger: noopLogger,
    clock,
    metrics: new MemoryMetrics(),
    keys: generateKeyPair(),
    agentVersion: 'test',
    openEngine: (o) => {
      const e = new ProbeEngine(network, {
        endpoint: { address: '192.0.2.1', port: o.bindPort ?? 51820 },
        tunName: o.tunName,
        workers: o.workers,
      })
      r.engines.push(e)
      return e
    },
    router,
    createControlClient: (c, o) => {
      const f = new FakeControl(c, o)
      r.controls.push(f)
      return f
    },
    startStatusServer: async (c) => {
      if (r.server.fail !== undefined) throw r.server.fail
      r.server.source = c.source
      return {
        close: async () => {
          r.server.closed = true
        },
      }
    },
    readFile: () => {
      throw new Error('no --ca-file in these tests')
    },
    linkExists: (name) => name === TUN && r.link.present,
    onFatal: (reason) => {
      r.fatal.push(reason)
    },
  })
  return { ...r, agent }
}

/** Waits until the TUN's table holds exactly `prefixes` (sorted). */
async function awaitRoutes(r: Rig, prefixes: string[]): Promise<void> {
  await pollUntil(`routes ${prefixes.join(' ')}`, async () => {
    const now = (await r.router.current()).routes
    return JSON.stringify(now) === JSON.stringify(prefixes.map((prefix) => ({ prefix, dev: TUN })))
  })
}

/** Waits until map `version` is applied (routes set, then the reconciler records it). */
async function awaitApplied(r: Rig, version: number): Promise<void> {
  await pollUntil(`map ${version} applied`, () => r.agent.status().appliedVersion === version)
}

/** The routes in the TUN's table, by prefix. */
async function routes(r: Rig): Promise<string[]> {
  return (await r.router.current()).routes.map((x) => `${x.prefix} ${x.dev}`)
}

test('start applies the saved map with no controller: data plane peers and routes into the TUN', async () => {
  const r = rig(netmap(3, [2, 3]))
  await r.agent.start()
  try {
    await awaitApplied(r, 3)
    assert.deepEqual(await routes(r), ['10.2.0.0/16 vmt0', '10.3.0.0/16 vmt0'])
    const st = r.agent.status()
    assert.deepEqual(
      st.peers.map((p) => p.id),
      ['vpc_000000000002', 'vpc_000000000003'],
    )
    assert.equal(r.controls.length, 1)
    assert.equal(r.controls[0]?.o.initialMap?.version, 3, 'the controller is offered the saved map for a delta')
    assert.deepEqual(r.controls[0]?.acks, [3], 'the client learns the applied version for its next hello')
    assert.equal(r.server.source, r.agent, 'the status server shows this engine')
  } finally {
    await r.agent.stop()
  }
})

test('--dataplane-workers opens a forwarding engine, and the data plane drives its tables', async () => {
  const r = rig(netmap(3, [2, 3]), ['--dataplane-workers', '2'])
  await r.agent.start()
  try {
    await awaitApplied(r, 3)
    const forwarding = r.engines[0]?.forwarding
    assert.ok(forwarding !== undefined, 'a forwarding engine')
    assert.equal(forwarding.workerStats().length, 2)
    const engine = r.engines[0] as ProbeEngine
    const ip = (dst: number[]) => Uint8Array.of(0x45, 0, 0, 20, 0, 0, 0, 0, 64, 253, 0, 0, 10, 1, 0, 1, ...dst)
    engine.injectTun(ip([10, 2, 0, 1])) // v2's prefix, no session yet
    engine.injectTun(ip([10, 9, 0, 1])) // nobody's
    await pollUntil('the engine routed both', () => {
      const g = engine.stats.global()
      return g.tunDropNoSession === 1 && g.tunDropNoRoute === 1
    })
    assert.deepEqual(
      r.agent.status().peers.map((p) => p.id),
      ['vpc_000000000002', 'vpc_000000000003'],
    )
  } finally {
    await r.agent.stop()
  }
})

test('a map from the controller programs routes and peers, is saved and acked; the next one replaces it', async () => {
  const r = rig()
  await r.agent.start()
  try {
    const control = r.controls[0] as FakeControl
    assert.deepEqual((await r.router.current()).routes, [], 'nothing before the first map')
    control.deliver(netmap(5, [2, 3]))
    await awaitApplied(r, 5)
    assert.deepEqual(await routes(r), ['10.2.0.0/16 vmt0', '10.3.0.0/16 vmt0'])
    assert.deepEqual([control.acks, r.state.loadNetMap()?.version], [[5], 5])
    control.deliver(netmap(6, [3]))
    await awaitApplied(r, 6)
    assert.deepEqual(await routes(r), ['10.3.0.0/16 vmt0'])
    assert.deepEqual(control.acks, [5, 6])
    const st = r.agent.status()
    assert.deepEqual(
      [st.appliedVersion, st.peers.map((p) => p.id), st.host?.routes.map((x) => x.prefix)],
      [6, ['vpc_000000000003'], ['10.3.0.0/16']],
    )
    assert.equal(r.state.loadNetMap()?.version, 6)
    assert.deepEqual(r.agent.health(), { ok: true })
  } finally {
    await r.agent.stop()
  }
})

test('losing the TUN device calls onFatal once and turns /healthz unhealthy', async () => {
  const r = rig(netmap(1, [2]))
  await r.agent.start()
  try {
    await awaitApplied(r, 1)
    r.clock.advance(2000)
    assert.equal(r.fatal.length, 0, 'the link is there')
    r.link.present = false
    r.clock.advance(2000)
    assert.deepEqual(r.fatal, ['VPCMESH_ERR_TUN_DEVICE_GONE: TUN device vmt0 disappeared'])
    r.clock.advance(10_000)
    assert.equal(r.fatal.length, 1, 'reported once')
    const h = r.agent.health()
    assert.equal(h.ok, false)
    assert.match(h.detail ?? '', /VPCMESH_ERR_TUN_DEVICE_GONE/)
  } finally {
    await r.agent.stop()
  }
})

test('the timers report status to the controller and re-apply the map to repair the host', async () => {
  const r = rig(netmap(1, [2]))
  await r.agent.start()
  try {
    await awaitApplied(r, 1)
    r.clock.advance(5000)
    assert.equal(r.controls[0]?.reports, 1)
    await r.runner.run(['ip', 'route', 'del', '10.2.0.0/16', 'table', '30317'])
    await awaitRoutes(r, [])
    r.clock.advance(30_000)
    await awaitRoutes(r, ['10.2.0.0/16'])
  } finally {
    await r.agent.stop()
  }
})

test('stop cancels every timer, stops the client and the status server and closes the engine', async () => {
  const r = rig(netmap(1, [2]))
  await r.agent.start()
  await awaitApplied(r, 1)
  assert.ok(r.clock.pending() > 0)
  await r.agent.stop()
  assert.equal(r.clock.pending(), 0, 'no timer left')
  assert.equal(r.controls[0]?.state, 'stopped')
  assert.equal(r.server.closed, true)
  assert.ok((r.engines[0]?.closes ?? 0) >= 1, 'engine closed')
  assert.equal(r.agent.status().controller.state, 'idle')
  await r.agent.stop()
  assert.equal(r.engines.length, 1, 'a second stop does nothing')
})

test('a start that fails at its last step stops what had started: engine closed, no timer, client stopped', async () => {
  const r = rig(netmap(1, [2]))
  r.server.fail = Object.assign(new Error('listen EADDRINUSE 127.0.0.1:7701'), { code: 'EADDRINUSE' })
  await assert.rejects(r.agent.start(), /EADDRINUSE/)
  assert.ok((r.engines[0]?.closes ?? 0) >= 1, 'engine closed')
  assert.equal(r.controls[0]?.state, 'stopped')
  assert.equal(r.clock.pending(), 0, 'no timer left')
  assert.equal(r.agent.status().controller.state, 'idle')
  r.server.fail = undefined
  await r.agent.start()
  try {
    assert.equal(r.engines.length, 2, 'a later start opens a new engine')
    await awaitApplied(r, 1)
    assert.deepEqual(await routes(r), ['10.2.0.0/16 vmt0'])
  } finally {
    await r.agent.stop()
  }
})
