import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createTestMesh } from '@vpcmesh/dataplane/testing'
import { StateDir } from '../src/state/state-dir.js'

const key = (n: number): Uint8Array => {
  const k = new Uint8Array(32)
  new DataView(k.buffer).setUint32(0, n)
  return k
}
const ts = (n: number): Uint8Array => {
  const t = new Uint8Array(12)
  t[0] = 0x40
  new DataView(t.buffer).setUint32(8, n)
  return t
}

test('handshake timestamps survive a new StateDir, in a 0600 file of bounded size; junk files count as empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vpcmesh-state-'))
  try {
    const store = new StateDir(dir).handshakeTimestamps()
    assert.equal(store.load(key(1)), undefined)
    store.save(key(1), ts(5))
    store.save(key(1), ts(6))
    const again = new StateDir(dir)
    assert.deepEqual(again.handshakeTimestamps().load(key(1)), ts(6))
    assert.equal(statSync(again.timestampsPath).mode & 0o777, 0o600)
    // The bound (4096 by default) is a constructor option, so the eviction is tested at 64.
    const bounded = new StateDir(dir, { maxTimestampPeers: 64 })
    const big = bounded.handshakeTimestamps()
    for (let i = 0; i < 64 + 10; i++) big.save(key(100 + i), ts(i))
    assert.equal(Object.keys(JSON.parse(readFileSync(again.timestampsPath, 'utf8'))).length, 64)
    assert.deepEqual(new StateDir(dir, { maxTimestampPeers: 64 }).handshakeTimestamps().load(key(100 + 73)), ts(73))
    assert.equal(big.load(key(100)), undefined, 'the least recently saved went first')
    writeFileSync(again.timestampsPath, '{"x": 5, "y": "zz"')
    assert.equal(new StateDir(dir).handshakeTimestamps().load(key(1)), undefined)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('with the state-dir store, an initiation captured before an agent restart is refused after it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'vpcmesh-state-'))
  try {
    const mesh = createTestMesh(
      [
        { name: 'a', prefixes: ['10.1.0.0/16'] },
        { name: 'b', prefixes: ['10.2.0.0/16'] },
      ],
      { start: false, timestamps: (name) => new StateDir(join(root, name)).handshakeTimestamps() },
    )
    const captured: Uint8Array[] = []
    mesh.network.onDatagram = (d, from) => {
      if (from.address === mesh.node('a').endpoint.address && d[0] === 1) captured.push(d)
    }
    for (const n of mesh.nodes) n.dataplane.start()
    await mesh.step(1000)
    const first = captured[0]
    assert.ok(first !== undefined)
    const b = mesh.restart('b')
    mesh.network.send(first, mesh.node('a').endpoint, b.endpoint)
    await mesh.flush()
    assert.equal(b.dataplane.drops().handshake_replay, 1)
    mesh.close()
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
