/**
 * DNS over TCP framing (RFC 1035 4.2.2, RFC 7766): each message is preceded by its length as
 * a two-byte big-endian integer. Several messages may share one connection and one chunk.
 */

/** Largest DNS message a two-byte length can carry. */
export const MAX_TCP_MESSAGE = 65_535

/** The message with its two-byte length prefix. Throws a RangeError past {@link MAX_TCP_MESSAGE}. */
export function frame(message: Uint8Array): Buffer {
  if (message.length > MAX_TCP_MESSAGE)
    throw new RangeError(`DNS message of ${message.length} bytes is too long for TCP`)
  const out = Buffer.allocUnsafe(message.length + 2)
  out.writeUInt16BE(message.length, 0)
  out.set(message, 2)
  return out
}

/**
 * Splits a TCP byte stream into DNS messages. `push` takes each chunk as it arrives and returns
 * the messages it completed, in order (copies; the caller owns them). A message split across
 * chunks is kept until it is complete; `buffered` says how many bytes wait.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0)

  /** Appends `chunk` and returns every complete message now available. */
  push(chunk: Buffer): Buffer[] {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const out: Buffer[] = []
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0)
      if (buf.length < len + 2) break
      out.push(Buffer.from(buf.subarray(2, len + 2)))
      buf = buf.subarray(len + 2)
    }
    this.pending = Buffer.from(buf)
    return out
  }

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.pending.length
  }
}
