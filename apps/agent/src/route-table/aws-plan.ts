/** One route of an AWS route table, as the planner sees it. */
export interface AwsRouteView {
  /** Destination as canonical CIDR text. */
  readonly dest: string
  readonly instanceId: string | undefined
  readonly networkInterfaceId: string | undefined
}

/** Where this gateway's routes point: the ENI when one is configured, else the instance. */
export interface AwsTarget {
  readonly instanceId: string
  readonly networkInterfaceId: string | undefined
}

/** The route writes one table needs; each list holds canonical CIDR text. */
export interface AwsTablePlan {
  /** Wanted, no route yet: create. */
  readonly create: readonly string[]
  /** Wanted, our route, points elsewhere: replace. */
  readonly replace: readonly string[]
  /** Wanted, our route, already points here: nothing to do. */
  readonly keep: readonly string[]
  /** Ours, no longer wanted, route present: delete. */
  readonly remove: readonly string[]
  /** Wanted, but a route vpcmesh did not create holds the destination: left alone. */
  readonly conflicts: readonly string[]
}

/**
 * Decides, without I/O, what `apply` writes to one table. `owned` destinations that are
 * neither wanted nor present in the table need no call (they just leave the record).
 */
export function planTable(
  routes: ReadonlyMap<string, AwsRouteView>,
  owned: ReadonlySet<string>,
  wanted: readonly string[],
  target: AwsTarget,
): AwsTablePlan {
  const plan = { create: [] as string[], replace: [] as string[], keep: [] as string[], conflicts: [] as string[] }
  for (const dest of wanted) {
    const route = routes.get(dest)
    if (route === undefined) plan.create.push(dest)
    else if (!owned.has(dest)) plan.conflicts.push(dest)
    else if (pointsAt(route, target)) plan.keep.push(dest)
    else plan.replace.push(dest)
  }
  const wantedSet = new Set(wanted)
  const remove = [...owned].filter((dest) => !wantedSet.has(dest) && routes.has(dest)).sort()
  return { ...plan, remove }
}

/** True when `route` already sends traffic to this gateway (its ENI when configured, else its instance). */
export function pointsAt(route: AwsRouteView, target: AwsTarget): boolean {
  return target.networkInterfaceId !== undefined
    ? route.networkInterfaceId === target.networkInterfaceId
    : route.instanceId === target.instanceId
}
