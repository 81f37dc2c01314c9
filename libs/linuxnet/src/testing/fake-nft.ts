/**
 * In-memory model of nftables tables for FakeRunner: `nft -f -` transactions made of
 * `table F N { … }` and `delete table F N` statements (all or nothing), listing as text and
 * as `nft -j` JSON (tables, chains, rules with their comments).
 */
import type { FakeOutcome } from './fake-ip.js'

/** One chain: its header line (`type … policy …;`) and rule lines, as written. */
interface FakeChain {
  name: string
  header: string
  rules: string[]
}

const NO_SUCH = 'Error: No such file or directory'

/** Splits `nft -f` input into top-level statements (a `{ … }` block ends a statement). */
function statements (input: string): string[] {
  const out: string[] = []
  let cur: string[] = []
  let depth = 0
  for (const raw of input.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    if (line === '') continue
    cur.push(line)
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length
    if (depth === 0) { out.push(cur.join('\n')); cur = [] }
  }
  if (cur.length > 0) out.push(cur.join('\n'))
  return out
}

/** Parses a table body into chains; lines outside chains (table comments) are ignored. */
function parseChains (body: string[]): FakeChain[] {
  const chains: FakeChain[] = []
  let cur: FakeChain | undefined
  for (const line of body) {
    const m = /^chain (\S+) \{$/.exec(line)
    if (m?.[1] !== undefined) { cur = { name: m[1], header: '', rules: [] }; chains.push(cur); continue }
    if (line === '}') { cur = undefined; continue }
    if (cur === undefined) continue
    if (line.startsWith('type ')) cur.header = line
    else cur.rules.push(line)
  }
  return chains
}

/** The nftables model: tables by `family name`. */
export class FakeNft {
  /** Tables keyed `inet vpcmesh`, in creation order. */
  tables = new Map<string, FakeChain[]>()

  /** Applies an `nft -f` transaction: every statement or none. */
  apply (input: string): FakeOutcome {
    const next = new Map([...this.tables].map(([k, v]) => [k, v.map((c) => ({ ...c, rules: [...c.rules] }))]))
    for (const st of statements(input)) {
      const del = /^delete table (\w+) (\w+)$/.exec(st)
      const def = /^table (\w+) (\w+) \{([\s\S]*)\}$/.exec(st)
      if (del !== null) {
        if (!next.delete(`${del[1] ?? ''} ${del[2] ?? ''}`)) return { code: 1, stderr: `${NO_SUCH}\n${st}` }
      } else if (def !== null) {
        const key = `${def[1] ?? ''} ${def[2] ?? ''}`
        const chains = parseChains((def[3] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== ''))
        next.set(key, [...(next.get(key) ?? []), ...chains])
      } else {
        return { code: 1, stderr: `Error: FakeNft does not model this statement\n${st}` }
      }
    }
    this.tables = next
    return { code: 0 }
  }

  /** `nft delete table F N`. */
  deleteTable (key: string): FakeOutcome {
    return this.tables.delete(key) ? { code: 0 } : { code: 1, stderr: NO_SUCH }
  }

  /** `nft list table F N` / `nft list ruleset` text, indented with tabs like nft. */
  listText (key?: string): FakeOutcome {
    if (key !== undefined && !this.tables.has(key)) return { code: 1, stderr: NO_SUCH }
    const keys = key === undefined ? [...this.tables.keys()] : [key]
    const text = keys.map((k) => [`table ${k} {`,
      (this.tables.get(k) ?? []).map((c) => [`\tchain ${c.name} {`, `\t\t${c.header}`, ...c.rules.map((r) => `\t\t${r}`), '\t}'].join('\n')).join('\n\n'),
      '}'].join('\n')).join('\n')
    return { code: 0, stdout: text === '' ? '' : `${text}\n` }
  }

  /** `nft -j list table F N` / `nft -j list ruleset`: tables, chains, rules (with `comment` when set). */
  listJson (key?: string): FakeOutcome {
    if (key !== undefined && !this.tables.has(key)) return { code: 1, stderr: NO_SUCH }
    const out: unknown[] = [{ metainfo: { version: 'fake', json_schema_version: 1 } }]
    let handle = 1
    for (const [k, chains] of this.tables) {
      if (key !== undefined && k !== key) continue
      const [family, table] = k.split(' ')
      out.push({ table: { family, name: table, handle: handle++ } })
      for (const c of chains) out.push({ chain: { family, table, name: c.name, handle: handle++ } })
      for (const c of chains) {
        for (const r of c.rules) {
          const comment = / comment "([^"]*)"$/.exec(r)?.[1]
          out.push({ rule: { family, table, chain: c.name, handle: handle++, ...(comment === undefined ? {} : { comment }), expr: [] } })
        }
      }
    }
    return { code: 0, stdout: `${JSON.stringify({ nftables: out })}\n` }
  }
}
