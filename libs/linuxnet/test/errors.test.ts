import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MeshError } from '@vpcmesh/common'
import { LINUXNET_ERROR_CODES, LinuxNetError, isLinuxNetError } from '../src/index.js'

test('LinuxNetError: a MeshError with a stable code; only NO_LINK is retryable by default', () => {
  for (const code of Object.values(LINUXNET_ERROR_CODES)) {
    const e = new LinuxNetError(code, 'x')
    assert.ok(e instanceof MeshError)
    assert.equal(e.name, 'LinuxNetError')
    assert.match(e.code, /^VPCMESH_ERR_LINUXNET_[A-Z_]+$/)
    assert.equal(e.retryable, code === LINUXNET_ERROR_CODES.noLink)
  }
})

test('isLinuxNetError: by code, also for plain objects from another package copy', () => {
  assert.ok(isLinuxNetError({ code: 'VPCMESH_ERR_LINUXNET_COMMAND', message: 'm' }))
  assert.ok(!isLinuxNetError({ code: 'VPCMESH_ERR_CIDR_INVALID', message: 'm' }))
  assert.ok(!isLinuxNetError(new Error('x')))
})
