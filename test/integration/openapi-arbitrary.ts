import fc from 'fast-check'

/** The subset of JSON Schema the controller's OpenAPI document uses (from its zod schemas). */
export interface JsonSchema {
  type?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minItems?: number
  maxItems?: number
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  required?: string[]
}

/** One route and method of the OpenAPI document. */
export interface Operation {
  method: string
  /** Path template, e.g. `/v1/vpcs/{id}`. */
  path: string
  pathParams: Array<{ name: string; schema: JsonSchema }>
  queryParams: Array<{ name: string; schema: JsonSchema; required: boolean }>
  /** JSON body schema, when the operation takes one. */
  body: JsonSchema | undefined
}

/** Every operation of an OpenAPI 3 document. */
export function operationsOf(doc: any): Operation[] {
  const out: Operation[] = []
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      const params: any[] = op.parameters ?? []
      out.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema })),
        queryParams: params
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  }
  return out
}

/**
 * Strings a field named `name` is likely to accept beyond its schema (the schema says only
 * "string" for CIDRs and endpoints): valid values, so some requests get past validation
 * and change state, which is where the interesting bugs are.
 */
function hintFor(name: string | undefined): fc.Arbitrary<string> | undefined {
  const octet = fc.integer({ min: 0, max: 255 })
  if (name === 'cidrs' || name === 'cidr') {
    return fc.oneof(
      { weight: 8, arbitrary: fc.tuple(octet, octet).map(([a, b]) => `10.${a}.${b}.0/24`) },
      fc.tuple(octet, octet, fc.integer({ min: 16, max: 28 })).map(([a, b, bits]) => `10.${a}.${b}.0/${bits}`),
      fc
        .tuple(octet, fc.integer({ min: 8, max: 16 }))
        .map(([a, bits]) => `${bits >= 16 ? `172.${a}` : '172.0'}.0.0/${bits}`),
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((n) => `fd00:${n.toString(16)}::/48`) },
      fc.constantFrom('0.0.0.0/0', '::/0', '127.0.0.0/8', '10.0.0.1/16', '224.0.0.0/4', '169.254.0.0/16'),
    )
  }
  if (name === 'endpoint') {
    return fc.oneof(
      fc.tuple(octet, fc.integer({ min: 0, max: 70000 })).map(([a, p]) => `192.0.2.${a}:${p}`),
      fc.constantFrom('[2001:db8::1]:51820', 'agent.example:51820', 'localhost:1', ':1', 'x:'),
    )
  }
  return undefined
}

/**
 * Optional settings whose random values the controller refuses almost always (a route table
 * provider with a VIP it does not take, a DNS server outside the VPC, a wished global prefix
 * for a prefix the VPC does not have, global mode for a prefix larger than the pool): mostly
 * their neutral value, so that enough requests still change state.
 */
const NEUTRAL: Record<string, unknown> = {
  routeTable: { provider: 'none' },
  dnsZones: [],
  globalPrefixes: [],
  mode: 'local',
}

/** Arbitrary of values valid for `schema` (and, for hinted fields, often meaningful). */
export function valid(schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
  if (name !== undefined && name in NEUTRAL)
    return fc.oneof(
      { weight: 4, arbitrary: fc.constant(NEUTRAL[name]) },
      { weight: 1, arbitrary: validOf(schema, name) },
    )
  return validOf(schema, name)
}

function validOf(schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case 'boolean':
      return fc.boolean()
    case 'integer':
      return fc.integer()
    case 'number':
      return fc.double({ noNaN: true })
    case 'array':
      return fc.array(valid(schema.items ?? {}, name), {
        minLength: schema.minItems ?? 0,
        maxLength: Math.min(schema.maxItems ?? 3, 3),
      })
    case 'object': {
      const props = schema.properties ?? {}
      const required = new Set(schema.required ?? [])
      const rec: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, s] of Object.entries(props)) rec[k] = valid(s, k)
      return fc.record(rec, { requiredKeys: [...required], noNullPrototype: true })
    }
    case 'string': {
      const hint = hintFor(name)
      if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern))
      const plain = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 60) })
      return hint === undefined ? plain : fc.oneof({ arbitrary: hint, weight: 4 }, { arbitrary: plain, weight: 1 })
    }
    default:
      return fc.jsonValue()
  }
}

/** Values that break types and limits: wrong types, huge numbers, odd unicode, deep nesting. */
export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    0,
    -0,
    1e308,
    -1e308,
    2 ** 53 + 1,
    Number.MAX_SAFE_INTEGER,
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\u202e/61.0.0.01',
    '😀'.repeat(40),
    'a'.repeat(10_000),
    '10.0.0.0/16\n',
    [],
    {},
    [[[[[[[[[[[]]]]]]]]]]],
    { __proto__: { polluted: true } },
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
)

/** `value` (an object) with one random field replaced by a hostile value, added, or removed. */
export function breakOne(value: unknown): fc.Arbitrary<unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return hostile
  const keys = Object.keys(value)
  return fc.tuple(fc.nat(), hostile, fc.constantFrom('replace', 'remove', 'add', 'nest')).map(([i, junk, how]) => {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) }
    const k = keys.length === 0 ? 'extra' : keys[i % keys.length]!
    if (how === 'replace') copy[k] = junk
    else if (how === 'remove') delete copy[k]
    else if (how === 'add') copy[`x${i % 7}`] = junk
    else copy[k] = Array.isArray(copy[k]) ? [...(copy[k] as unknown[]), junk] : [copy[k], junk]
    return copy
  })
}

/** Values at and just past the limits of `schema`: lengths min-1, min, max, max+1; item counts likewise. */
export function boundary(schema: JsonSchema, name?: string): fc.Arbitrary<unknown> {
  const around = (min: number | undefined, max: number | undefined) =>
    fc.constantFrom(
      ...[min, max].flatMap((n) => (n === undefined ? [] : [n - 1, n, n + 1])).filter((n) => n >= 0 && n <= 10_000),
    )
  if (schema.type === 'string' && (schema.minLength !== undefined || schema.maxLength !== undefined))
    return around(schema.minLength, schema.maxLength).map((n) => 'a'.repeat(n))
  if (schema.type === 'string' && schema.pattern !== undefined)
    return fc.constantFrom(
      'a',
      'a'.repeat(32),
      'a'.repeat(33),
      '-a',
      'a-',
      'A',
      'vpc_000000000000',
      'vpc_0000000000000',
    )
  if (schema.type === 'array' && (schema.minItems !== undefined || schema.maxItems !== undefined)) {
    return fc
      .tuple(around(schema.minItems, schema.maxItems), fc.nat({ max: 250 }))
      .map(([n, base]) => Array.from({ length: n }, (_, i) => (name === 'cidrs' ? `10.${base}.${i}.0/24` : 'a')))
  }
  return valid(schema, name)
}

/** A valid object of `schema` with one property set to a {@link boundary} value of its own schema. */
export function atBoundary(schema: JsonSchema): fc.Arbitrary<unknown> {
  const props = Object.entries(schema.properties ?? {})
  if (props.length === 0) return valid(schema)
  return fc
    .tuple(valid(schema), fc.constantFrom(...props))
    .chain(([v, [k, s]]) => boundary(s, k).map((b) => ({ ...(v as object), [k]: b })))
}
