import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { noopLogger, systemClock } from '@vpcmesh/common'
import { ControlClient, StateDir } from '@vpcmesh/agent'
import { freePort, startRedisServer, type RedisServer } from '@vpcmesh/controller/testing'
import type { NetMap } from '@vpcmesh/protocol'
import { awaitValue, stopProcess, teardown } from '@vpcmesh/testbed'
import { CONTROLLER_BIN } from './controller-proc.js'
import { ADMIN_TOKEN } from './harness.js'

/** One HTTPS call trusting `ca`; resolves with status and parsed body. */
async function https(url: string, ca: Buffer, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> {
  return await new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => {
          text += d.toString()
        })
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) })
        })
      },
    )
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

describe('controller over TLS (HTTPS and WSS)', () => {
  let dir: string
  let redis: RedisServer
  let ctl: ChildProcess
  let url: string
  let ca: Buffer

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vpcmesh-tls-'))
    const gen = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=vpcmesh-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    )
    assert.equal(gen.status, 0, gen.stderr)
    ca = readFileSync(join(dir, 'cert.pem'))
    redis = await startRedisServer({ dir: join(dir, 'redis') })
    const port = await freePort()
    url = `https://127.0.0.1:${port}`
    ctl = spawn(
      process.execPath,
      [CONTROLLER_BIN, '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
      {
        env: {
          PATH: process.env.PATH ?? '',
          VPCMESH_TEST_RUN: process.env.VPCMESH_TEST_RUN ?? '',
          VPCMESH_ADMIN_TOKEN: ADMIN_TOKEN,
          REDIS_URL: redis.url,
          VPCMESH_LISTEN: `127.0.0.1:${port}`,
          VPCMESH_LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      },
    )
    await awaitValue(
      'controller answering over HTTPS',
      async () => (await https(`${url}/readyz`, ca)).status === 200,
      15_000,
      50,
    )
  })
  after(async () => {
    await teardown([
      [
        'stopping the controller',
        async () => {
          if (ctl !== undefined) await stopProcess(ctl, 'SIGTERM', 5000)
        },
      ],
      [
        'stopping redis-server',
        async () => {
          await redis?.stop()
        },
      ],
      [
        'removing the work dir',
        () => {
          rmSync(dir, { recursive: true, force: true })
        },
      ],
    ])
  })

  test('the API answers over HTTPS and refuses plain HTTP', async () => {
    const r = await https(`${url}/v1/vpcs`, ca, 'POST', {
      name: 'tls-a',
      cidrs: ['10.71.0.0/16'],
      endpoint: '192.0.2.1:51820',
    })
    assert.equal(r.status, 201)
    await assert.rejects(fetch(`${url.replace('https', 'http')}/readyz`))
  })

  test('an agent trusting the CA enrols over WSS; one that does not is refused', async () => {
    const v = (
      await https(`${url}/v1/vpcs`, ca, 'POST', { name: 'tls-b', cidrs: ['10.72.0.0/16'], endpoint: '192.0.2.2:51820' })
    ).body
    const maps: NetMap[] = []
    const mk = (withCa: boolean): ControlClient =>
      new ControlClient(
        {
          clock: systemClock,
          logger: noopLogger,
          vault: new StateDir(join(dir, withCa ? 'ok' : 'nok')),
          onMap: (m) => {
            maps.push(m)
          },
        },
        {
          urls: [url],
          joinToken: v.joinToken,
          publicKey: randomBytes(32).toString('base64'),
          agentVersion: 'test',
          ca: withCa ? ca : undefined,
          backoff: { initialMs: 50, maxMs: 200 },
        },
      )
    const untrusting = mk(false)
    untrusting.start()
    await awaitValue('TLS refusal recorded', () => /certificate/i.test(untrusting.lastError ?? ''))
    untrusting.stop()
    assert.equal(maps.length, 0)
    const trusting = mk(true)
    trusting.start()
    try {
      await awaitValue('map over WSS', () => maps.length > 0)
      assert.equal(maps[0]!.self.name, 'tls-b')
    } finally {
      trusting.stop()
    }
  })
})
