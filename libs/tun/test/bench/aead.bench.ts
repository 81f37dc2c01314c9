// AEAD cost per packet (not a test): the addon's batched EVP with reused contexts, per
// cipher, against node:crypto one-shot per packet (what a pure-JS data plane would pay).
// Usage: npm run bench:aead -w @vpcmesh/tun [-- payloadBytes packets]
import { createCipheriv, randomBytes } from 'node:crypto'
import { nativeTestHooks } from '../../src/testing/index.js'
import type { CipherName } from '../../src/index.js'

const SIZE = Number(process.argv[2] ?? 1400)
const PACKETS = Number(process.argv[3] ?? 200000)

function nodeCryptoNs(cipher: CipherName): number {
  const key = randomBytes(32)
  const plain = randomBytes(SIZE)
  const aad = Buffer.alloc(16)
  const nonce = Buffer.alloc(12)
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < PACKETS; i++) {
    nonce.writeUInt32LE(i, 4)
    const c = createCipheriv(cipher as 'aes-256-gcm', key, nonce, { authTagLength: 16 })
    c.setAAD(aad, { plaintextLength: SIZE })
    Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
  }
  return Number(process.hrtime.bigint() - t0) / PACKETS
}

function main(): void {
  const hooks = nativeTestHooks()
  console.log(`AEAD per packet, ${SIZE}-byte payload, ${PACKETS} packets`)
  for (const cipher of ['aes-256-gcm', 'chacha20-poly1305'] as const) {
    const n = hooks.aeadBench(cipher, SIZE, PACKETS)
    const us = (ns: number): string => (ns / 1000).toFixed(2)
    console.log(
      `${cipher.padEnd(18)} native seal ${us(n.sealNsPerPacket)} us  open ${us(n.openNsPerPacket)} us  ` +
        `| node:crypto seal ${us(nodeCryptoNs(cipher))} us`,
    )
  }
}

// `node --test <dir>` runs every file below test/: a benchmark is not a test, stay inert there.
if (process.env.NODE_TEST_CONTEXT === undefined) main()
