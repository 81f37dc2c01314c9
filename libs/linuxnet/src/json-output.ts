import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'

/**
 * Parses the JSON array a `-json` command printed (empty output is an empty array).
 * @param what - the command for messages, e.g. `ip -json route`
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_OUTPUT when the text is not a JSON array
 */
export function parseJsonArray(json: string, what: string): unknown[] {
  let raw: unknown
  try {
    raw = JSON.parse(json.trim() === '' ? '[]' : json)
  } catch (e) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.output, `${what} printed invalid JSON: ${json.slice(0, 200)}`, {
      cause: e,
    })
  }
  if (!Array.isArray(raw))
    throw new LinuxNetError(LINUXNET_ERROR_CODES.output, `${what} printed no array: ${json.slice(0, 200)}`)
  return raw
}
