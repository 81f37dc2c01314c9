/**
 * In-memory model of nftables tables for FakeRunner: `nft -f -` transactions made of
 * `table F N { … }` and `delete table F N` statements (all or nothing), listing as text and
 * as `nft -j` JSON (tables, sets, named counters, chains, rules with their comments). Like
 * nft, a transaction fails when a rule names a set (`@name`) or a counter (`counter name "x"`)
 * that its table does not declare. Counters start at 0; {@link FakeNft.count} adds to one,
 * as packets matching a rule would.
 */
import type { FakeOutcome } from './fake-ip.js'

/** One chain: its header line (`type … policy …;`) and rule lines, as written. */
interface FakeChain {
  name: string
  header: string
  rules: string[]
}

/** One named set: its declaration lines (`type …`, `flags …`, `elements = { … }`), one item per line. */
interface FakeSet {
  name: string
  lines: string[]
}

/** One table. */
interface FakeTable {
  chains: FakeChain[]
  sets: FakeSet[]
  counters: Map<string, { packets: number; bytes: number }>
}

const NO_SUCH = 'Error: No such file or directory'

/** Splits `nft -f` input into top-level statements (a `{ … }` block ends a statement). */
function statements(input: string): string[] {
  const out: string[] = []
  let cur: string[] = []
  let depth = 0
  for (const raw of input.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    if (line === '') continue
    cur.push(line)
    depth += (line.match(/{/g) ?? []).length - (line.match(/}/g) ?? []).length
    if (depth === 0) {
      out.push(cur.join('\n'))
      cur = []
    }
  }
  if (cur.length > 0) out.push(cur.join('\n'))
  return out
}

/** Parses a table body into chains, sets and counters; other lines (table comments) are ignored. */
function parseBody(body: string[]): FakeTable {
  const t: FakeTable = { chains: [], sets: [], counters: new Map() }
  let cur:
    | { kind: 'chain'; c: FakeChain }
    | { kind: 'set'; s: FakeSet }
    | { kind: 'counter'; c: { packets: number; bytes: number } }
    | undefined
  for (const line of body) {
    const m = /^(chain|set|counter) (\S+) \{$/.exec(line)
    if (m?.[2] !== undefined) {
      if (m[1] === 'chain') {
        const c = { name: m[2], header: '', rules: [] }
        t.chains.push(c)
        cur = { kind: 'chain', c }
      }
      if (m[1] === 'set') {
        const s = { name: m[2], lines: [] }
        t.sets.push(s)
        cur = { kind: 'set', s }
      }
      if (m[1] === 'counter') {
        const c = { packets: 0, bytes: 0 }
        t.counters.set(m[2], c)
        cur = { kind: 'counter', c }
      }
      continue
    }
    if (line === '}') {
      cur = undefined
      continue
    }
    const v = /^packets (\d+) bytes (\d+)$/.exec(line)
    if (cur?.kind === 'counter' && v !== null) {
      cur.c.packets = Number(v[1])
      cur.c.bytes = Number(v[2])
    }
    if (cur?.kind === 'set')
      cur.s.lines.push(
        ...line
          .split(';')
          .map((x) => x.trim())
          .filter((x) => x !== ''),
      )
    if (cur?.kind !== 'chain') continue
    if (line.startsWith('type ')) cur.c.header = line
    else cur.c.rules.push(line)
  }
  return t
}

/** The first set or counter a rule of `t` names that `t` does not declare, or undefined. */
function missingReference(t: FakeTable): string | undefined {
  for (const r of t.chains.flatMap((c) => c.rules)) {
    for (const m of r.matchAll(/@(\w+)/g)) if (!t.sets.some((s) => s.name === m[1])) return r
    for (const m of r.matchAll(/counter name "?(\w+)"?/g)) if (!t.counters.has(m[1] ?? '')) return r
  }
  return undefined
}

function copyTable(t: FakeTable): FakeTable {
  return {
    chains: t.chains.map((c) => ({ ...c, rules: [...c.rules] })),
    sets: t.sets.map((s) => ({ ...s, lines: [...s.lines] })),
    counters: new Map([...t.counters].map(([k, v]) => [k, { ...v }])),
  }
}

/** The nftables model: tables by `family name`. */
export class FakeNft {
  /** Tables keyed `inet vpcmesh`, in creation order. */
  tables = new Map<string, FakeTable>()

  /** Applies an `nft -f` transaction: every statement or none. */
  apply(input: string): FakeOutcome {
    const next = new Map([...this.tables].map(([k, v]) => [k, copyTable(v)]))
    for (const st of statements(input)) {
      const del = /^delete table (\w+) (\w+)$/.exec(st)
      const def = /^table (\w+) (\w+) \{([\s\S]*)\}$/.exec(st)
      if (del !== null) {
        if (!next.delete(`${del[1] ?? ''} ${del[2] ?? ''}`)) return { code: 1, stderr: `${NO_SUCH}\n${st}` }
      } else if (def !== null) {
        const key = `${def[1] ?? ''} ${def[2] ?? ''}`
        const add = parseBody(
          (def[3] ?? '')
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l !== ''),
        )
        const prev = next.get(key) ?? { chains: [], sets: [], counters: new Map() }
        next.set(key, {
          chains: [...prev.chains, ...add.chains],
          sets: [...prev.sets, ...add.sets],
          counters: new Map([...prev.counters, ...add.counters]),
        })
      } else {
        return { code: 1, stderr: `Error: FakeNft does not model this statement\n${st}` }
      }
    }
    for (const t of next.values()) {
      const bad = missingReference(t)
      if (bad !== undefined) return { code: 1, stderr: `Error: Could not process rule: ${NO_SUCH.slice(7)}\n${bad}` }
    }
    this.tables = next
    return { code: 0 }
  }

  /** Adds to a named counter of table `key` (as matching packets would); false when it does not exist. */
  count(key: string, name: string, packets: number, bytes: number): boolean {
    const c = this.tables.get(key)?.counters.get(name)
    if (c === undefined) return false
    c.packets += packets
    c.bytes += bytes
    return true
  }

  /** `nft delete table F N`. */
  deleteTable(key: string): FakeOutcome {
    return this.tables.delete(key) ? { code: 0 } : { code: 1, stderr: NO_SUCH }
  }

  /** `nft list table F N` / `nft list ruleset` text, indented with tabs like nft (counters, sets, chains). */
  listText(key?: string): FakeOutcome {
    if (key !== undefined && !this.tables.has(key)) return { code: 1, stderr: NO_SUCH }
    const keys = key === undefined ? [...this.tables.keys()] : [key]
    const text = keys
      .map((k) => {
        const t = this.tables.get(k) ?? { chains: [], sets: [], counters: new Map() }
        const blocks = [
          ...[...t.counters].map(([n, c]) =>
            [`\tcounter ${n} {`, `\t\tpackets ${c.packets} bytes ${c.bytes}`, '\t}'].join('\n'),
          ),
          ...t.sets.map((s) => [`\tset ${s.name} {`, ...s.lines.map((l) => `\t\t${l}`), '\t}'].join('\n')),
          ...t.chains.map((c) =>
            [`\tchain ${c.name} {`, `\t\t${c.header}`, ...c.rules.map((r) => `\t\t${r}`), '\t}'].join('\n'),
          ),
        ]
        return [`table ${k} {`, blocks.join('\n\n'), '}'].join('\n')
      })
      .join('\n')
    return { code: 0, stdout: text === '' ? '' : `${text}\n` }
  }

  /** `nft -j list table F N` / `nft -j list ruleset`: tables, counters, sets, chains, rules (with `comment` when set). */
  listJson(key?: string): FakeOutcome {
    if (key !== undefined && !this.tables.has(key)) return { code: 1, stderr: NO_SUCH }
    const out: unknown[] = [{ metainfo: { version: 'fake', json_schema_version: 1 } }]
    let handle = 1
    for (const [k, t] of this.tables) {
      if (key !== undefined && k !== key) continue
      const [family, table] = k.split(' ')
      out.push({ table: { family, name: table, handle: handle++ } })
      for (const [name, c] of t.counters)
        out.push({ counter: { family, name, table, handle: handle++, packets: c.packets, bytes: c.bytes } })
      for (const s of t.sets)
        out.push({
          set: {
            family,
            name: s.name,
            table,
            type: s.lines.find((l) => l.startsWith('type '))?.slice(5) ?? '',
            handle: handle++,
          },
        })
      for (const c of t.chains) out.push({ chain: { family, table, name: c.name, handle: handle++ } })
      for (const c of t.chains) {
        for (const r of c.rules) {
          const comment = / comment "([^"]*)"$/.exec(r)?.[1]
          out.push({
            rule: {
              family,
              table,
              chain: c.name,
              handle: handle++,
              ...(comment === undefined ? {} : { comment }),
              expr: [],
            },
          })
        }
      }
    }
    return { code: 0, stdout: `${JSON.stringify({ nftables: out })}\n` }
  }
}
