import { test } from 'node:test'
import assert from 'node:assert/strict'
import { frameBytes } from '../src/frame-bytes.js'

test('frameBytes copies a Buffer', () => {
  const b = Buffer.from('{"type":"ping","id":1}')
  const out = frameBytes(b)
  assert.deepEqual(out, b)
  assert.notEqual(out, b)
})

test('frameBytes reads an ArrayBuffer', () => {
  const ab = new TextEncoder().encode('abc').buffer as ArrayBuffer
  assert.equal(frameBytes(ab).toString(), 'abc')
})

test('frameBytes joins the fragments of a message in order', () => {
  assert.equal(frameBytes([Buffer.from('ab'), Buffer.from('c'), Buffer.from('de')]).toString(), 'abcde')
})
