import { readFile } from 'node:fs/promises'
import { errorMessage } from '@vpcmesh/common'
import type { Flags } from './args.js'
import { CliError } from './errors.js'

/** Controller URL when neither --controller nor VPCMESH_CONTROLLER is set. */
export const DEFAULT_CONTROLLER_URL = 'http://127.0.0.1:7700'

/** Environment variables the CLI reads (flags win over them). */
export type CliEnv = Readonly<Record<string, string | undefined>>

/** The token text as given by the user, before any file is read. */
export function tokenCandidates(flags: Flags, env: CliEnv): Array<string | undefined> {
  return [flags.string('token'), env.VPCMESH_TOKEN]
}

/**
 * The controller base URL from --controller, then VPCMESH_CONTROLLER, then the default;
 * without a trailing slash. Throws a usage error unless it is an http(s) URL.
 */
export function controllerUrl(flags: Flags, env: CliEnv): string {
  const fromFlag = flags.string('controller')
  const raw = fromFlag ?? nonEmpty(env.VPCMESH_CONTROLLER) ?? DEFAULT_CONTROLLER_URL
  const source = fromFlag !== undefined ? '--controller' : 'VPCMESH_CONTROLLER'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new CliError(`bad value for ${source}: "${raw}" is not a URL (e.g. http://10.0.0.5:7700)`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`bad value for ${source}: "${raw}" must be an http:// or https:// URL`)
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new CliError(`bad value for ${source}: "${raw}" must not carry credentials, a query or a fragment`)
  }
  return url.href.replace(/\/+$/, '')
}

/**
 * The admin token: --token, else --token-file, else VPCMESH_TOKEN, else VPCMESH_TOKEN_FILE.
 * File contents are trimmed. Throws a usage error when none is set, a file cannot be read
 * or is empty, or the token holds characters an HTTP header cannot carry. Messages never
 * include the token.
 */
export async function resolveToken(flags: Flags, env: CliEnv): Promise<string> {
  const flagToken = flags.string('token')
  const flagFile = flags.string('token-file')
  if (flagToken !== undefined && flagFile !== undefined) throw new CliError('give --token or --token-file, not both')
  let token: string
  if (flagToken !== undefined) token = flagToken.trim()
  else if (flagFile !== undefined) token = await readTokenFile(flagFile, '--token-file')
  else if (nonEmpty(env.VPCMESH_TOKEN) !== undefined) token = (env.VPCMESH_TOKEN ?? '').trim()
  else if (nonEmpty(env.VPCMESH_TOKEN_FILE) !== undefined)
    token = await readTokenFile(env.VPCMESH_TOKEN_FILE ?? '', 'VPCMESH_TOKEN_FILE')
  else throw new CliError('no admin token: set --token or VPCMESH_TOKEN (or --token-file / VPCMESH_TOKEN_FILE)')
  if (token === '') throw new CliError('the admin token is empty: set --token or VPCMESH_TOKEN')
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new CliError('the admin token holds spaces or non-ASCII characters; check --token or VPCMESH_TOKEN')
  return token
}

async function readTokenFile(path: string, source: string): Promise<string> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new CliError(`cannot read token file ${path} (${source}): ${errorMessage(e)}`)
  }
  const token = text.trim()
  if (token === '') throw new CliError(`token file ${path} (${source}) is empty`)
  return token
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s
}
