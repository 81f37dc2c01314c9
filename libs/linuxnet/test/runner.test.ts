import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LINUXNET_ERROR_CODES, createExecRunner, formatArgv, isLinuxNetError } from '../src/index.js'

const runner = createExecRunner()

test('ExecRunner: passes argv verbatim (no shell) and returns stdout', async () => {
  const res = await runner.run(['printf', '%s|', 'a b', '$HOME', '; echo x'])
  assert.deepEqual(res, { stdout: 'a b|$HOME|; echo x|', stderr: '', code: 0 })
})

test('ExecRunner: writes input to stdin; without input stdin is closed', async () => {
  assert.equal((await runner.run(['cat'], { input: 'line 1\nline 2\n' })).stdout, 'line 1\nline 2\n')
  assert.equal((await runner.run(['cat'])).stdout, '')
})

test('ExecRunner: the environment is LC_ALL=C and PATH only', async () => {
  assert.deepEqual((await runner.run(['env'])).stdout.trim().split('\n').sort(), [
    'LC_ALL=C',
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  ])
})

test('ExecRunner: a non-zero exit throws with argv, exit code and combined output', async () => {
  await assert.rejects(runner.run(['sh', '-c', 'echo out; echo err >&2; exit 3', 'x y']), (e) => {
    assert.ok(isLinuxNetError(e))
    assert.equal(e.code, LINUXNET_ERROR_CODES.command)
    assert.equal(e.message, 'command exited with code 3: sh -c "echo out; echo err >&2; exit 3" "x y": out\nerr')
    assert.deepEqual(e.command, {
      argv: ['sh', '-c', 'echo out; echo err >&2; exit 3', 'x y'],
      exitCode: 3,
      output: 'out\nerr',
    })
    return true
  })
})

test('ExecRunner: allowFail returns the exit code instead', async () => {
  assert.deepEqual(await runner.run(['sh', '-c', 'echo no >&2; exit 2'], { allowFail: true }), {
    stdout: '',
    stderr: 'no\n',
    code: 2,
  })
})

test('ExecRunner: a missing program or a timeout always throws', async () => {
  await assert.rejects(runner.run(['vpcmesh-no-such-program'], { allowFail: true }), {
    code: LINUXNET_ERROR_CODES.command,
    message: 'command could not run (ENOENT): vpcmesh-no-such-program',
  })
  await assert.rejects(createExecRunner({ timeoutMs: 50 }).run(['sleep', '5'], { allowFail: true }), {
    code: LINUXNET_ERROR_CODES.command,
    message: 'command timed out after 50 ms: sleep 5',
  })
  await assert.rejects(runner.run([]), { code: LINUXNET_ERROR_CODES.command })
})

test('formatArgv: quotes only words that need it', () => {
  assert.equal(
    formatArgv(['ip', 'route', 'replace', '10.0.0.0/8', 'dev', 'vmt0', 'a b', '"']),
    'ip route replace 10.0.0.0/8 dev vmt0 "a b" "\\""',
  )
})
