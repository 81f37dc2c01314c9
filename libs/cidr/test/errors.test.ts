import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MeshError } from '@vpcmesh/common'
import { CIDR_ERROR_CODES, CidrError, isCidrError } from '../src/errors.js'
import { parsePrefix } from '../src/prefix.js'

test('error codes are the documented stable strings', () => {
  assert.deepEqual(
    { ...CIDR_ERROR_CODES },
    {
      invalid: 'VPCMESH_ERR_CIDR_INVALID',
      hostBits: 'VPCMESH_ERR_CIDR_HOST_BITS',
    },
  )
})

test('CidrError is a non-retryable MeshError detectable by code', () => {
  const e = new CidrError(CIDR_ERROR_CODES.invalid, 'x')
  assert.ok(e instanceof MeshError)
  assert.equal(e.name, 'CidrError')
  assert.equal(e.retryable, false)
  assert.ok(isCidrError(e))
  assert.ok(isCidrError({ code: 'VPCMESH_ERR_CIDR_HOST_BITS', message: 'copy from another package' }))
  assert.ok(!isCidrError(new MeshError('VPCMESH_ERR_OTHER', 'x')))
  assert.ok(!isCidrError(new Error('x')))
  assert.ok(!isCidrError(undefined))
  assert.throws(
    () => parsePrefix('10.0.0.1/8'),
    (thrown: unknown) => isCidrError(thrown),
  )
})
