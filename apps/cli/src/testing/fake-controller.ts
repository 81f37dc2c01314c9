import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request the fake controller received. */
export interface RecordedRequest {
  readonly method: string
  /** Path and query string as sent, e.g. `/v1/vpcs/vpc_0123456789ab/routes?cidr=10.0.0.0%2F8`. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The body parsed as JSON; undefined when empty or not JSON. */
  readonly body: unknown
}

/** A canned answer: status and a JSON body (none when undefined). */
export interface CannedAnswer {
  readonly status: number
  readonly body?: unknown
}

/**
 * A tiny real HTTP server on 127.0.0.1 standing in for the controller in CLI tests. It
 * records every request and answers from canned responses keyed by `METHOD /path?query`;
 * an unknown key answers 404 with an ErrorBody. It checks nothing itself: tests assert on
 * {@link FakeController.requests}.
 */
export class FakeController {
  /** Requests received, oldest first. */
  readonly requests: RecordedRequest[] = []
  private readonly answers = new Map<string, CannedAnswer>()
  private readonly server: Server

  private constructor(server: Server) {
    this.server = server
  }

  /** Starts a fake controller on 127.0.0.1 and a free port. Call {@link close} when done. */
  static async start(): Promise<FakeController> {
    const fake: FakeController = new FakeController(
      createServer((req, res) => {
        const chunks: Buffer[] = []
        req.on('data', (c: Buffer) => chunks.push(c))
        req.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: parseJson(text) }
          fake.requests.push(request)
          const answer = fake.answers.get(`${request.method} ${request.url}`) ?? NOT_FOUND
          res.writeHead(answer.status, answer.body === undefined ? {} : { 'content-type': 'application/json' })
          res.end(answer.body === undefined ? undefined : JSON.stringify(answer.body))
        })
      }),
    )
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve))
    return fake
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** Sets the answer to `METHOD /path?query` (replacing an earlier one). */
  on(key: string, answer: CannedAnswer): this {
    this.answers.set(key, answer)
    return this
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

const NOT_FOUND: CannedAnswer = {
  status: 404,
  body: { code: 'VPCMESH_ERR_NOT_FOUND', message: 'no canned answer for this request', retryable: false },
}

/** A URL on 127.0.0.1 where nothing listens: a port that was free a moment ago. */
export async function closedControllerUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

function parseJson(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
