// The load every chaos scenario runs under (docs/testing.md, "Chaos"): an iperf3 TCP stream
// and a 10 ms ping from host A to host B through the mesh, and the API writer (writer.ts) in
// the wan namespace.
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { pollUntil } from '@vpcmesh/common'
import type { LocalMesh, Testbed, TestbedNode } from '@vpcmesh/testbed'

/** One write of the API writer (see writer.ts). */
export interface WriteRecord {
  t: number
  op: 'add' | 'del'
  name: string
  /** HTTP status, 0 when no answer arrived. */
  status: number
  /** 'ack': acknowledged; 'fail': no answer or an error; 'repeat': a retry that found its effect already there. */
  result: 'ack' | 'fail' | 'repeat'
  id?: string
}

/** What the load saw. */
export interface LoadResult {
  /** Longest time without a ping reply (also from the start and until the end), seconds. */
  outageS: number
  sent: number
  lost: number
  iperfCode: number | null
  iperfTail: string
  writes: WriteRecord[]
}

const IPERF_PORT = 5201

/** Runs the load for `seconds` from `from`'s host to `to`'s host; {@link finish} waits for it. */
export class Load {
  private readonly writes: WriteRecord[] = []
  private readonly replies: number[] = []
  private pingOut = ''
  private pingSummary = ''
  private iperfOut = ''
  private ping: ChildProcess | undefined
  private iperf: ChildProcess | undefined
  private writer: ChildProcess | undefined
  private startedAt = 0
  private readonly servers: ChildProcess[] = []

  constructor(
    private readonly tb: Testbed,
    private readonly mesh: LocalMesh,
    private readonly adminToken: string,
  ) {}

  /** Starts the iperf3 server and client, the ping and the writer. */
  async start(from: TestbedNode, to: TestbedNode, seconds: number): Promise<void> {
    const server = this.tb.spawn(to.hostNs, ['iperf3', '-s', '-1', '-p', String(IPERF_PORT)])
    this.servers.push(server)
    server.stdout?.resume()
    server.stderr?.resume()
    await pollUntil('iperf3 server listening', async () => {
      const r = await this.tb.exec(to.hostNs, ['ss', '-Hltn', `sport = :${IPERF_PORT}`], { allowFail: true })
      return r.stdout.trim() !== ''
    })
    this.startedAt = Date.now()
    this.ping = this.tb.spawn(from.hostNs, ['ping', '-D', '-n', '-i', '0.01', '-w', String(seconds), to.hostIp])
    this.ping.stdout?.on('data', (d: Buffer) => {
      this.pingOut += d.toString()
      this.takeReplies()
    })
    this.ping.stderr?.resume()
    // 20 Mbit/s: a steady stream that leaves CPU for the agents on a 2-core machine.
    this.iperf = this.tb.spawn(from.hostNs, [
      'timeout',
      String(seconds + 60),
      'iperf3',
      '-c',
      to.hostIp,
      '-p',
      String(IPERF_PORT),
      '-t',
      String(seconds),
      '-b',
      '20M',
      '--connect-timeout',
      '5000',
    ])
    const keep = (d: Buffer): void => {
      this.iperfOut = (this.iperfOut + d.toString()).slice(-4000)
    }
    this.iperf.stdout?.on('data', keep)
    this.iperf.stderr?.on('data', keep)
    const writer = join(import.meta.dirname, 'writer.js')
    this.writer = this.tb.spawn(this.tb.wanNs, [
      process.execPath,
      writer,
      this.mesh.controllerUrls.join(','),
      this.adminToken,
    ])
    let buf = ''
    this.writer.stdout?.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop() ?? ''
      for (const l of lines) {
        const rec = JSON.parse(l) as WriteRecord | { done: true }
        if (!('done' in rec)) this.writes.push(rec)
      }
    })
    this.writer.stderr?.on('data', (d: Buffer) => process.stderr.write(`writer: ${d.toString()}`))
  }

  /** Stops whatever still runs (after a failed scenario), by PID. */
  async abort(): Promise<void> {
    for (const c of [this.ping, this.iperf, this.writer]) if (c !== undefined) await this.tb.kill(c, 'SIGKILL')
    for (const c of this.servers) await this.tb.kill(c, 'SIGKILL')
  }

  /** Waits for ping and iperf3 to end, then stops the writer; returns what they saw. */
  async finish(): Promise<LoadResult> {
    const [ping, iperf, writer] = [this.ping, this.iperf, this.writer]
    if (ping === undefined || iperf === undefined || writer === undefined) throw new Error('load not started')
    const pingCode = await exited(ping)
    this.replies.push(Date.now() / 1000)
    const iperfCode = await exited(iperf)
    writer.kill('SIGTERM')
    const writerCode = await exited(writer)
    if (writerCode !== 0) throw new Error(`the API writer exited ${writerCode}`)
    const m = /(\d+) packets transmitted, (\d+) received/.exec(this.pingSummary)
    if (m === null) throw new Error(`ping (exit ${pingCode}) printed no summary: ${this.pingOut.slice(-500)}`)
    const sent = Number(m[1])
    return {
      outageS: this.outage(),
      sent,
      lost: sent - Number(m[2]),
      iperfCode,
      iperfTail: this.iperfOut.split('\n').slice(-6).join('\n'),
      writes: this.writes,
    }
  }

  /** Longest gap between consecutive replies, from the start to the first and from the last to ping's end. */
  private outage(): number {
    const times = [this.startedAt / 1000, ...this.replies]
    let gap = 0
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!)
    return gap
  }

  private takeReplies(): void {
    const lines = this.pingOut.split('\n')
    this.pingOut = lines.pop() ?? ''
    for (const l of lines) {
      const m = /^\[(\d+\.\d+)\] \d+ bytes from/.exec(l)
      if (m !== null) this.replies.push(Number(m[1]))
      else if (/packets transmitted/.test(l)) this.pingSummary = l
    }
  }
}

/** Resolves with the exit code of `c` (null when killed by a signal). */
async function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null || c.signalCode !== null) return c.exitCode
  return await new Promise((resolve) => c.once('exit', (code) => resolve(code)))
}
