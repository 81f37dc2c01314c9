export { Testbed, type TestbedOptions } from './testbed.js'
export { planNodes, UNDERLAY, type TestbedNode, type TestbedVpc } from './topology.js'
export {
  LocalMesh,
  type LocalMeshOptions,
  type AgentPlacement,
  type CliResult,
  CONTROLLER_PORT,
  AGENT_STATUS_PORT,
  AGENT_UDP_PORT,
} from './local-mesh.js'
export { stopProcess, teardown, type TeardownStep, type TeardownOptions } from './teardown.js'
export { awaitValue } from './await-value.js'
export { pcapFrames, udpPayloads, firstUdpPayload } from './pcap.js'
export { teardownMesh, type MeshParts } from './mesh-teardown.js'
export { buildHaLan, startHaGateway, type HaGateway, type HaLan } from './ha-lan.js'
export { startDnsmasq } from './dnsmasq.js'
