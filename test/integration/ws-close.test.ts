/**
 * Frames the WebSocket layer refuses close with its own code (docs/errors.md), and that code
 * must reach the client. Found by the WebSocket fuzzer (test/integration/ws-fuzz.test.ts):
 * the plugin's default error handler terminated the socket right after ws queued the close
 * frame, so an agent across a real socket saw 1006 instead of 1009.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_FRAME_BYTES } from '@vpcmesh/protocol'
import { Harness } from './harness.js'
import { RawConn } from './raw-ws.js'

let h: Harness
before(async () => {
  h = await Harness.start(1, { VPCMESH_HELLO_BURST: '1000', VPCMESH_HELLO_RATE_PER_S: '1000' })
})
after(async () => {
  await h.stop()
})

/** Opens a connection, sends `data` as one frame, resolves with the close code the client saw. */
async function closeCodeAfter(data: string | Buffer, binary: boolean): Promise<number> {
  const c = await RawConn.open(h.controllers[0]!.wsUrl, '127.0.0.1')
  assert.ok(c.open)
  c.ws.send(data, { binary })
  return await c.closed()
}

test('a frame over MAX_FRAME_BYTES closes with 1009, every time', async () => {
  for (let i = 0; i < 3; i++) assert.equal(await closeCodeAfter('x'.repeat(MAX_FRAME_BYTES + 1), false), 1009)
  for (let i = 0; i < 2; i++) assert.equal(await closeCodeAfter(Buffer.alloc(MAX_FRAME_BYTES + 1), true), 1009)
})

test('a text frame that is not UTF-8 closes with 1007', async () => {
  assert.equal(await closeCodeAfter(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false), 1007)
})
