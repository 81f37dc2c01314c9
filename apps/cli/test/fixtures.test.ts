import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateVpcResponse,
  VpcResponse,
  ErrorBody,
  JoinTokenResponse,
  ListVpcsResponse,
  StatusResponse,
  WireErrorCode,
} from '@vpcmesh/protocol'
import { CREATED, FRESH_TOKEN, LIST, LIST_HA, OFFICE_DRAINED, STATUS, STATUS_HA, errorBody } from './fixtures.js'

test('canned answers are valid per the protocol schemas', () => {
  assert.ok(ListVpcsResponse.safeParse(LIST).success)
  assert.ok(CreateVpcResponse.safeParse(CREATED).success)
  assert.ok(JoinTokenResponse.safeParse(FRESH_TOKEN).success)
  assert.ok(StatusResponse.safeParse(STATUS).success)
  assert.ok(ListVpcsResponse.safeParse(LIST_HA).success)
  assert.ok(VpcResponse.safeParse({ vpc: OFFICE_DRAINED }).success)
  assert.ok(StatusResponse.safeParse(STATUS_HA).success)
  assert.ok(ErrorBody.safeParse(errorBody(WireErrorCode.cidrOverlap, 'x')).success)
})
