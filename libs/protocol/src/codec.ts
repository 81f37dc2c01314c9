import { AgentMessage, ControllerMessage } from './messages.js'

/** Largest WebSocket frame either side accepts, bytes. */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024

/** Result of decoding one frame: the typed message, or why it was refused. */
export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string }

function decodeWith<T>(
  schema: {
    safeParse: (
      v: unknown,
    ) =>
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } }
  },
  data: string | Buffer,
): Decoded<T> {
  if (data.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame of ${data.length} bytes exceeds ${MAX_FRAME_BYTES}` }
  let value: unknown
  try {
    value = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'))
  } catch {
    return { ok: false, error: 'frame is not valid JSON' }
  }
  const r = schema.safeParse(value)
  if (r.success) return { ok: true, message: r.data }
  const first = r.error.issues[0]
  const where = first === undefined || first.path.length === 0 ? 'frame' : first.path.map(String).join('.')
  return { ok: false, error: `${where}: ${first?.message ?? 'invalid'}` }
}

/** Decodes a frame received by the controller. Never throws. */
export function decodeAgentMessage(data: string | Buffer): Decoded<AgentMessage> {
  return decodeWith(AgentMessage, data)
}

/** Decodes a frame received by an agent. Never throws. */
export function decodeControllerMessage(data: string | Buffer): Decoded<ControllerMessage> {
  return decodeWith(ControllerMessage, data)
}

/** Encodes any message as a JSON text frame. */
export function encodeMessage(m: AgentMessage | ControllerMessage): string {
  return JSON.stringify(m)
}
