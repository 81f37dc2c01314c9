import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { ADMIN_TOKEN, Harness } from './harness.js'
import { RawConn } from './raw-ws.js'

/** The budget per client address and minute of both replicas (small, so the test reaches it). */
const LIMIT = 6

/** Answer of one request: status, parsed body and the Retry-After header. */
interface Answer {
  status: number
  body: any
  retryAfter: string | undefined
}

/** GET `path` on `baseUrl` with the admin token, from the loopback source address `from`. */
async function getFrom(baseUrl: string, path: string, from: string): Promise<Answer> {
  return await new Promise((resolve, reject) => {
    const req = request(
      `${baseUrl}${path}`,
      { localAddress: from, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
      (res) => {
        let text = ''
        res.on('data', (b: Buffer) => {
          text += b.toString()
        })
        res.on('end', () => {
          const h = res.headers['retry-after']
          resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text), retryAfter: h })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('rate limit shared by two replicas through one Redis', () => {
  let h: Harness
  const conns: RawConn[] = []

  before(async () => {
    h = await Harness.start(2, { VPCMESH_RATE_LIMIT_PER_MIN: String(LIMIT) })
  })
  after(async () => {
    for (const c of conns) c.terminate()
    await h.stop()
  })

  test('requests split across both replicas hit 429 at the shared budget, with the error body and Retry-After', async () => {
    const from = '127.0.4.1'
    const answers: Answer[] = []
    for (let i = 0; i < LIMIT + 2; i++) answers.push(await getFrom(h.controllers[i % 2]!.url, '/v1/vpcs', from))
    assert.deepEqual(
      answers.map((a) => a.status),
      [...Array<number>(LIMIT).fill(200), 429, 429],
      'each replica alone saw only half the budget; together they refuse the request after it',
    )
    for (const a of answers.slice(LIMIT)) {
      assert.deepEqual(a.body, {
        code: 'VPCMESH_ERR_RATE_LIMITED',
        message: `more than ${LIMIT} requests a minute from ${from}; slow down`,
        retryable: true,
      })
      const s = Number(a.retryAfter)
      assert.ok(Number.isInteger(s) && s >= 1 && s <= 60, `Retry-After ${a.retryAfter}`)
    }
    assert.equal((await getFrom(h.controllers[0]!.url, '/v1/vpcs', '127.0.4.2')).status, 200, 'another address')
  })

  test('agent WebSocket upgrades on one replica and REST calls on the other spend one budget', async () => {
    const from = '127.0.4.3'
    for (let i = 0; i < LIMIT / 2; i++) {
      const c = await RawConn.open(h.controllers[0]!.wsUrl, from)
      conns.push(c)
      assert.equal(c.refused, undefined, `upgrade ${i + 1} refused: ${JSON.stringify(c.refused)}`)
    }
    for (let i = 0; i < LIMIT / 2; i++)
      assert.equal((await getFrom(h.controllers[1]!.url, '/v1/vpcs', from)).status, 200)
    const over = await RawConn.open(h.controllers[1]!.wsUrl, from)
    conns.push(over)
    assert.equal(over.refused?.status, 429)
    assert.equal(over.refused?.body.code, 'VPCMESH_ERR_RATE_LIMITED')
  })
})
