/** Per-slot state of the fake engine, the TypeScript twin of native/session_table.h. */
import type { CipherName, SessionKeys, UdpEndpoint } from '../engine.js'
import { ReplayWindow } from './replay-window.js'

/** One slot's session. */
export interface FakeSession {
  active: boolean
  localIndex: number
  remoteIndex: number
  sendKey: Uint8Array
  recvKey: Uint8Array
  sendCounter: bigint
  replay: ReplayWindow
  endpoint: UdpEndpoint | undefined
}

/** Slots plus the localIndex → slot map. */
export class FakeSessionTable {
  readonly cipher: CipherName
  readonly slots: FakeSession[]
  private readonly byIndex = new Map<number, number>()

  constructor(size: number, cipher: CipherName) {
    this.cipher = cipher
    this.slots = Array.from({ length: size }, () => ({
      active: false,
      localIndex: 0,
      remoteIndex: 0,
      sendKey: new Uint8Array(32),
      recvKey: new Uint8Array(32),
      sendCounter: 0n,
      replay: new ReplayWindow(),
      endpoint: undefined,
    }))
  }

  /** The slot owning `localIndex`, or -1. */
  lookup(localIndex: number): number {
    return this.byIndex.get(localIndex) ?? -1
  }

  /** Installs keys; false if another slot owns localIndex. Keeps the endpoint. */
  install(slot: number, keys: SessionKeys): boolean {
    const owner = this.lookup(keys.localIndex)
    if (owner >= 0 && owner !== slot) return false
    const s = this.slots[slot]
    if (s === undefined) return false
    if (s.active) this.byIndex.delete(s.localIndex)
    Object.assign(s, {
      active: true,
      localIndex: keys.localIndex,
      remoteIndex: keys.remoteIndex,
      sendKey: Uint8Array.from(keys.sendKey),
      recvKey: Uint8Array.from(keys.recvKey),
      sendCounter: 0n,
      replay: new ReplayWindow(),
    })
    this.byIndex.set(keys.localIndex, slot)
    return true
  }

  /** Removes session and endpoint. */
  clear(slot: number): void {
    const s = this.slots[slot]
    if (s === undefined) return
    if (s.active) this.byIndex.delete(s.localIndex)
    s.active = false
    s.endpoint = undefined
  }
}
