/**
 * The `inet vpcmesh` nftables table: rendered purely from the config, compared with what is
 * loaded through the rule comments (which carry a fingerprint of the rendered text), and
 * replaced in one atomic `nft -f -` transaction only when it differs.
 *
 * Besides the MSS clamp and masquerade, the table holds the mesh policy: a packet arriving
 * from the TUN is forwarded (and delivered to this host) only when its destination is one of
 * this VPC's prefixes (sets `local4`/`local6`), never to link-local or cloud-metadata
 * addresses and never back into the TUN. Denied packets are dropped and counted in the named
 * counters `mesh_forward_denied` and `mesh_input_denied`. Packets that did not arrive
 * from the TUN are not matched by any of our rules (the chains' policy stays accept).
 */
import { createHash } from 'node:crypto'
import { LINUXNET_ERROR_CODES, LinuxNetError } from './errors.js'
import { isValidLinkName } from './router-config.js'
import type { CommandRunner } from './runner.js'
import { runExpecting } from './expected-failures.js'

/** Family and name of the one nftables table vpcmesh owns. */
export const NFT_TABLE = 'inet vpcmesh'

/** The RouterConfig fields the ruleset depends on. */
export interface NftablesInput {
  /** TUN link name; must pass the RouterConfig name rule (it is quoted into the ruleset). */
  tunName: string
  /** TUN MTU in bytes; SYNs arriving from the mesh are clamped to it. */
  mtu: number
  /** Masquerade traffic from the mesh leaving towards the local network. */
  masquerade: boolean
  /** Clamp TCP MSS in both directions. @default true */
  mssClamp?: boolean
  /**
   * This VPC's own CIDRs and routes, canonical (IPv4 and IPv6): the only destinations packets
   * from the TUN may reach. Empty: nothing from the mesh is forwarded.
   */
  localCidrs: readonly string[]
  /**
   * Global mode: IPv4 prefix pairs translated 1:1 (prefix NAT). Packets from the TUN to
   * `global` get their destination mapped into `local`; packets from `local` into the TUN get
   * their source mapped into `global`. Connection tracking reverses both for replies. @default []
   */
  globalNat?: ReadonlyArray<{ local: string; global: string }>
}

/** Names of the named counters of denied mesh packets (`nft list counter inet vpcmesh <name>`). */
export const NFT_COUNTERS = {
  forwardDenied: 'mesh_forward_denied',
  inputDenied: 'mesh_input_denied',
  /** Connections from the mesh whose destination a global-mode VPC's gateway translated (NAT rules see a flow's first packet only). */
  globalNatIn: 'global_nat_in',
  /** Connections into the mesh whose source it translated. */
  globalNatOut: 'global_nat_out',
} as const

/** Packets and bytes of one nftables counter. */
export interface NftCounter {
  packets: number
  bytes: number
}

/** Placeholder replaced by the fingerprint once the text around it is known. */
const FP = '@FP@'
/** TCP/IP header bytes subtracted from an MTU to get the MSS: IPv4 20+20, IPv6 40+20 (RFC 879, RFC 8200). */
const MSS_OVERHEAD = { ipv4: 40, ipv6: 60 } as const

/** The forward chain rules: MSS clamp on SYN and SYN/ACK through the TUN, both ways. */
function clampRules(tun: string, mtu: number): string[] {
  const clamp = (nf: 'ipv4' | 'ipv6'): string => {
    const mss = mtu - MSS_OVERHEAD[nf]
    return (
      `iifname "${tun}" meta nfproto ${nf} tcp flags syn tcp option maxseg size > ${mss} ` +
      `tcp option maxseg size set ${mss} comment "vpcmesh:mss-in-${nf.slice(2)}:${FP}"`
    )
  }
  return [
    clamp('ipv4'),
    clamp('ipv6'),
    `oifname "${tun}" tcp flags syn tcp option maxseg size set rt mtu comment "vpcmesh:mss-out:${FP}"`,
  ]
}

/** One base chain with a policy accept header. */
function chain(name: string, header: string, rules: string[]): string[] {
  return [`\tchain ${name} {`, `\t\t${header}; policy accept;`, ...rules.map((r) => `\t\t${r}`), '\t}']
}

/**
 * Destinations never reachable from the mesh, even inside the local prefixes: IPv4 link-local
 * (with the cloud metadata service 169.254.169.254), IPv6 link-local and AWS's IPv6 metadata
 * address (RFC 3927, RFC 4291 §2.5.6).
 */
const NEVER = { v4: '169.254.0.0/16', v6: '{ fd00:ec2::254, fe80::/10 }' } as const

/** The named sets of local prefixes, one per family (an empty set has no elements line). */
function localSets(cidrs: readonly string[]): string[] {
  const set = (name: string, type: string, elems: readonly string[]): string[] => [
    `\tset ${name} {`,
    `\t\ttype ${type}; flags interval;`,
    ...(elems.length === 0 ? [] : [`\t\telements = { ${elems.join(', ')} }`]),
    '\t}',
  ]
  return [
    ...set(
      'local4',
      'ipv4_addr',
      cidrs.filter((c) => !c.includes(':')),
    ),
    ...set(
      'local6',
      'ipv6_addr',
      cidrs.filter((c) => c.includes(':')),
    ),
  ]
}

/**
 * Drop rules for packets from the TUN towards anything but the local prefixes, counted in
 * `counter`; `what` is `forward` or `input` (comment prefix).
 */
function denyRules(tun: string, what: 'forward' | 'input', counter: string): string[] {
  const drop = (match: string, tag: string): string =>
    `iifname "${tun}" ${match} counter name "${counter}" drop comment "vpcmesh:${what}-deny-${tag}:${FP}"`
  return [
    ...(what === 'forward' ? [drop(`oifname "${tun}"`, 'hairpin')] : []),
    drop(`ip daddr ${NEVER.v4}`, 'link-local-v4'),
    drop(`ip6 daddr ${NEVER.v6}`, 'link-local-v6'),
    drop('ip daddr != @local4', 'v4'),
    drop('ip6 daddr != @local6', 'v6'),
  ]
}

/**
 * The 1:1 prefix translation of a global-mode VPC, one rule per pair and direction: in the
 * `global_in` chain (prerouting, dstnat) packets from the TUN towards a global prefix get the
 * local prefix as destination, before routing and before the mesh policy (which then sees a
 * local destination); in `postrouting` (srcnat) packets from a local prefix into the TUN get
 * the global prefix as source. Comments `vpcmesh:global-dnat-v4-<i>` / `global-snat-v4-<i>`.
 */
function globalNatRules(
  tun: string,
  pairs: ReadonlyArray<{ local: string; global: string }>,
): {
  dnat: string[]
  snat: string[]
} {
  return {
    dnat: pairs.map(
      (g, i) =>
        `iifname "${tun}" ip daddr ${g.global} counter name "${NFT_COUNTERS.globalNatIn}" ` +
        `dnat ip prefix to ${g.local} comment "vpcmesh:global-dnat-v4-${i}:${FP}"`,
    ),
    snat: pairs.map(
      (g, i) =>
        `oifname "${tun}" ip saddr ${g.local} counter name "${NFT_COUNTERS.globalNatOut}" ` +
        `snat ip prefix to ${g.global} comment "vpcmesh:global-snat-v4-${i}:${FP}"`,
    ),
  }
}

/**
 * Renders the complete `inet vpcmesh` table. Pure and deterministic. Every rule carries a
 * comment `vpcmesh:<what>:<fingerprint>`, the fingerprint being 16 hex digits of SHA-256 over
 * the text, so a changed config or renderer shows up as different comments on the host.
 *
 * Incoming SYNs are clamped to the TUN MTU itself: for them `rt mtu` would be the MTU of the
 * route towards the local network, not the tunnel's. Outgoing SYNs use `rt mtu` (the TUN route).
 * The mesh policy chains (`mesh_forward`, `mesh_input`, priority filter) are always present;
 * masquerade applies only to mesh traffic towards the local prefixes; a global-mode VPC's
 * prefix translation (see {@link globalNatRules}) comes before masquerade in `postrouting`.
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_CONFIG for a tunName unsafe to quote
 */
export function renderNftables(cfg: NftablesInput): string {
  if (!isValidLinkName(cfg.tunName)) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.config, `invalid TUN name ${JSON.stringify(cfg.tunName)} for nftables`)
  }
  const tun = cfg.tunName
  const natCounters = (cfg.globalNat ?? []).length === 0 ? [] : [NFT_COUNTERS.globalNatIn, NFT_COUNTERS.globalNatOut]
  const lines = [
    ...localSets(cfg.localCidrs),
    ...[NFT_COUNTERS.forwardDenied, NFT_COUNTERS.inputDenied, ...natCounters].flatMap((c) => [
      `\tcounter ${c} {`,
      '\t}',
    ]),
  ]
  if (cfg.mssClamp ?? true)
    lines.push(...chain('forward', 'type filter hook forward priority mangle', clampRules(tun, cfg.mtu)))
  lines.push(
    ...chain(
      'mesh_forward',
      'type filter hook forward priority filter',
      denyRules(tun, 'forward', NFT_COUNTERS.forwardDenied),
    ),
  )
  lines.push(
    ...chain('mesh_input', 'type filter hook input priority filter', denyRules(tun, 'input', NFT_COUNTERS.inputDenied)),
  )
  const nat = globalNatRules(tun, cfg.globalNat ?? [])
  if (nat.dnat.length > 0) lines.push(...chain('global_in', 'type nat hook prerouting priority dstnat', nat.dnat))
  const post = [...nat.snat]
  if (cfg.masquerade) {
    post.push(
      `iifname "${tun}" oifname != "${tun}" ip daddr @local4 masquerade comment "vpcmesh:masquerade-v4:${FP}"`,
      `iifname "${tun}" oifname != "${tun}" ip6 daddr @local6 masquerade comment "vpcmesh:masquerade-v6:${FP}"`,
    )
  }
  if (post.length > 0) lines.push(...chain('postrouting', 'type nat hook postrouting priority srcnat', post))
  const text = [`table ${NFT_TABLE} {`, ...lines, '}', ''].join('\n')
  const fp = createHash('sha256').update(text).digest('hex').slice(0, 16)
  return text.replaceAll(FP, fp)
}

/** The rule comments of rendered text, in order (what {@link readNftRules} should find). */
export function ruleComments(text: string): string[] {
  return [...text.matchAll(/ comment "([^"]*)"$/gm)].map((m) => m[1] ?? '')
}

/**
 * The `nft -f -` input that replaces our table atomically: create it if missing, delete it,
 * define it anew, all in one transaction. With `text` '' it only removes the table.
 */
export function nftTransaction(text: string): string {
  return `table ${NFT_TABLE} {}\ndelete table ${NFT_TABLE}\n${text}`
}

/** What {@link readNftTable} finds in our table. */
export interface NftTableState {
  /** Rule comments in order (rules without a comment read as ''). */
  rules: string[]
  /** Named counters by name (absent ones are missing). */
  counters: Record<string, NftCounter>
}

/**
 * Reads our table's rule comments and named counters with one `nft -j list table`.
 * @returns undefined when the table does not exist
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND or VPCMESH_ERR_LINUXNET_OUTPUT
 */
export async function readNftTable(runner: CommandRunner): Promise<NftTableState | undefined> {
  const argv = ['nft', '-j', 'list', 'table', ...NFT_TABLE.split(' ')]
  const res = await runExpecting(runner, argv, ['noObject'])
  if (res === undefined) return undefined
  let doc: {
    nftables?: Array<{ rule?: { comment?: unknown }; counter?: { name?: unknown; packets?: unknown; bytes?: unknown } }>
  }
  try {
    doc = JSON.parse(res.stdout) as typeof doc
  } catch (e) {
    throw new LinuxNetError(LINUXNET_ERROR_CODES.output, `nft -j printed invalid JSON: ${res.stdout.slice(0, 200)}`, {
      cause: e,
    })
  }
  if (!Array.isArray(doc.nftables))
    throw new LinuxNetError(LINUXNET_ERROR_CODES.output, 'nft -j printed no "nftables" array')
  const counters: Record<string, NftCounter> = {}
  for (const o of doc.nftables) {
    const c = o.counter
    if (c !== undefined && typeof c.name === 'string')
      counters[c.name] = { packets: Number(c.packets ?? 0), bytes: Number(c.bytes ?? 0) }
  }
  const rules = doc.nftables.flatMap((o) =>
    o.rule === undefined ? [] : [typeof o.rule.comment === 'string' ? o.rule.comment : ''],
  )
  return { rules, counters }
}

/**
 * Reads the rule comments of our table (rules without a comment read as '').
 * @returns undefined when the table does not exist
 * @throws LinuxNetError VPCMESH_ERR_LINUXNET_COMMAND or VPCMESH_ERR_LINUXNET_OUTPUT
 */
export async function readNftRules(runner: CommandRunner): Promise<string[] | undefined> {
  return (await readNftTable(runner))?.rules
}

/**
 * `text` with the named counters starting at the values in `counters` (those not listed start
 * at 0), so replacing the table does not reset what was counted.
 */
export function withCounterValues(text: string, counters: Readonly<Record<string, NftCounter>>): string {
  return text.replace(/^\tcounter (\w+) \{\n\t\}$/gm, (all, name: string) => {
    const c = counters[name]
    return c === undefined || !Number.isSafeInteger(c.packets) || !Number.isSafeInteger(c.bytes)
      ? all
      : `\tcounter ${name} {\n\t\tpackets ${c.packets} bytes ${c.bytes}\n\t}`
  })
}

/**
 * Makes our table match `text` (from {@link renderNftables}); does nothing when the loaded
 * rule comments already equal the rendered ones. A replaced table keeps the values of its
 * named counters (packets counted between the read and the replacement are lost).
 * @returns true when a transaction was applied
 */
export async function syncNftables(runner: CommandRunner, text: string): Promise<boolean> {
  const loaded = await readNftTable(runner)
  const want = ruleComments(text)
  if (text === '' ? loaded === undefined : loaded !== undefined && sameList(loaded.rules, want)) return false
  await runner.run(['nft', '-f', '-'], { input: nftTransaction(withCounterValues(text, loaded?.counters ?? {})) })
  return true
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Deletes our table; a table that does not exist is fine. */
export async function deleteNftTable(runner: CommandRunner): Promise<void> {
  const argv = ['nft', 'delete', 'table', ...NFT_TABLE.split(' ')]
  await runExpecting(runner, argv, ['noObject'])
}
