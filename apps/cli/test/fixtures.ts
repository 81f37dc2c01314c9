import type { CreateVpcResponse, JoinTokenResponse, ListVpcsResponse, StatusResponse, Vpc } from '@vpcmesh/protocol'

/** Canned controller answers for CLI tests; fixtures.test.ts checks each against its schema. */

export const AWS: Vpc = {
  id: 'vpc_0123456789ab',
  name: 'aws-prod',
  cidrs: ['10.0.0.0/16'],
  routes: ['172.31.0.0/16'],
  endpoint: '203.0.113.10:51820',
  masquerade: true,
  publicKey: 'q0p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA=',
  createdAt: '2025-06-01T10:00:00.000Z',
  updatedAt: '2025-06-01T11:00:00.000Z',
  version: 3,
  gateways: [],
  active: null,
  routeTable: { provider: 'none' },
  dnsZones: [],
  mode: 'local',
  globalPrefixes: [],
}

export const GCP: Vpc = {
  id: 'vpc_abcdefabcdef',
  name: 'gcp-dev',
  cidrs: ['10.1.0.0/16', '10.2.0.0/16'],
  routes: [],
  endpoint: 'edge.example.com:51820',
  masquerade: false,
  publicKey: null,
  createdAt: '2025-06-02T10:00:00.000Z',
  updatedAt: '2025-06-02T10:00:00.000Z',
  version: 5,
  gateways: [],
  active: null,
  routeTable: { provider: 'none' },
  dnsZones: [],
  mode: 'local',
  globalPrefixes: [],
}

/** An HA VPC: two gateways, gw-a active since a drain (epoch 4), gw-b standby; a VIP route table. */
export const OFFICE: Vpc = {
  id: 'vpc_0ff1ce0ff1ce',
  name: 'office',
  cidrs: ['10.9.0.0/24'],
  routes: [],
  endpoint: '198.51.100.10:51820',
  masquerade: false,
  publicKey: 'a1p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA=',
  createdAt: '2025-06-01T09:00:00.000Z',
  updatedAt: '2025-06-02T11:58:00.000Z',
  version: 6,
  gateways: [
    {
      id: 'gw_0a1b2c3d4e5f',
      name: 'gw-a',
      publicKey: 'a1p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA=',
      endpoint: '198.51.100.10:51820',
      drained: false,
      createdAt: '2025-06-01T09:10:00.000Z',
    },
    {
      id: 'gw_bbbbbbbbbbbb',
      name: 'gw-b',
      publicKey: 'b2p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA=',
      endpoint: null,
      drained: false,
      createdAt: '2025-06-01T09:20:00.000Z',
    },
  ],
  active: { gateway: 'gw_0a1b2c3d4e5f', epoch: 4, since: '2025-06-02T11:58:00.000Z', reason: 'drain' },
  routeTable: { provider: 'vip', vip: '10.9.0.254/24' },
  dnsZones: [],
  mode: 'local',
  globalPrefixes: [],
}

/** {@link OFFICE} after `gateway drain office gw-a`: gw-b active under epoch 5, gw-a drained. */
export const OFFICE_DRAINED: Vpc = {
  ...OFFICE,
  publicKey: 'b2p8tL4Hj5+kzJ1fWQ9yQw2Vx3mU7nE6bR4cS8dT1aA=',
  updatedAt: '2025-06-02T12:00:10.000Z',
  version: 10,
  gateways: OFFICE.gateways.map((g) => ({ ...g, drained: g.name === 'gw-a' })),
  active: { gateway: 'gw_bbbbbbbbbbbb', epoch: 5, since: '2025-06-02T12:00:10.000Z', reason: 'drain' },
}

export const LIST: ListVpcsResponse = { version: 7, vpcs: [AWS, GCP] }

/** {@link LIST} with the HA VPC. */
export const LIST_HA: ListVpcsResponse = { version: 7, vpcs: [AWS, GCP, OFFICE] }

export const JOIN_TOKEN = 'jt_Zm9vYmFyYmF6cXV4cXV1eDAxMjM0NTY3'

export const CREATED: CreateVpcResponse = {
  vpc: GCP,
  joinToken: JOIN_TOKEN,
  joinTokenExpiresAt: '2025-06-03T10:00:00.000Z',
}

export const FRESH_TOKEN: JoinTokenResponse = {
  vpcId: AWS.id,
  joinToken: JOIN_TOKEN,
  joinTokenExpiresAt: '2025-06-03T10:00:00.000Z',
}

/** "Now" for status tests: 30 s after aws-prod and gcp-dev were last seen. */
export const NOW = Date.parse('2025-06-02T12:00:30.000Z')

export const STATUS: StatusResponse = {
  version: 9,
  agents: [
    {
      id: AWS.id,
      name: 'aws-prod',
      enrolled: true,
      connected: true,
      appliedVersion: 9,
      lag: 0,
      lastSeen: '2025-06-02T12:00:00.000Z',
      replica: 'ctl-0',
      observedAddress: '203.0.113.10:51820',
      agentVersion: '0.1.0',
      peers: [
        { id: GCP.id, up: true, rttMs: 3.2, txBytes: 1000, rxBytes: 2000, lastHandshakeAgeS: 12 },
        { id: 'vpc_0000000000ff', up: false, rttMs: null, txBytes: 0, rxBytes: 0, lastHandshakeAgeS: null },
      ],
      gateways: [],
      active: null,
    },
    {
      id: GCP.id,
      name: 'gcp-dev',
      enrolled: true,
      connected: true,
      appliedVersion: 7,
      lag: 2,
      lastSeen: '2025-06-02T12:00:00.000Z',
      replica: 'ctl-1',
      observedAddress: null,
      agentVersion: '0.1.0',
      peers: [{ id: AWS.id, up: true, rttMs: 12.4, txBytes: 2000, rxBytes: 1000, lastHandshakeAgeS: 3 }],
      gateways: [],
      active: null,
    },
    {
      id: 'vpc_0000000000ff',
      name: 'onprem',
      enrolled: false,
      connected: false,
      appliedVersion: 0,
      lag: 9,
      lastSeen: null,
      replica: null,
      observedAddress: null,
      agentVersion: null,
      peers: [],
      gateways: [],
      active: null,
    },
  ],
}

/** {@link STATUS} with the HA VPC office: gw-a active and connected, gw-b standby, last seen 5 min ago. */
export const STATUS_HA: StatusResponse = {
  version: 9,
  agents: [
    ...STATUS.agents,
    {
      id: OFFICE.id,
      name: 'office',
      enrolled: true,
      connected: true,
      appliedVersion: 9,
      lag: 0,
      lastSeen: '2025-06-02T12:00:00.000Z',
      replica: 'ctl-0',
      observedAddress: '198.51.100.10:51820',
      agentVersion: '0.1.0',
      peers: [],
      gateways: [
        {
          id: 'gw_0a1b2c3d4e5f',
          name: 'gw-a',
          active: true,
          drained: false,
          connected: true,
          lastSeen: '2025-06-02T12:00:00.000Z',
          replica: 'ctl-0',
        },
        {
          id: 'gw_bbbbbbbbbbbb',
          name: 'gw-b',
          active: false,
          drained: false,
          connected: false,
          lastSeen: '2025-06-02T11:55:30.000Z',
          replica: null,
        },
      ],
      active: OFFICE.active,
    },
  ],
}

/** An ErrorBody as the controller sends it. */
export function errorBody(
  code: string,
  message: string,
  retryable = false,
): { code: string; message: string; retryable: boolean } {
  return { code, message, retryable }
}
