import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeAgentMessage, decodeControllerMessage, encodeMessage } from '../src/codec.js'
import { PROTOCOL_VERSION } from '../src/version.js'

const key = Buffer.alloc(32, 7).toString('base64')

test('hello round-trips through encode/decode', () => {
  const hello = {
    type: 'hello' as const,
    protocol: PROTOCOL_VERSION,
    agentVersion: '0.1.0',
    auth: { kind: 'join' as const, token: 'vmj_abcdefghijklmnopqrstuvwxyz' },
    publicKey: key,
    lastVersion: 0,
  }
  const r = decodeAgentMessage(encodeMessage(hello))
  assert.deepEqual(r, { ok: true, message: hello })
})

test('decode refuses non-JSON, unknown types and bad fields with a reason', () => {
  assert.deepEqual(decodeAgentMessage('{nope'), { ok: false, error: 'frame is not valid JSON' })
  const unknown = decodeAgentMessage(JSON.stringify({ type: 'launch' }))
  assert.equal(unknown.ok, false)
  const badAck = decodeAgentMessage(JSON.stringify({ type: 'ack', version: -1 }))
  assert.equal(badAck.ok, false)
  assert.match((badAck as { error: string }).error, /^version:/)
  const badKey = decodeAgentMessage(
    JSON.stringify({
      type: 'hello',
      protocol: 1,
      agentVersion: 'x',
      auth: { kind: 'join', token: 'x'.repeat(20) },
      publicKey: 'short',
      lastVersion: 0,
    }),
  )
  assert.match((badKey as { error: string }).error, /^publicKey:/)
})

test('controller delta decodes on the agent side', () => {
  const delta = { type: 'delta', fromVersion: 3, version: 5, upsert: [], remove: ['vpc_0123456789ab'] }
  const r = decodeControllerMessage(Buffer.from(JSON.stringify(delta)))
  assert.equal(r.ok, true)
})
