import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCode } from '@vpcmesh/common'
import { parseJsonArray } from '../src/json-output.js'

test('parseJsonArray reads an array and empty output as an empty array', () => {
  assert.deepEqual(parseJsonArray('[{"a":1}]', 'ip -json route'), [{ a: 1 }])
  assert.deepEqual(parseJsonArray('  \n', 'ip -json route'), [])
})

test('parseJsonArray refuses invalid JSON and non-arrays with VPCMESH_ERR_LINUXNET_OUTPUT naming the command', () => {
  assert.throws(
    () => parseJsonArray('{', 'ip -json rule'),
    (e: unknown) => isCode(e, 'VPCMESH_ERR_LINUXNET_OUTPUT') && /ip -json rule printed invalid JSON/.test(String(e)),
  )
  assert.throws(
    () => parseJsonArray('{}', 'ip -json addr'),
    (e: unknown) => isCode(e, 'VPCMESH_ERR_LINUXNET_OUTPUT') && /ip -json addr printed no array/.test(String(e)),
  )
})
