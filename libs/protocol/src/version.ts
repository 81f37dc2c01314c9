/**
 * PROTOCOL_VERSION is the version of the agent ⇄ controller WebSocket protocol. Peers exchange
 * it in `hello`; the controller refuses versions it does not speak with
 * VPCMESH_ERR_WS_PROTOCOL_VERSION. Bump it on any incompatible change and add a line below.
 *
 * History:
 * - 1 (2026-11-25): hello/welcome/snapshot/delta/ack/ping/pong/status/error.
 */
export const PROTOCOL_VERSION = 1

/** Oldest protocol version this build still speaks. */
export const MIN_PROTOCOL_VERSION = 1
