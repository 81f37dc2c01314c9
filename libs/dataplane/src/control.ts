/**
 * In-tunnel control messages: authenticated payloads whose first byte is 0x00, which the
 * engine hands to JavaScript instead of the TUN (PacketKind.Control). Layout, little-endian:
 * ```
 * 0x00 | type u8 (1 ping, 2 pong) | id u32 | sender's monotonic ms f64   (14 bytes)
 * ```
 * A pong echoes the ping's id and time, so the pinger measures RTT without keeping state.
 */

/** Bytes of a ping or pong. */
export const CONTROL_BYTES = 14
/** Control message types (byte 1). */
export const ControlType = { Ping: 1, Pong: 2 } as const

/** A reusable control message buffer: encode into it, or decode into it by copying. No allocation per message. */
export class ControlBuffer {
  /** The message bytes (valid up to CONTROL_BYTES). */
  readonly bytes = new Uint8Array(CONTROL_BYTES)
  private readonly view = new DataView(this.bytes.buffer)

  /** Writes a message of `type` with `id` and `timeMs`; returns `bytes`. */
  write(type: number, id: number, timeMs: number): Uint8Array {
    this.bytes[0] = 0
    this.bytes[1] = type
    this.view.setUint32(2, id >>> 0, true)
    this.view.setFloat64(6, timeMs, true)
    return this.bytes
  }

  /** Copies a received message from `buf[offset, offset+length)`; false unless it is a well-formed ping or pong. */
  read(buf: Uint8Array, offset: number, length: number): boolean {
    if (length !== CONTROL_BYTES) return false
    for (let i = 0; i < CONTROL_BYTES; i++) this.bytes[i] = buf[offset + i] ?? 0
    return this.bytes[0] === 0 && (this.bytes[1] === ControlType.Ping || this.bytes[1] === ControlType.Pong)
  }

  /** Type of the message read last. */
  get type(): number {
    return this.bytes[1] ?? 0
  }
  /** Id of the message read last. */
  get id(): number {
    return this.view.getUint32(2, true)
  }
  /** Time of the message read last. */
  get timeMs(): number {
    return this.view.getFloat64(6, true)
  }
}
