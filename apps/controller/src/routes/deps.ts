import type { Clock, Logger } from '@vpcmesh/common'
import { ErrorBody, type Vpc } from '@vpcmesh/protocol'
import type { ControllerConfig } from '../config.js'
import type { Store, VpcRecord } from '../state/store.js'

/** What route plugins use. */
export interface RouteDeps {
  config: ControllerConfig
  store: Store
  clock: Clock
  logger: Logger
}

/** The API view of a stored VPC. */
export function toApiVpc(r: VpcRecord): Vpc {
  return {
    id: r.id,
    name: r.name,
    cidrs: r.cidrs,
    routes: r.routes,
    endpoint: r.endpoint,
    masquerade: r.masquerade,
    publicKey: r.publicKey,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    version: r.version,
    gateways: (r.gateways ?? []).map((g) => ({ ...g, createdAt: new Date(g.createdAt).toISOString() })),
    active: r.active == null ? null : { ...r.active, since: new Date(r.active.since).toISOString() },
    routeTable: r.routeTable ?? { provider: 'none' },
    dnsZones: r.dnsZones ?? [],
    mode: r.mode ?? 'local',
    globalPrefixes: r.globalPrefixes ?? [],
  }
}

/** The error answers every registry route documents (OpenAPI), all `{code, message, retryable}`. */
export const ERROR_RESPONSES = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
}
