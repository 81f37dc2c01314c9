import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@vpcmesh/controller/testing'
import { CONTROLLER_BIN, ControllerProc } from './controller-proc.js'
import { ADMIN_TOKEN } from './harness.js'
import { awaitValue } from '@vpcmesh/testbed'

/** Everything redis-server appended so far (all AOF files of the data directory). */
function aofText(dir: string): string {
  const aof = join(dir, 'appendonlydir')
  if (!existsSync(aof)) return ''
  return readdirSync(aof)
    .map((f) => readFileSync(join(aof, f), 'latin1'))
    .join('')
}

describe('controller without REDIS_URL: its own redis-server', () => {
  let dir: string
  let ctl: ControllerProc
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${ctl.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const t = await r.text()
    return { status: r.status, body: t === '' ? undefined : JSON.parse(t) }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-embedded-'))
    ctl = new ControllerProc(await freePort(), {
      VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN,
      VPCMESH_DATA_DIR: dir,
      VPCMESH_LOG_LEVEL: 'warn',
    })
    await ctl.start()
  })
  after(async () => {
    await ctl.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  test('it persists in the data directory, behind a password in a 0600 file', async () => {
    const r = await api('POST', '/v1/vpcs', { name: 'emb-one', cidrs: ['10.61.0.0/16'], endpoint: '192.0.2.1:51820' })
    assert.equal(r.status, 201)
    await awaitValue('the registration reached the AOF', () => aofText(dir).includes('emb-one'))
    assert.equal(statSync(join(dir, 'redis.conf')).mode & 0o777, 0o600)
    const pid = readFileSync(join(dir, 'redis-server.pid'), 'utf8').trim()
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[1])
    assert.ok(port > 0)
    const noAuth = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' })
    assert.match(noAuth.stdout + noAuth.stderr, /NOAUTH/)
  })

  test('a redis-server that dies is restarted and nothing registered is lost', async () => {
    const pid = Number(readFileSync(join(dir, 'redis-server.pid'), 'utf8'))
    process.kill(pid, 'SIGKILL')
    await awaitValue(
      'a new redis-server',
      () => {
        try {
          return Number(readFileSync(join(dir, 'redis-server.pid'), 'utf8')) !== pid
        } catch {
          return false
        }
      },
      15_000,
      50,
    )
    const r = await awaitValue(
      'the API writes again',
      async () => {
        const x = await api('POST', '/v1/vpcs', {
          name: 'emb-two',
          cidrs: ['10.62.0.0/16'],
          endpoint: '192.0.2.2:51820',
        })
        return x.status === 201 ? x : undefined
      },
      15_000,
      100,
    )
    assert.equal(r.status, 201)
    const list = await api('GET', '/v1/vpcs')
    assert.deepEqual(list.body.vpcs.map((v: { name: string }) => v.name).sort(), ['emb-one', 'emb-two'])
  })
})

test('without REDIS_URL and without redis-server it exits 2 saying what to install', () => {
  const r = spawnSync(process.execPath, [CONTROLLER_BIN], {
    encoding: 'utf8',
    env: { PATH: '/nonexistent', VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN },
    timeout: 30_000,
  })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /redis-server is not installed; install it \(apt-get install redis-server\), set REDIS_URL=/)
  assert.equal(r.stderr.trim().split('\n').length, 1)
})
