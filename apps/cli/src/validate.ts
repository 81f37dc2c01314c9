import { usageError } from './errors.js'

/** What the CLI needs of a schema: the `safeParse` of the zod schemas in @vpcmesh/protocol. */
export interface Schema<T> {
  safeParse(value: unknown): SafeParseResult<T>
}

/** The result shape of `safeParse`. */
export type SafeParseResult<T> =
  | { success: true; data: T }
  | { success: false; error: { issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }> } }

/**
 * Checks a request body before it is sent, so a bad flag value is a usage error (exit 2)
 * rather than a round trip. `labels` names the flag or argument behind each body field,
 * e.g. `{ cidrs: '--cidr' }`.
 */
export function validateRequest<T>(
  schema: Schema<T>,
  body: unknown,
  command: string,
  labels: Readonly<Record<string, string>>,
): T {
  const parsed = schema.safeParse(body)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue?.path[0]
  const label = typeof field === 'string' ? (labels[field] ?? field) : undefined
  const what = label === undefined ? '' : ` for ${label}`
  throw usageError(`bad value${what}: ${issue?.message ?? 'invalid'}`, command)
}
