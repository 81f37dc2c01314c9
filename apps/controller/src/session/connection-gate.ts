/** Why the gate refused a connection. */
export type GateRefusal = 'address_limit' | 'total_limit'

/** Knobs of the {@link ConnectionGate}; 0 disables a limit. */
export interface ConnectionGateOptions {
  /** Connections without a completed hello allowed per client address. */
  perAddress: number
  /** Connections without a completed hello allowed in total on this replica. */
  total: number
}

/**
 * Counts agent connections that have not completed hello, per client address and in total.
 * `admit` takes a slot or says which limit is full; `release` gives the slot back (after
 * hello succeeded, or when the connection closed first). Memory: one entry per address that
 * holds a slot.
 */
export class ConnectionGate {
  private readonly byAddress = new Map<string, number>()
  private count = 0

  constructor(private readonly o: ConnectionGateOptions) {}

  /** Which limit a new connection from `address` would exceed, without taking a slot. */
  check(address: string): GateRefusal | undefined {
    if (this.o.total > 0 && this.count >= this.o.total) return 'total_limit'
    if (this.o.perAddress > 0 && (this.byAddress.get(address) ?? 0) >= this.o.perAddress) return 'address_limit'
    return undefined
  }

  /** Takes a slot for `address`; returns the full limit instead when there is none. */
  admit(address: string): GateRefusal | undefined {
    const full = this.check(address)
    if (full !== undefined) return full
    this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1)
    this.count++
    return undefined
  }

  /** Gives back a slot of `address`; the caller releases each admitted slot exactly once. */
  release(address: string): void {
    const n = this.byAddress.get(address) ?? 0
    if (n <= 1) this.byAddress.delete(address)
    else this.byAddress.set(address, n - 1)
    if (n > 0) this.count--
  }

  /** Connections holding a slot now. */
  get pending(): number {
    return this.count
  }
}
