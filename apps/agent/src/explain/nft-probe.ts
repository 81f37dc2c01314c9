/**
 * The nat, mtu and forward hops' live evidence from one `nft -j list ruleset`: our table's rule
 * comments and mesh policy sets, and every other table's forward-hook base chain whose policy
 * is drop (Docker's `iptables -P FORWARD DROP`, a firewall's own table), with whether it lets
 * the TUN's traffic through.
 */
import type { CommandRunner } from '@vpcmesh/linuxnet'
import type { ForeignDropChain, ProbeNft } from '@vpcmesh/protocol'

/** Our table, as `nft -j` names it. */
const OURS = { family: 'inet', name: 'vpcmesh' } as const
/** Most rule comments and set elements kept (the wire schema's bounds). */
const MAX_ITEMS = 256
/** Most foreign drop chains kept. */
const MAX_CHAINS = 32

type Obj = Record<string, unknown>

/**
 * Reads the whole ruleset and parses it for `tun`.
 * @throws LinuxNetError when `nft` fails; Error when it prints no ruleset JSON
 */
export async function readRuleset(runner: CommandRunner, tun: string): Promise<ProbeNft> {
  const r = await runner.run(['nft', '-j', 'list', 'ruleset'])
  return parseRuleset(r.stdout, tun)
}

/**
 * Parses `nft -j list ruleset` output. Pure.
 * @throws Error when the text is not JSON with an `nftables` array
 */
export function parseRuleset(json: string, tun: string): ProbeNft {
  let doc: unknown
  try {
    doc = JSON.parse(json)
  } catch {
    throw new Error(`nft -j printed invalid JSON: ${json.slice(0, 120)}`)
  }
  const items = (doc as { nftables?: unknown }).nftables
  if (!Array.isArray(items)) throw new Error('nft -j printed no "nftables" array')
  const objs = items.filter((o): o is Obj => typeof o === 'object' && o !== null)
  const ours = (o: Obj | undefined): boolean => o?.family === OURS.family && o?.table === OURS.name
  const table = objs.some((o) => {
    const t = o.table as Obj | undefined
    return t?.family === OURS.family && t?.name === OURS.name
  })
  const rules = objs.map((o) => o.rule as Obj | undefined).filter((r): r is Obj => r !== undefined)
  const comments = rules.filter(ours).map((r) => (typeof r.comment === 'string' ? r.comment.slice(0, 120) : ''))
  const localSet = objs
    .map((o) => o.set as Obj | undefined)
    .filter((s): s is Obj => ours(s) && (s?.name === 'local4' || s?.name === 'local6'))
    .flatMap((s) => (Array.isArray(s.elem) ? s.elem.flatMap(setElement) : []))
  return {
    table,
    comments: comments.slice(0, MAX_ITEMS),
    localSet: localSet.slice(0, MAX_ITEMS),
    foreignDrops: foreignDrops(objs, rules, tun).slice(0, MAX_CHAINS),
  }
}

/** A set element as prefix text (`10.0.0.0/24`, `10.0.0.1/32`); ranges and others are left out. */
function setElement(e: unknown): string[] {
  const v = typeof e === 'object' && e !== null && 'elem' in e ? (e as { elem: Obj }).elem.val : e
  if (typeof v === 'string') return [v.includes(':') ? `${v}/128` : `${v}/32`]
  const p = (v as { prefix?: { addr?: unknown; len?: unknown } } | null)?.prefix
  return typeof p?.addr === 'string' && typeof p.len === 'number' ? [`${p.addr}/${p.len}`] : []
}

/** Base chains of other tables on the forward hook with policy drop. */
function foreignDrops(objs: Obj[], rules: Obj[], tun: string): ForeignDropChain[] {
  const out: ForeignDropChain[] = []
  for (const o of objs) {
    const c = o.chain as Obj | undefined
    if (c?.hook !== 'forward' || c.policy !== 'drop') continue
    if (c.family === OURS.family && c.table === OURS.name) continue
    const own = rules.filter((r) => r.family === c.family && r.table === c.table && r.chain === c.name)
    out.push({
      family: String(c.family),
      table: String(c.table).slice(0, 64),
      chain: String(c.name).slice(0, 64),
      acceptsFromTun: own.some((r) => accepts(r, 'iifname', tun)),
      acceptsToTun: own.some((r) => accepts(r, 'oifname', tun) || acceptsEstablished(r)),
    })
  }
  return out
}

/** The rule's expressions. */
function exprs(r: Obj): Obj[] {
  return Array.isArray(r.expr) ? r.expr.filter((e): e is Obj => typeof e === 'object' && e !== null) : []
}

/** The rule ends in accept. */
function isAccept(r: Obj): boolean {
  return exprs(r).some((e) => 'accept' in e)
}

/** The rule accepts on `key` (iifname/oifname) equal to `tun` (or a wildcard matching it). */
function accepts(r: Obj, key: 'iifname' | 'oifname', tun: string): boolean {
  if (!isAccept(r)) return false
  return exprs(r).some((e) => {
    const m = e.match as { left?: { meta?: { key?: unknown } }; right?: unknown; op?: unknown } | undefined
    if (m?.left?.meta?.key !== key || (m.op !== '==' && m.op !== 'in')) return false
    const names = Array.isArray(m.right) ? m.right : ((m.right as Obj | undefined)?.set ?? [m.right])
    return (names as unknown[]).some((n) => typeof n === 'string' && nameMatches(n, tun))
  })
}

/** `iifname "vm*"` style wildcards. */
function nameMatches(pattern: string, tun: string): boolean {
  return pattern.endsWith('*') ? tun.startsWith(pattern.slice(0, -1)) : pattern === tun
}

/** The rule accepts established connections (`ct state established … accept`, or iptables' conntrack match). */
function acceptsEstablished(r: Obj): boolean {
  return isAccept(r) && JSON.stringify(r.expr).includes('established')
}
