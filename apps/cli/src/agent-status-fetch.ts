import { AgentStatusDocument } from '@vpcmesh/protocol'
import { BadAgentStatusError, UnreachableError, usageError } from './errors.js'
import { failureReason } from './client.js'

/** How long `agent-status` waits for the agent, ms. */
export const AGENT_STATUS_TIMEOUT_MS = 10_000

/**
 * The `/status` URL of an agent's status server given as `http://HOST:PORT` (a trailing
 * `/status` is accepted too). Throws a usage error unless it is an http(s) URL without
 * credentials, query or fragment.
 */
export function agentStatusUrl(raw: string, command: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw usageError(`bad URL "${raw}": not a URL (e.g. http://127.0.0.1:7701)`, command)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`bad URL "${raw}": must be an http:// or https:// URL`, command)
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
    throw usageError(`bad URL "${raw}": must not carry credentials, a query or a fragment`, command)
  const base = url.href.replace(/\/+$/, '')
  return base.endsWith('/status') ? base : `${base}/status`
}

/**
 * GETs an agent's `/status` and checks it against {@link AgentStatusDocument}. No answer is an
 * {@link UnreachableError} (exit 1); an error status, a body that is not JSON or does not match
 * the schema is a {@link BadAgentStatusError} (exit 2) naming the first mismatch.
 */
export async function fetchAgentStatus(
  url: string,
  fetchFn: typeof fetch,
  timeoutMs = AGENT_STATUS_TIMEOUT_MS,
): Promise<AgentStatusDocument> {
  let res: Response
  let text: string
  try {
    res = await fetchFn(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) })
    text = await res.text()
  } catch (e) {
    throw new UnreachableError(url, failureReason(e, timeoutMs), e, 'agent')
  }
  const hint = "is it an agent's status server (--status-listen) of a compatible version?"
  if (!res.ok) throw new BadAgentStatusError(`${url} answered ${`${res.status} ${res.statusText}`.trim()}; ${hint}`)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new BadAgentStatusError(`${url} answered something that is not JSON; ${hint}`)
  }
  const parsed = AgentStatusDocument.safeParse(body)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const where = issue === undefined ? '' : `: ${issue.path.map(String).join('.') || '(body)'} ${issue.message}`
  throw new BadAgentStatusError(`${url} answered a body that is not an agent status${where}; ${hint}`)
}
