import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { NetMap } from '@vpcmesh/protocol'
import type { Credential, CredentialVault } from '../control/client.js'

/**
 * The agent's state directory (default /var/lib/vpcmesh): private key, controller credential
 * and the last applied map. Secrets are written 0600 into a 0700 directory; every write is
 * atomic (temp file + rename), so a crash never leaves half a file.
 */
export class StateDir implements CredentialVault {
  constructor (readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
  }

  get privateKeyPath (): string { return join(this.dir, 'private.key') }
  get credentialPath (): string { return join(this.dir, 'credential.json') }
  get netmapPath (): string { return join(this.dir, 'netmap.json') }

  /** The stored private key (base64), or undefined. */
  loadPrivateKey (): string | undefined {
    return existsSync(this.privateKeyPath) ? readFileSync(this.privateKeyPath, 'utf8').trim() : undefined
  }

  savePrivateKey (key: string): void { this.write(this.privateKeyPath, key + '\n') }

  load (): Credential | undefined {
    if (!existsSync(this.credentialPath)) return undefined
    const c = JSON.parse(readFileSync(this.credentialPath, 'utf8')) as Partial<Credential>
    return typeof c.vpcId === 'string' && typeof c.credential === 'string' ? { vpcId: c.vpcId, credential: c.credential } : undefined
  }

  save (c: Credential): void { this.write(this.credentialPath, JSON.stringify(c) + '\n') }

  /** The last applied map, or undefined when none (or unreadable: then the agent waits for the controller). */
  loadNetMap (): NetMap | undefined {
    if (!existsSync(this.netmapPath)) return undefined
    try {
      const r = NetMap.safeParse(JSON.parse(readFileSync(this.netmapPath, 'utf8')))
      return r.success ? r.data : undefined
    } catch { return undefined }
  }

  saveNetMap (m: NetMap): void { this.write(this.netmapPath, JSON.stringify(m) + '\n') }

  private write (path: string, text: string): void {
    const tmp = `${path}.tmp`
    writeFileSync(tmp, text, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, path)
  }
}
