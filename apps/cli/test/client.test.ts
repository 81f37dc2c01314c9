import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WireErrorCode } from '@vpcmesh/protocol'
import { ApiClient } from '../src/client.js'
import { FakeController, closedControllerUrl } from '../src/testing/index.js'
import { LIST, STATUS, errorBody } from './fixtures.js'
import { assertFailure, run, TOKEN } from './harness.js'

let ctl: FakeController
before(async () => {
  ctl = await FakeController.start()
  ctl.on('GET /v1/vpcs', { status: 200, body: LIST })
  ctl.on('GET /v1/status', { status: 200, body: STATUS })
})
after(async () => {
  await ctl.close()
})

test('an unreachable controller exits 1 naming the URL and the reason', async () => {
  const url = await closedControllerUrl()
  const r = await run(['vpc', 'list'], { controller: url })
  assertFailure(r, 1, new RegExp(`^vpcmesh: cannot reach controller at ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED`))
})

test('auth errors carry the controller code and message', async () => {
  ctl.on('GET /v1/vpcs/vpc_0123456789ab', {
    status: 401,
    body: errorBody(WireErrorCode.authInvalid, 'admin token not accepted'),
  })
  const r = await run(['vpc', 'show', 'vpc_0123456789ab'], { controller: ctl.url })
  assertFailure(r, 1, /^vpcmesh: VPCMESH_ERR_AUTH_INVALID: admin token not accepted\n$/)
})

test('an error answer without an ErrorBody, or a 2xx body off-schema, is a bad response (exit 1)', async () => {
  ctl.on('POST /v1/vpcs/vpc_0123456789ab/join-token', { status: 502, body: 'upstream went away' })
  assertFailure(
    await run(['vpc', 'join-token', 'vpc_0123456789ab'], { controller: ctl.url }),
    1,
    /^vpcmesh: VPCMESH_ERR_CLI_BAD_RESPONSE: controller answered POST \/v1\/vpcs\/vpc_0123456789ab\/join-token with 502 Bad Gateway and no error body\n$/,
  )
  ctl.on('GET /v1/vpcs/vpc_0123456789ab', { status: 200, body: { vpc: { id: 'nope' } } })
  assertFailure(
    await run(['vpc', 'show', 'vpc_0123456789ab'], { controller: ctl.url }),
    1,
    /^vpcmesh: VPCMESH_ERR_CLI_BAD_RESPONSE: controller answered GET \/v1\/vpcs\/vpc_0123456789ab with an unexpected body: vpc\.id /,
  )
})

test('multi-line controller messages are folded into one stderr line', async () => {
  ctl.on('GET /v1/vpcs/vpc_000000000001', {
    status: 503,
    body: errorBody(WireErrorCode.storeUnavailable, 'store down\n  retry later', true),
  })
  assertFailure(
    await run(['vpc', 'show', 'vpc_000000000001'], { controller: ctl.url }),
    1,
    /^vpcmesh: VPCMESH_ERR_STORE_UNAVAILABLE: store down retry later\n$/,
  )
})

test('token from a file is trimmed; --token wins over VPCMESH_TOKEN; --controller over VPCMESH_CONTROLLER', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vpcmesh-cli-'))
  const file = join(dir, 'token')
  await writeFile(file, `  ${TOKEN}\n\n`)
  const closed = await closedControllerUrl()
  const viaFile = await run(['status', '--controller', `${ctl.url}/`], {
    env: { VPCMESH_TOKEN_FILE: file, VPCMESH_CONTROLLER: closed },
    fetch,
  })
  assert.equal(viaFile.code, 0, viaFile.stderr)
  assert.equal(ctl.requests.at(-1)?.headers.authorization, `Bearer ${TOKEN}`)
  assert.equal(ctl.requests.at(-1)?.url, '/v1/status')
  const viaFlag = await run(['status', '--token', TOKEN], {
    env: { VPCMESH_TOKEN: 'other-token-value', VPCMESH_CONTROLLER: ctl.url },
    fetch,
  })
  assert.equal(viaFlag.code, 0)
  assert.equal(ctl.requests.at(-1)?.headers.authorization, `Bearer ${TOKEN}`)
})

test('the token never appears in any output, even in --json and error paths', async () => {
  for (const argv of [
    ['vpc', 'list'],
    ['vpc', 'list', '--json'],
    ['status'],
    ['vpc', 'show', 'nope'],
    ['vpc', 'add', TOKEN],
  ]) {
    await run(argv, { controller: ctl.url })
  }
  const r = await run(['status', '--token', TOKEN, '--controller', await closedControllerUrl()], { env: {}, fetch })
  assert.equal(r.code, 1)
})

test('ApiClient gives up after timeoutMs and reports it as unreachable', async () => {
  const hanging: typeof fetch = async (_url, init) =>
    await new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
    })
  const client = new ApiClient({ baseUrl: 'http://10.0.0.1:7700', token: TOKEN, fetch: hanging, timeoutMs: 20 })
  await assert.rejects(client.status(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'VPCMESH_ERR_CLI_UNREACHABLE')
    assert.equal(e.message, 'cannot reach controller at http://10.0.0.1:7700: no answer within 20 ms')
    return true
  })
})
