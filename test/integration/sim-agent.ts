import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import type { MeshNode } from '@vpcmesh/protocol'
import { awaitValue } from '@vpcmesh/testbed'

/** Any decoded controller frame. */
export type Frame = Record<string, unknown> & { type: string }

/**
 * A simulated agent over a real WebSocket: sends hello, applies snapshots and deltas to an
 * in-memory peer map, acks every version (unless `autoAck` is false), answers pings.
 */
export class SimAgent {
  readonly frames: Frame[] = []
  /** The key sent in hello; random unless given (tests of refused keys set it). */
  publicKey: string
  vpcId: string | undefined
  credential: string | undefined
  /** Gateway id from the enrolment's welcome; sent back with the credential, as the real agent does. */
  gatewayId: string | undefined
  /** Store epoch from the last welcome; sent back in hello. */
  epoch: string | undefined
  version = 0
  peers = new Map<string, MeshNode>()
  self: MeshNode | undefined
  closeCode: number | undefined
  closeReason = ''
  autoAck = true
  /** Whether `frames` keeps every frame; benchmarks with thousands of agents turn it off. */
  keepFrames = true
  /**
   * Whether `peers` holds the map; benchmarks with thousands of agents turn it off (N agents
   * holding N peers each is N² objects in the benchmark's process). Versions are still checked.
   */
  keepPeers = true
  /** performance.now() at which each version was applied (and acked). */
  readonly appliedAt = new Map<number, number>()
  private ws: WebSocket | undefined

  constructor(publicKey = randomBytes(32).toString('base64')) {
    this.publicKey = publicKey
  }

  /** Connects and sends hello with a join token (first time) or the stored credential. */
  async connect(wsUrl: string, joinToken?: string): Promise<void> {
    this.closeCode = undefined
    const ws = new WebSocket(wsUrl)
    this.ws = ws
    ws.on('message', (d: WebSocket.RawData) => {
      this.onFrame(JSON.parse(d.toString()) as Frame)
    })
    ws.on('close', (code: number, reason: Buffer) => {
      this.closeCode = code
      this.closeReason = reason.toString()
    })
    ws.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve()
      })
      ws.once('error', reject)
    })
    const auth =
      joinToken !== undefined
        ? { kind: 'join', token: joinToken }
        : {
            kind: 'credential',
            vpcId: this.vpcId,
            credential: this.credential,
            ...(this.gatewayId === undefined ? {} : { gateway: this.gatewayId }),
          }
    this.send({
      type: 'hello',
      protocol: 1,
      agentVersion: 'sim',
      auth,
      publicKey: this.publicKey,
      lastVersion: this.version,
      epoch: this.epoch,
    })
  }

  send(m: unknown): void {
    this.ws?.send(JSON.stringify(m))
  }
  sendRaw(s: string | Buffer): void {
    this.ws?.send(s)
  }

  /** Waits until this agent holds at least `v`. */
  async awaitVersion(v: number, timeoutMs = 10_000): Promise<void> {
    await awaitValue(
      `agent ${this.self?.name ?? '?'} at version ${v} (has ${this.version})`,
      () => this.version >= v,
      timeoutMs,
    )
  }

  async awaitClosed(timeoutMs = 10_000): Promise<number> {
    return await awaitValue('connection closed', () => this.closeCode, timeoutMs)
  }

  /** Frames of a type received since the start. */
  of(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type)
  }

  close(): void {
    this.ws?.close(1000, 'bye')
  }
  terminate(): void {
    this.ws?.terminate()
  }

  private onFrame(f: Frame): void {
    if (this.keepFrames) this.frames.push(f)
    if (f.type === 'welcome') {
      this.vpcId = f.vpcId as string
      this.epoch = f.epoch as string
      if (typeof f.credential === 'string') this.credential = f.credential
      if (typeof f.gatewayId === 'string') this.gatewayId = f.gatewayId
    } else if (f.type === 'snapshot') {
      this.self = f.self as MeshNode
      this.peers = this.keepPeers ? new Map((f.peers as MeshNode[]).map((p) => [p.id, p])) : new Map()
      this.applied(f.version as number)
    } else if (f.type === 'delta') {
      if (f.fromVersion !== this.version)
        throw new Error(`delta from ${String(f.fromVersion)} but agent has ${this.version}`)
      if (f.self !== undefined) this.self = f.self as MeshNode
      if (this.keepPeers) {
        for (const p of f.upsert as MeshNode[]) this.peers.set(p.id, p)
        for (const id of f.remove as string[]) this.peers.delete(id)
      }
      this.applied(f.version as number)
    } else if (f.type === 'ping') {
      this.send({ type: 'pong', id: f.id })
    }
  }

  private applied(v: number): void {
    this.version = v
    this.appliedAt.set(v, performance.now())
    if (this.autoAck) this.send({ type: 'ack', version: v })
  }
}
