// teardown() of libs/testbed, which every namespace test's `after` hook uses: each step runs
// whatever the others did, a hanging step is cut off at its deadline, failures are listed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { stopProcess, teardown } from '@vpcmesh/testbed'

test('a failing step is logged and the later steps still run; the error lists every failure', async () => {
  const ran: string[] = []
  const logged: string[] = []
  await assert.rejects(
    teardown(
      [
        [
          'one',
          () => {
            ran.push('one')
            throw new Error('boom')
          },
        ],
        [
          'two',
          async () => {
            ran.push('two')
          },
        ],
        [
          'three',
          async () => {
            ran.push('three')
            throw new Error('bang')
          },
        ],
        [
          'four',
          () => {
            ran.push('four')
          },
        ],
      ],
      {
        log: (l) => {
          logged.push(l)
        },
      },
    ),
    (e: unknown) => {
      assert.ok(e instanceof AggregateError)
      assert.equal(e.errors.length, 2)
      assert.match(e.message, /2 of 4 steps failed: one: boom; three: bang/)
      return true
    },
  )
  assert.deepEqual(ran, ['one', 'two', 'three', 'four'])
  assert.deepEqual(logged, ['teardown: one failed: boom', 'teardown: three failed: bang'])
})

test('a step that never settles fails at its deadline and the rest runs', async () => {
  const ran: string[] = []
  const logged: string[] = []
  await assert.rejects(
    teardown(
      [
        [
          'hang',
          async () => {
            await new Promise(() => {})
          },
        ],
        [
          'after',
          () => {
            ran.push('after')
          },
        ],
      ],
      {
        timeoutMs: 50,
        log: (l) => {
          logged.push(l)
        },
      },
    ),
    /hang: did not finish within 50 ms/,
  )
  assert.deepEqual(ran, ['after'])
  assert.equal(logged.length, 1)
})

test('all steps passing resolve quietly', async () => {
  const logged: string[] = []
  await teardown(
    [
      ['a', () => {}],
      ['b', async () => {}],
    ],
    {
      log: (l) => {
        logged.push(l)
      },
    },
  )
  assert.deepEqual(logged, [])
})

test('stopProcess: SIGKILL after the grace period for a child that ignores SIGTERM; at once for one that already exited', async () => {
  const stubborn = spawn(
    process.execPath,
    ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  await once(stubborn.stdout, 'data')
  await stopProcess(stubborn, 'SIGTERM', 200)
  assert.equal(stubborn.signalCode, 'SIGKILL')
  const quick = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  await once(quick, 'exit')
  await stopProcess(quick, 'SIGTERM', 200)
})
