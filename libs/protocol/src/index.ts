export { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from './version.js'
export { VpcName, VpcId, CidrText, PublicKey, MeshVersion, GatewayId, GatewayName } from './names.js'
export { type Endpoint, parseEndpoint, formatEndpoint } from './endpoint.js'
export {
  ActiveGateway,
  AddressMode,
  DnsZoneSetting,
  GlobalPrefix,
  MeshGateway,
  MeshNode,
  NetMap,
  RouteTableSetting,
  type RoutedInput,
  type RoutedPrefix,
  routedPrefixPairs,
  routedPrefixes,
} from './netmap.js'
export {
  AgentAuth,
  Hello,
  Welcome,
  Snapshot,
  Delta,
  Ack,
  Ping,
  Pong,
  PeerStatus,
  StatusReport,
  ErrorFrame,
  AgentMessage,
  ControllerMessage,
  CloseCode,
} from './messages.js'
export { MAX_FRAME_BYTES, type Decoded, decodeAgentMessage, decodeControllerMessage, encodeMessage } from './codec.js'
export { ErrorBody, WireErrorCode } from './errors.js'
export { frameBytes } from './frame-bytes.js'
export { HostPort } from './host-port.js'
export {
  MAX_PREFIXES_PER_VPC,
  CreateVpcRequest,
  PatchVpcRequest,
  RouteRequest,
  AddRouteRequest,
  RouteListQuery,
  RouteEntry,
  RouteLookup,
  RouteListResponse,
  VpcParams,
  Vpc,
  CreateVpcResponse,
  JoinTokenResponse,
  ListVpcsResponse,
  VpcResponse,
  AgentStatus,
  StatusResponse,
  HealthResponse,
  DrainRequest,
  GatewayParams,
} from './api.js'
export { LOW_ORDER_POINTS, PUBLIC_KEY_BYTES, checkPublicKey, isValidPublicKey } from './public-key.js'
export {
  AgentStatusDocument,
  AgentPeerState,
  AgentHostState,
  SkippedPeerState,
  SkippedRouteState,
  UdpEndpointState,
} from './agent-status.js'
export { parseDnsServer } from './dns-server.js'
export {
  ExplainRequest,
  ExplainResponse,
  ExplainHop,
  HopName,
  HopVerdict,
  ProbeRequest,
  ProbeResult,
  ProbeRoute,
  ProbeNft,
  ProbeDns,
  ForeignDropChain,
  ProbeFrame,
  ProbeResultFrame,
  PROBE_FEATURE,
  ProbeOutcome,
  RelayedProbe,
} from './explain.js'
