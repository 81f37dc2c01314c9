// The chaos suite's API writer (docs/testing.md, "Chaos"): runs inside the testbed's wan
// namespace and, once a second, registers a VPC `cx<i>` and on the next tick deletes it, so
// the registry sees a write every second whatever the scenario does to the controller.
// Each write prints one JSON line ({@link WriteRecord}); an acknowledged write is a 201 or
// 204 answer. A write whose answer was lost (timeout, 5xx, connection refused) has an
// unknown outcome and is sent again until acknowledged; a retry answered 409 (add) or 404
// (delete) shows the first attempt had landed and counts as repeated. On SIGTERM it finishes
// the write in flight, prints {"done":true} and exits 0. Given several controller URLs
// (replicas), it moves to the next one whenever a call gets no answer.
//
// Usage: node writer.js CONTROLLER_URL[,CONTROLLER_URL...] ADMIN_TOKEN
const [list, token] = process.argv.slice(2) as [string, string]
const urls = list.split(',')
let current = 0

/** One line of output per write attempt: WriteRecord in load.ts. */
interface WriteRecord {
  t: number
  op: 'add' | 'del'
  name: string
  status: number
  result: 'ack' | 'fail' | 'repeat'
  id?: string
}

const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
let stopping = false
process.on('SIGTERM', () => {
  stopping = true
})

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  try {
    const r = await fetch(`${urls[current % urls.length]}${path}`, {
      method,
      headers: body === undefined ? { authorization: headers.authorization } : headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(2000),
    })
    const text = await r.text()
    return { status: r.status, json: text === '' ? undefined : JSON.parse(text) }
  } catch {
    current++
    return { status: 0, json: undefined }
  }
}

async function idOf(name: string): Promise<string | undefined> {
  const r = await call('GET', '/v1/vpcs')
  return (r.json?.vpcs as Array<{ id: string; name: string }> | undefined)?.find((v) => v.name === name)?.id
}

const emit = (rec: WriteRecord): void => {
  process.stdout.write(`${JSON.stringify(rec)}\n`)
}

let i = 0
let id: string | undefined
let retrying = false
while (!stopping) {
  const tick = Date.now()
  const k = i % 200
  const name = `cx${i}`
  if (id === undefined) {
    const r = await call('POST', '/v1/vpcs', {
      name,
      cidrs: [`10.200.${k}.0/24`],
      endpoint: `198.18.${k}.1:51820`,
    })
    if (r.status === 201) id = r.json.vpc.id as string
    else if (r.status === 409 && retrying) id = await idOf(name)
    const result: WriteRecord['result'] = r.status === 201 ? 'ack' : id !== undefined ? 'repeat' : 'fail'
    emit({ t: tick, op: 'add', name, status: r.status, result, id })
    retrying = id === undefined
  } else {
    const r = await call('DELETE', `/v1/vpcs/${id}`)
    const result: WriteRecord['result'] = r.status === 204 ? 'ack' : r.status === 404 && retrying ? 'repeat' : 'fail'
    emit({ t: tick, op: 'del', name, status: r.status, result, id })
    retrying = result === 'fail'
    if (!retrying) {
      id = undefined
      i++
    }
  }
  const wait = tick + 1000 - Date.now()
  if (wait > 0 && !stopping) await new Promise((resolve) => setTimeout(resolve, wait))
}
process.stdout.write(`${JSON.stringify({ done: true })}\n`)
