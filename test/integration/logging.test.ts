import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, systemClock } from '@vpcmesh/common'
import { ControlClient, StateDir } from '@vpcmesh/agent'
import { ADMIN_TOKEN, Harness } from './harness.js'
import { SimAgent } from './sim-agent.js'
import { awaitValue } from '@vpcmesh/testbed'

/** One parsed JSON log record. */
type LogRecord = Record<string, unknown> & { level: string; time: string; msg: string; component?: string }

/** Every line of `output` as a JSON record; fails the test on a line that is not one. */
function mustRecords(output: string): LogRecord[] {
  return output
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as LogRecord
      assert.ok(typeof r.level === 'string' && typeof r.time === 'string' && typeof r.msg === 'string', l)
      return r
    })
}

describe('daemon logs (JSON, the default)', () => {
  let h: Harness
  let dir: string
  before(async () => {
    h = await Harness.start(1, { VPCMESH_LOG_LEVEL: 'info' })
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-log-'))
  })
  after(async () => {
    await h.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('every line is a JSON record with a component; the session and the control client bind the VPC; no token or credential is logged', async () => {
    const vpc = await h.mustCreateVpc('logged', ['10.1.0.0/16'])
    const state = new StateDir(join(dir, 'agent'))
    const agentLines: string[] = []
    let maps = 0
    const client = new ControlClient(
      {
        clock: systemClock,
        logger: createLogger({ level: 'debug', write: (l) => agentLines.push(l) }).child('agent'),
        vault: state,
        onMap: () => {
          maps++
        },
      },
      {
        urls: [h.controllers[0]!.url],
        joinToken: vpc.joinToken,
        publicKey: randomBytes(32).toString('base64'),
        agentVersion: 'test',
        backoff: { initialMs: 50, maxMs: 200 },
      },
    )
    client.start()
    try {
      await awaitValue('first map', () => maps > 0)
      const session = await awaitValue('the controller logs the session', () =>
        mustRecords(h.controllers[0]!.output).find((r) => r.msg === 'agent connected'),
      )
      assert.equal(session.component, 'session')
      assert.equal(session.vpc, vpc.id)
      assert.equal(session.vpcName, 'logged')
      assert.equal(session.address, '127.0.0.1')
      // A line after the welcome that does not name the VPC itself still carries it.
      await h.controllers[0]!.stop()
      const gone = await awaitValue('the client logs the disconnect', () =>
        mustRecords(agentLines.join('\n')).find((r) => r.msg === 'disconnected; retrying'),
      )
      assert.deepEqual([gone.component, gone.vpc], ['control', vpc.id])
    } finally {
      client.stop()
    }
    const controllerRecords = mustRecords(h.controllers[0]!.output)
    for (const r of controllerRecords) assert.equal(typeof r.component, 'string', JSON.stringify(r))
    const credential = state.load()?.credential
    assert.ok(credential !== undefined)
    const all = h.controllers[0]!.output + agentLines.join('\n')
    for (const secret of [ADMIN_TOKEN, vpc.joinToken, credential])
      assert.ok(!all.includes(secret), 'a secret was logged')
  })
})

describe('daemon logs (VPCMESH_LOG_FORMAT=text)', () => {
  let h: Harness
  before(async () => {
    h = await Harness.start(1, { VPCMESH_LOG_LEVEL: 'info', VPCMESH_LOG_FORMAT: 'text' })
  })
  after(async () => {
    await h.stop()
  })

  test('the controller writes one readable line per record: time, level, component, msg, key=value', async () => {
    const vpc = await h.mustCreateVpc('texty', ['10.2.0.0/16'])
    const agent = new SimAgent()
    await agent.connect(h.controllers[0]!.wsUrl, vpc.joinToken)
    try {
      const line = await awaitValue('the session line', () =>
        h.controllers[0]!.output.split('\n').find((l) => l.includes('agent connected')),
      )
      assert.match(
        line,
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT\\S+Z INFO  session: agent connected address=127\\.0\\.0\\.1 vpc=${vpc.id} vpcName=texty `,
        ),
      )
      for (const l of h.controllers[0]!.output.split('\n').filter((x) => x !== ''))
        assert.match(l, /^\S+Z (DEBUG|INFO |WARN |ERROR) \S+: /, l)
      assert.ok(!h.controllers[0]!.output.includes(vpc.joinToken), 'the join token was logged')
    } finally {
      agent.close()
    }
  })
})
