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
}

export const LIST: ListVpcsResponse = { version: 7, vpcs: [AWS, GCP] }

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

/** An ErrorBody as the controller sends it. */
export function errorBody(
  code: string,
  message: string,
  retryable = false,
): { code: string; message: string; retryable: boolean } {
  return { code, message, retryable }
}
