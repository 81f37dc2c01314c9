/**
 * A mesh of real data planes on in-memory engines (MemoryPacketEngine) and a FakeClock, for
 * tests without root (wireguard-go's device_test testPair, for N nodes). Each node gets a
 * key pair, an endpoint 192.0.2.<n>:51820 and its prefixes; by default every node is
 * configured with all the others and started. With `workers` >= 1 the engines are forwarding
 * engines (they route and check sources from the tables the data planes upload).
 */
import { FakeClock } from '@vpcmesh/common/testing'
import { noopLogger, type Logger } from '@vpcmesh/common'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import type { UdpEndpoint } from '@vpcmesh/tun'
import { MemoryPacketEngine, ChannelNetwork } from '@vpcmesh/tun/testing'
import type { DataplaneConfig, PeerConfig } from '../config.js'
import { createDataplane, type Dataplane } from '../dataplane.js'
import { generateKeyPair, type KeyPairText } from '../key-text.js'
import type { DataplaneOptions } from '../options.js'
import type { TimestampStore } from '../timestamp-store.js'

/** One node of a {@link TestMesh}. */
export interface MeshNode {
  readonly name: string
  readonly keys: KeyPairText
  readonly endpoint: UdpEndpoint
  readonly prefixes: string[]
  readonly engine: MemoryPacketEngine
  readonly metrics: MemoryMetrics
  readonly dataplane: Dataplane
}

/** Options of {@link createTestMesh}. */
export interface TestMeshOptions {
  /** Options of every data plane. */
  dataplane?: DataplaneOptions
  /** Packet workers of every engine (MemoryPacketEngineOptions.workers): 0 inline, >= 1 forwarding. @default 0 */
  workers?: number
  /** Configure every node with all others. @default true */
  configure?: boolean
  /** Start every node. @default true */
  start?: boolean
  logger?: Logger
  /** The timestamp store of the node called `name` (kept across {@link TestMesh.restart}). Absent: none. */
  timestamps?: (name: string) => TimestampStore | undefined
}

/** Nodes on one network and one clock. */
export interface TestMesh {
  readonly network: ChannelNetwork
  readonly clock: FakeClock
  readonly nodes: readonly MeshNode[]
  /** The node called `name` (throws if none). */
  node(name: string): MeshNode
  /** The PeerConfig describing `name` to others. */
  peerConfig(name: string): PeerConfig
  /** The config of `name` with every other node as a peer. */
  configFor(name: string): DataplaneConfig
  /** Lets queued datagrams and batches run (several event-loop turns), without moving the clock. */
  flush(): Promise<void>
  /** Moves the clock by `ms` in steps of `stepMs`, flushing after each. @default stepMs 50 */
  step(ms: number, stepMs?: number): Promise<void>
  /**
   * Closes the data plane of `name` and starts a new one with the same keys, endpoint and
   * timestamp store on a new engine, configured with all others (an agent restart). Returns the new node.
   */
  restart(name: string): MeshNode
  /** Closes every data plane. */
  close(): void
}

/** Builds a mesh of nodes `{name, prefixes}` (at most 250). */
export function createTestMesh(
  specs: ReadonlyArray<{ name: string; prefixes: string[] }>,
  opts: TestMeshOptions = {},
): TestMesh {
  const network = new ChannelNetwork()
  const clock = new FakeClock()
  const build = (name: string, endpoint: UdpEndpoint, keys: KeyPairText, prefixes: string[]): MeshNode => {
    const engine = new MemoryPacketEngine(network, {
      endpoint,
      tunName: `chan-${name}`,
      maxSlots: 64,
      workers: opts.workers ?? 0,
      now: () => clock.monotonic(),
    })
    const metrics = new MemoryMetrics({ clock })
    const timestamps = opts.timestamps?.(name)
    const dataplane = createDataplane(
      {
        engine,
        clock,
        logger: opts.logger ?? noopLogger,
        metrics,
        ...(timestamps === undefined ? {} : { timestamps }),
      },
      opts.dataplane,
    )
    return { name, keys, endpoint, prefixes: [...prefixes], engine, metrics, dataplane }
  }
  const nodes: MeshNode[] = specs.map((s, i) =>
    build(s.name, { address: `192.0.2.${i + 1}`, port: 51820 }, generateKeyPair(), s.prefixes),
  )
  const node = (name: string): MeshNode => {
    const n = nodes.find((x) => x.name === name)
    if (n === undefined) throw new Error(`no node ${name}`)
    return n
  }
  const peerConfig = (name: string): PeerConfig => {
    const n = node(name)
    return {
      id: `id-${n.name}`,
      name: n.name,
      publicKey: n.keys.publicKey,
      endpoint: { ...n.endpoint },
      allowedPrefixes: [...n.prefixes],
    }
  }
  const configFor = (name: string): DataplaneConfig => ({
    privateKey: node(name).keys.privateKey,
    peers: nodes.filter((n) => n.name !== name).map((n) => peerConfig(n.name)),
  })
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 12; i++)
      await new Promise<void>((resolve) => {
        setImmediate(resolve)
      })
  }
  const mesh: TestMesh = {
    network,
    clock,
    nodes,
    node,
    peerConfig,
    configFor,
    flush,
    async step(ms, stepMs = 50) {
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t))
        await flush()
      }
    },
    restart(name) {
      const old = node(name)
      old.dataplane.close()
      const fresh = build(old.name, old.endpoint, old.keys, old.prefixes)
      nodes[nodes.indexOf(old)] = fresh
      fresh.dataplane.reconfig(configFor(name))
      fresh.dataplane.start()
      return fresh
    },
    close() {
      for (const n of nodes) n.dataplane.close()
    },
  }
  if (opts.configure ?? true) for (const n of nodes) n.dataplane.reconfig(configFor(n.name))
  if (opts.start ?? true) for (const n of nodes) n.dataplane.start()
  return mesh
}
