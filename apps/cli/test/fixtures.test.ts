import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  CreateVpcResponse,
  ErrorBody,
  JoinTokenResponse,
  ListVpcsResponse,
  StatusResponse,
  WireErrorCode,
} from '@vpcmesh/protocol'
import { CREATED, FRESH_TOKEN, LIST, STATUS, errorBody } from './fixtures.js'

test('canned answers are valid per the protocol schemas', () => {
  assert.ok(ListVpcsResponse.safeParse(LIST).success)
  assert.ok(CreateVpcResponse.safeParse(CREATED).success)
  assert.ok(JoinTokenResponse.safeParse(FRESH_TOKEN).success)
  assert.ok(StatusResponse.safeParse(STATUS).success)
  assert.ok(ErrorBody.safeParse(errorBody(WireErrorCode.cidrOverlap, 'x')).success)
})
