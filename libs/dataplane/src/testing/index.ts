/** Test helpers for @vpcmesh/dataplane: in-memory meshes of real data planes and packet builders. */
export { createTestMesh, type TestMesh, type TestMeshOptions, type MeshNode } from './mesh.js'
export { ipv4Packet, ipv6Packet, seqPayload, seqOf } from './packets.js'
export { MemoryTimestampStore } from './timestamp-store.js'
