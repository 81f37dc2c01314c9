// The invariants checked after every chaos scenario (docs/testing.md, "Chaos"). Each check
// returns the problems it found, as sentences; an empty list means the invariant holds.
import { pollUntil } from '@vpcmesh/common'
import type { LocalMesh, Testbed, TestbedNode } from '@vpcmesh/testbed'
import type { WriteRecord } from './load.js'

/** Routes and nftables table of every gateway, normalized for comparison. */
export type MeshShape = Map<string, { routes: string[]; nft: string }>

/** A JSON call to the controller's API from the wan namespace (curl), with the admin token. */
export async function api(tb: Testbed, url: string, token: string, method: string, path: string): Promise<any> {
  const r = await tb.exec(
    tb.wanNs,
    ['curl', '-sS', '--max-time', '3', '-X', method, '-H', `authorization: Bearer ${token}`, `${url}${path}`],
    { allowFail: true },
  )
  if (r.code !== 0) throw new Error(`${method} ${path}: curl exited ${r.code}: ${r.stderr.trim()}`)
  return r.stdout.trim() === '' ? undefined : JSON.parse(r.stdout)
}

/** Reads the routes the agent installed and its nftables table (counters and handles dropped). */
export async function meshShape(tb: Testbed, nodes: readonly TestbedNode[]): Promise<MeshShape> {
  const out: MeshShape = new Map()
  for (const n of nodes) {
    const r = await tb.exec(
      n.gwNs,
      ['ip', '-json', 'route', 'show', 'table', 'all', 'dev', 'vpcmesh0', 'proto', '112'],
      {
        allowFail: true,
      },
    )
    const routes =
      r.code === 0 && r.stdout.trim() !== ''
        ? (JSON.parse(r.stdout) as Array<{ dst: string; table?: string }>)
            .map((x) => `${x.dst} ${x.table ?? ''}`)
            .sort()
        : []
    const t = await tb.exec(n.gwNs, ['nft', 'list', 'table', 'inet', 'vpcmesh'], { allowFail: true })
    const nft = t.stdout.replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/ # handle \d+/g, '')
    out.set(n.name, { routes, nft })
  }
  return out
}

/** Differences between two shapes, one sentence per gateway and kind. */
export function shapeDiff(want: MeshShape, got: MeshShape): string[] {
  const problems: string[] = []
  for (const [name, w] of want) {
    const g = got.get(name)
    if (g === undefined || w.routes.join() !== g.routes.join())
      problems.push(`routes on gw ${name}: want [${w.routes.join(', ')}], got [${g?.routes.join(', ') ?? ''}]`)
    if (g === undefined || w.nft !== g.nft) problems.push(`nftables table on gw ${name} differs from the converged one`)
  }
  return problems
}

/** Write statistics and the acknowledged writes the registry lost. */
export interface WriteCheck {
  acked: number
  failed: number
  repeated: number
  lost: string[]
}

/**
 * Compares the writer's acknowledged writes with the registry: a name whose last settled write
 * (ack or repeat) was an add must be there with that id, one whose last was a delete must be
 * gone; a name whose last attempt failed may be either. An acknowledged add whose delete first
 * got 404 was lost in between. Also fails on duplicate names or CIDRs.
 */
export function checkWrites(
  writes: readonly WriteRecord[],
  vpcs: Array<{ id: string; name: string; cidrs: string[] }>,
): WriteCheck {
  const last = new Map<string, WriteRecord>()
  for (const w of writes) last.set(w.name, w)
  const lost: string[] = []
  // a delete whose first attempt found nothing (404) lost the acknowledged add before it
  const prev = new Map<string, WriteRecord>()
  for (const w of writes) {
    const p = prev.get(w.name)
    if (w.op === 'del' && w.status === 404 && p?.op === 'add' && p.result !== 'fail')
      lost.push(`acknowledged add of ${w.name} (${p.id}) was gone when it was deleted (404)`)
    prev.set(w.name, w)
  }
  for (const [name, w] of last) {
    if (w.result === 'fail') continue
    const v = vpcs.find((x) => x.name === name)
    if (w.op === 'add' && v?.id !== w.id) lost.push(`acknowledged add of ${name} (${w.id}) is not in the registry`)
    if (w.op === 'del' && v !== undefined) lost.push(`acknowledged delete of ${name} did not take: still there`)
  }
  const names = vpcs.map((v) => v.name)
  const cidrs = vpcs.flatMap((v) => v.cidrs)
  for (const d of names.filter((x, i) => names.indexOf(x) !== i)) lost.push(`duplicate VPC name ${d}`)
  for (const d of cidrs.filter((x, i) => cidrs.indexOf(x) !== i)) lost.push(`duplicate CIDR ${d}`)
  return {
    acked: writes.filter((w) => w.result === 'ack').length,
    failed: writes.filter((w) => w.result === 'fail').length,
    repeated: writes.filter((w) => w.result === 'repeat').length,
    lost,
  }
}

/**
 * Polls /v1/status until every agent of `names` is connected with lag 0; returns the seconds it
 * took, or throws after `timeoutMs`.
 */
export async function awaitAgentsCurrent(
  mesh: LocalMesh,
  token: string,
  names: readonly string[],
  timeoutMs: number,
): Promise<number> {
  const start = Date.now()
  await pollUntil(
    `agents ${names.join(', ')} connected at the latest version`,
    async () => {
      const st = (await api(mesh.tb, mesh.controllerUrl, token, 'GET', '/v1/status').catch(() => undefined)) as
        | { agents: Array<{ name: string; connected: boolean; lag: number }> }
        | undefined
      if (st?.agents === undefined) return false
      return names.every((n) => st.agents.some((a) => a.name === n && a.connected && a.lag === 0))
    },
    { timeoutMs, intervalMs: 200 },
  )
  return (Date.now() - start) / 1000
}
