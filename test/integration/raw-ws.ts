import WebSocket from 'ws'

/** Any decoded controller frame. */
export type RawFrame = Record<string, unknown> & { type: string }

/**
 * One agent WebSocket opened from a chosen loopback source address (Linux routes all of
 * 127.0.0.0/8 to lo), recording what the controller did: the HTTP answer if it refused the
 * upgrade, else the frames and the close code.
 */
export class RawConn {
  readonly frames: RawFrame[] = []
  closeCode: number | undefined
  /** Status and parsed body when the upgrade was answered with HTTP instead of 101. */
  refused: { status: number; body: any } | undefined
  readonly ws: WebSocket

  private constructor(url: string, localAddress: string) {
    this.ws = new WebSocket(url, { localAddress })
    this.ws.on('message', (d: WebSocket.RawData) => {
      this.frames.push(JSON.parse(d.toString()) as RawFrame)
    })
    this.ws.on('close', (code: number) => {
      this.closeCode = code
    })
    this.ws.on('error', () => {})
  }

  /** Opens a connection from `localAddress`; resolves once it is open, refused or failed. */
  static async open(url: string, localAddress: string): Promise<RawConn> {
    const c = new RawConn(url, localAddress)
    await new Promise<void>((resolve) => {
      c.ws.once('open', () => {
        resolve()
      })
      c.ws.once('close', () => {
        resolve()
      })
      c.ws.once('unexpected-response', (_req, res) => {
        let text = ''
        res.on('data', (b: Buffer) => {
          text += b.toString()
        })
        res.on('end', () => {
          c.refused = { status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) }
          resolve()
        })
      })
    })
    return c
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  send(m: unknown): void {
    if (this.open) this.ws.send(JSON.stringify(m))
  }

  /** Resolves with the close code (or 0 when the upgrade was refused). */
  async closed(): Promise<number> {
    if (this.refused !== undefined) return 0
    if (this.closeCode !== undefined) return this.closeCode
    return await new Promise((resolve) => {
      this.ws.once('close', (code: number) => {
        resolve(code)
      })
    })
  }

  terminate(): void {
    this.ws.terminate()
  }
}
