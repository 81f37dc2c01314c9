// Shared set-up of the mesh tests: three nodes with distinct prefixes, and small helpers.
// The mesh suites run twice: as written (inline engines, the data plane decides per packet),
// and through a `*.forwarding.test.ts` twin that calls useForwardingEngines() first.
import { createTestMesh, type TestMesh, type TestMeshOptions } from '../src/testing/index.js'

/** Packet workers of the engines these helpers build (each test file is its own process). */
let workers = 0

/** From now on, meshes of this test process use forwarding engines (MemoryPacketEngine with workers: 1). */
export function useForwardingEngines(): void {
  workers = 1
}

/** A mesh of `specs` on the engines of this test process (see {@link useForwardingEngines}). */
export function meshOf(
  specs: ReadonlyArray<{ name: string; prefixes: string[] }>,
  opts: TestMeshOptions = {},
): TestMesh {
  return createTestMesh(specs, { workers, ...opts })
}

/** A, B and C with IPv4 and IPv6 prefixes. */
export function threeNodes(opts: TestMeshOptions = {}): TestMesh {
  return meshOf(
    [
      { name: 'a', prefixes: ['10.1.0.0/16', 'fd00:a::/48'] },
      { name: 'b', prefixes: ['10.2.0.0/16', 'fd00:b::/48'] },
      { name: 'c', prefixes: ['10.3.0.0/16', '172.16.3.0/24'] },
    ],
    opts,
  )
}

/** Status of `peer` as seen by `node`. */
export function statusOf(mesh: TestMesh, node: string, peer: string) {
  const s = mesh
    .node(node)
    .dataplane.status()
    .find((p) => p.name === peer)
  if (s === undefined) throw new Error(`${node} has no peer ${peer}`)
  return s
}

/** Value of a metric series on `node`. */
export function metric(
  mesh: TestMesh,
  node: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return mesh.node(node).metrics.value(name, labels)
}

/** The message type (first u32 LE) of a datagram. */
export function typeOf(d: Uint8Array): number {
  return new DataView(d.buffer, d.byteOffset, d.byteLength).getUint32(0, true)
}

/**
 * Records every handshake initiation (type 1) that node `from` sends to node `to`, in order,
 * from now on (it takes over `mesh.network.onDatagram`).
 */
export function captureInitiations(mesh: TestMesh, from: string, to: string): Uint8Array[] {
  const [src, dst] = [mesh.node(from).endpoint.address, mesh.node(to).endpoint.address]
  const captured: Uint8Array[] = []
  mesh.network.onDatagram = (d, f, t) => {
    if (f.address === src && t.address === dst && typeOf(d) === 1) captured.push(d)
  }
  return captured
}
