/**
 * The bytes of one received WebSocket message as `ws` hands them over (its `RawData`: a
 * Buffer, an ArrayBuffer, or the fragments of a message as Buffers), as one Buffer for the
 * decoders in `codec.ts`. Fragments are joined; anything else is copied.
 */
export function frameBytes(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)
}
