import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TimestampStore } from '@vpcmesh/dataplane'
import { NetMap } from '@vpcmesh/protocol'
import type { Credential, CredentialVault } from '../control/client.js'

/** Most peers whose handshake timestamp is kept; past it the least recently saved is dropped. */
export const MAX_TIMESTAMP_PEERS = 4096
/** A timestamp file larger than this is ignored (it cannot have been written by us). */
const MAX_TIMESTAMP_FILE_BYTES = 1 << 20
const TIMESTAMP_HEX = /^[0-9a-f]{24}$/

/**
 * The agent's state directory (default /var/lib/vpcmesh): private key, controller credential,
 * the last applied map and the greatest handshake timestamp of each peer. Secrets are written 0600 into a 0700 directory; every write is
 * atomic (temp file + rename), so a crash never leaves half a file.
 */
export class StateDir implements CredentialVault {
  /**
   * @param options.maxTimestampPeers most peers whose handshake timestamp is kept
   *   (@default {@link MAX_TIMESTAMP_PEERS}; tests use a small bound)
   */
  constructor(
    readonly dir: string,
    private readonly options: { maxTimestampPeers?: number } = {},
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
  }

  private get maxTimestampPeers(): number {
    return this.options.maxTimestampPeers ?? MAX_TIMESTAMP_PEERS
  }

  get privateKeyPath(): string {
    return join(this.dir, 'private.key')
  }
  get credentialPath(): string {
    return join(this.dir, 'credential.json')
  }
  get netmapPath(): string {
    return join(this.dir, 'netmap.json')
  }
  get timestampsPath(): string {
    return join(this.dir, 'handshake-timestamps.json')
  }

  /** The stored private key (base64), or undefined. */
  loadPrivateKey(): string | undefined {
    return existsSync(this.privateKeyPath) ? readFileSync(this.privateKeyPath, 'utf8').trim() : undefined
  }

  savePrivateKey(key: string): void {
    this.write(this.privateKeyPath, `${key}\n`)
  }

  load(): Credential | undefined {
    if (!existsSync(this.credentialPath)) return undefined
    const c = JSON.parse(readFileSync(this.credentialPath, 'utf8')) as Partial<Credential>
    return typeof c.vpcId === 'string' && typeof c.credential === 'string'
      ? {
          vpcId: c.vpcId,
          credential: c.credential,
          ...(typeof c.gatewayId === 'string' ? { gatewayId: c.gatewayId } : {}),
        }
      : undefined
  }

  save(c: Credential): void {
    this.write(this.credentialPath, `${JSON.stringify(c)}\n`)
  }

  /** The last applied map, or undefined when none (or unreadable: then the agent waits for the controller). */
  loadNetMap(): NetMap | undefined {
    if (!existsSync(this.netmapPath)) return undefined
    try {
      const r = NetMap.safeParse(JSON.parse(readFileSync(this.netmapPath, 'utf8')))
      return r.success ? r.data : undefined
    } catch {
      return undefined
    }
  }

  saveNetMap(m: NetMap): void {
    this.write(this.netmapPath, `${JSON.stringify(m)}\n`)
  }

  /**
   * The data plane's {@link TimestampStore} over `handshake-timestamps.json` (base64 key →
   * hex TAI64N): read once here, rewritten atomically on each save (one per accepted
   * initiation), at most `maxTimestampPeers` entries. An unreadable file counts as
   * empty; a failed write is reported to `onError` and the value stays in memory.
   */
  handshakeTimestamps(onError: (e: unknown) => void = () => {}): TimestampStore {
    const map = this.loadTimestamps()
    const max = this.maxTimestampPeers
    return {
      load: (key) => {
        const hex = map.get(Buffer.from(key).toString('base64'))
        return hex === undefined ? undefined : new Uint8Array(Buffer.from(hex, 'hex'))
      },
      save: (key, timestamp) => {
        const k = Buffer.from(key).toString('base64')
        map.delete(k)
        map.set(k, Buffer.from(timestamp).toString('hex'))
        for (const oldest of map.keys()) {
          if (map.size <= max) break
          map.delete(oldest)
        }
        try {
          this.write(this.timestampsPath, `${JSON.stringify(Object.fromEntries(map))}\n`)
        } catch (e) {
          onError(e)
        }
      },
    }
  }

  private loadTimestamps(): Map<string, string> {
    const map = new Map<string, string>()
    try {
      if (!existsSync(this.timestampsPath) || statSync(this.timestampsPath).size > MAX_TIMESTAMP_FILE_BYTES) return map
      const parsed: unknown = JSON.parse(readFileSync(this.timestampsPath, 'utf8'))
      if (typeof parsed !== 'object' || parsed === null) return map
      for (const [k, v] of Object.entries(parsed)) {
        if (typeof v === 'string' && TIMESTAMP_HEX.test(v) && map.size < this.maxTimestampPeers) map.set(k, v)
      }
    } catch {
      map.clear()
    }
    return map
  }

  private write(path: string, text: string): void {
    const tmp = `${path}.tmp`
    writeFileSync(tmp, text, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, path)
  }
}
