/**
 * Liveness and RTT: a ping every `keepaliveMs` to each peer with a session, pongs echoed
 * back, a smoothed RTT (RFC 6298 §2: SRTT = 7/8 SRTT + 1/8 sample), and the up/down state
 * (down after `downAfterKeepalives` intervals without anything authenticated from the peer).
 */
import type { Logger } from '@vpcmesh/common'
import type { PacketEngine } from '@vpcmesh/tun'
import { ControlBuffer, ControlType } from './control.js'
import type { DataplaneMetrics } from './dataplane-metrics.js'
import { Drop, type DropCounter } from './drops.js'
import type { ResolvedOptions } from './options.js'
import type { Peer } from './peer.js'

/** What {@link Liveness} works with. */
export interface LivenessDeps {
  engine: PacketEngine
  logger: Logger
  options: ResolvedOptions
  drops: DropCounter
  metrics: DataplaneMetrics
}

/** Pings, pongs, RTT and up/down per peer. */
export class Liveness {
  private readonly d: LivenessDeps
  private readonly in = new ControlBuffer()
  private readonly out = new ControlBuffer()

  constructor(deps: LivenessDeps) {
    this.d = deps
  }

  /** A control payload authenticated by `slot` of `peer` (inbound loop; no allocation, never throws). */
  onControl(peer: Peer, slot: number, buf: Uint8Array, offset: number, length: number, now: number): void {
    if (!this.in.read(buf, offset, length)) {
      this.d.drops.add(Drop.malformed)
      return
    }
    if (this.in.type === ControlType.Ping) {
      const replySlot = peer.sendSlot >= 0 ? peer.sendSlot : slot
      this.d.engine.sealAndSendOne(replySlot, this.out.write(ControlType.Pong, this.in.id, this.in.timeMs))
      return
    }
    const sample = now - this.in.timeMs
    if (this.in.id !== peer.pingId || sample < 0) return
    peer.srttMs = peer.srttMs === undefined ? sample : peer.srttMs * 0.875 + sample * 0.125
    this.d.metrics.rtt.set(peer.labels.peer, peer.srttMs / 1000)
  }

  /** Timer work for one peer: ping if due, update up/down and the handshake-age gauge. */
  tick(peer: Peer, now: number): void {
    const { keepaliveMs, downAfterKeepalives } = this.d.options
    if (peer.sendSlot >= 0 && now - peer.lastPingAt >= keepaliveMs) {
      peer.lastPingAt = now
      peer.pingId = (peer.pingId + 1) >>> 0
      this.d.engine.sealAndSendOne(peer.sendSlot, this.out.write(ControlType.Ping, peer.pingId, now))
    }
    const up = peer.lastReceivedAt !== undefined && now - peer.lastReceivedAt <= downAfterKeepalives * keepaliveMs
    if (up !== peer.up) {
      peer.up = up
      this.d.metrics.up.set(peer.labels.peer, up ? 1 : 0)
      this.d.logger.info(up ? 'peer up' : 'peer down', { peer: peer.config.name })
    }
    if (peer.lastHandshakeAt !== undefined)
      this.d.metrics.handshakeAge.set(peer.labels.peer, (now - peer.lastHandshakeAt) / 1000)
  }

  /** Sets the gauges of a new peer to their initial values. */
  init(peer: Peer): void {
    this.d.metrics.up.set(peer.labels.peer, 0)
  }

  /** Removes every series of `peer` (it left the configuration or was renamed). */
  forget(peer: Peer): void {
    for (const g of [this.d.metrics.up, this.d.metrics.rtt, this.d.metrics.handshakeAge]) g.remove(peer.labels.peer)
    for (const c of [this.d.metrics.bytes, this.d.metrics.packets]) {
      c.remove(peer.labels.tx)
      c.remove(peer.labels.rx)
    }
  }
}
