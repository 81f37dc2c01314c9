import type { ProbeOutcome, ProbeResult } from '@vpcmesh/protocol'
import type { VpcRecord } from '../../src/state/store.js'

/** A registry record with defaults for what these tests do not care about. */
export function vpc(id: string, name: string, cidrs: string[], extra: Partial<VpcRecord> = {}): VpcRecord {
  return {
    id,
    name,
    cidrs,
    routes: [],
    endpoint: '198.51.100.1:51820',
    masquerade: true,
    publicKey: null,
    createdAt: 0,
    updatedAt: 0,
    version: 1,
    ...extra,
  }
}

export const A = vpc('vpc_0000000000a1', 'a', ['10.1.0.0/24'])
export const B = vpc('vpc_0000000000b2', 'b', ['10.2.0.0/24'], {
  dnsZones: [{ zone: 'corp.internal', server: '10.2.0.53' }],
})
/** Two global-mode VPCs sharing 10.0.0.0/24. */
export const G1 = vpc('vpc_0000000000c3', 'g1', ['10.0.0.0/24'], {
  mode: 'global',
  globalPrefixes: [{ local: '10.0.0.0/24', global: '242.0.0.0/24' }],
})
export const G2 = vpc('vpc_0000000000d4', 'g2', ['10.0.0.0/24', '10.5.0.0/24'], {
  mode: 'global',
  globalPrefixes: [
    { local: '10.0.0.0/24', global: '242.0.1.0/24' },
    { local: '10.5.0.0/24', global: '242.0.2.0/24' },
  ],
})

/** The comments an agent with MSS clamp loads (fingerprint `f`). */
export const CLAMP = ['vpcmesh:mss-in-v4:f', 'vpcmesh:mss-in-v6:f', 'vpcmesh:mss-out:f']

/** A healthy probe result of an agent whose table 52 routes `routes` into vpcmesh0. */
export function result(routes: string[], localSet: string[], extra: Partial<ProbeResult> = {}): ProbeResult {
  return {
    vpcId: null,
    tun: { name: 'vpcmesh0', mtu: 1420 },
    table: 52,
    routes: routes.map((prefix) => ({ prefix, dev: 'vpcmesh0', type: 'unicast' })),
    skippedRoutes: [],
    peers: [],
    nft: { table: true, comments: CLAMP, localSet, foreignDrops: [] },
    forwarding: { ipv4: true, ipv6: true },
    dns: null,
    errors: [],
    ...extra,
  }
}

export function ok(r: ProbeResult): ProbeOutcome {
  return { ok: true, result: r }
}

/** A tunnel peer as the data plane reports it. */
export function peer(id: string, up: boolean): ProbeResult['peers'][number] {
  return {
    id,
    name: id,
    up,
    rttMs: up ? 0.42 : null,
    txBytes: 1,
    rxBytes: up ? 100 : 0,
    txPackets: 1,
    rxPackets: up ? 5 : 0,
    lastHandshakeAgeS: up ? 4 : null,
    endpoint: { address: '198.51.100.2', port: 51820 },
  }
}
