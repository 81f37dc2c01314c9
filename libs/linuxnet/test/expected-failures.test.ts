import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isCode } from '@vpcmesh/common'
import { runExpecting } from '../src/expected-failures.js'
import type { CommandRunner, RunResult } from '../src/runner.js'

function answering(res: RunResult): CommandRunner {
  return { run: async () => res }
}

test('runExpecting returns the result of a command that succeeds', async () => {
  const ok = { stdout: '[]', stderr: '', code: 0 }
  assert.deepEqual(await runExpecting(answering(ok), ['ip', 'route', 'show'], []), ok)
})

test('runExpecting returns undefined for an expected failure', async () => {
  const gone = answering({ stdout: '', stderr: 'RTNETLINK answers: No such process', code: 2 })
  assert.equal(await runExpecting(gone, ['ip', 'route', 'del', '10.0.0.0/8'], ['noRoute']), undefined)
  const noV6 = answering({ stdout: '', stderr: 'RTNETLINK answers: Address family not supported by protocol', code: 2 })
  assert.equal(await runExpecting(noV6, ['ip', '-6', 'rule', 'show'], ['noTable', 'noFamily']), undefined)
})

test('runExpecting throws VPCMESH_ERR_LINUXNET_COMMAND for any other failure', async () => {
  const denied = answering({ stdout: '', stderr: 'RTNETLINK answers: Operation not permitted', code: 2 })
  await assert.rejects(runExpecting(denied, ['ip', 'route', 'del', '10.0.0.0/8'], ['noRoute']), (e: unknown) =>
    isCode(e, 'VPCMESH_ERR_LINUXNET_COMMAND'),
  )
  const gone = answering({ stdout: '', stderr: 'RTNETLINK answers: No such process', code: 2 })
  await assert.rejects(runExpecting(gone, ['ip', 'route', 'del', '10.0.0.0/8'], []), (e: unknown) =>
    isCode(e, 'VPCMESH_ERR_LINUXNET_COMMAND'),
  )
})
