// A wall-clock jump of ±1 h on one node (docs/testing.md, "Chaos": no namespace has its own
// CLOCK_REALTIME, so the chaos suite covers it here). The wall clock (Clock.now) is only the
// source of the TAI64N timestamps in handshake initiations (src/noise/timestamp.ts); timers,
// rekeys and session ages run on Clock.monotonic. The TimestampSource of a running data plane
// never hands out a label below one it gave before, so a backward jump does not make its
// initiations look replayed. A restart forgets that floor: the peer then rejects the
// initiations (WireGuard's behaviour) until the clock passes the greatest label it accepted,
// and the tunnel comes back only through the peer's own handshake.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { noopLogger, type Clock } from '@vpcmesh/common'
import { FakeClock } from '@vpcmesh/common/testing'
import { MemoryMetrics } from '@vpcmesh/metrics/testing'
import { ChannelNetwork, MemoryPacketEngine } from '@vpcmesh/tun/testing'
import { createDataplane, type Dataplane } from '../src/dataplane.js'
import { generateKeyPair, type KeyPairText } from '../src/key-text.js'
import { ipv4Packet } from '../src/testing/index.js'

const HOUR = 3_600_000

/** The shared fake clock, with the wall clock of one node moved by `skew` ms. */
class SkewedClock implements Clock {
  skew = 0
  constructor(private readonly base: FakeClock) {}
  now(): number {
    return this.base.now() + this.skew
  }
  monotonic(): number {
    return this.base.monotonic()
  }
  setTimeout(fn: () => void, ms: number) {
    return this.base.setTimeout(fn, ms)
  }
  setInterval(fn: () => void, ms: number) {
    return this.base.setInterval(fn, ms)
  }
}

interface Node {
  keys: KeyPairText
  address: string
  prefix: string
  clock: SkewedClock
  engine: MemoryPacketEngine
  metrics: MemoryMetrics
  dataplane: Dataplane
}

/** Two nodes, a (10.1/16) and b (10.2/16), on one network; a's wall clock can be skewed. */
function pair() {
  const network = new ChannelNetwork()
  const base = new FakeClock()
  const nodes = new Map<string, Node>()
  const build = (name: string, address: string, prefix: string, keys: KeyPairText, clock: SkewedClock): Node => {
    const engine = new MemoryPacketEngine(network, { endpoint: { address, port: 51820 }, tunName: `chan-${name}` })
    const metrics = new MemoryMetrics({ clock: base })
    const dataplane = createDataplane({ engine, clock, logger: noopLogger, metrics })
    return { keys, address, prefix, clock, engine, metrics, dataplane }
  }
  const configure = (name: string): void => {
    const n = nodes.get(name)!
    const [peerName, peer] = [...nodes].find(([k]) => k !== name)!
    n.dataplane.reconfig({
      privateKey: n.keys.privateKey,
      peers: [
        {
          id: `id-${peerName}`,
          name: peerName,
          publicKey: peer.keys.publicKey,
          endpoint: { address: peer.address, port: 51820 },
          allowedPrefixes: [peer.prefix],
        },
      ],
    })
    n.dataplane.start()
  }
  nodes.set('a', build('a', '192.0.2.1', '10.1.0.0/16', generateKeyPair(), new SkewedClock(base)))
  nodes.set('b', build('b', '192.0.2.2', '10.2.0.0/16', generateKeyPair(), new SkewedClock(base)))
  configure('a')
  configure('b')
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 12; i++) await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return {
    base,
    node: (name: string) => nodes.get(name)!,
    /** Moves the clock by `ms`, a packet each way every second; returns how many each side delivered. */
    async traffic(ms: number): Promise<{ sent: number; toB: number; toA: number }> {
      const [a, b] = [nodes.get('a')!, nodes.get('b')!]
      const before = { toB: b.engine.tunWrites.length, toA: a.engine.tunWrites.length }
      let sent = 0
      for (let t = 0; t < ms; t += 1000) {
        a.engine.injectTun(ipv4Packet('10.1.0.5', '10.2.0.7'))
        b.engine.injectTun(ipv4Packet('10.2.0.7', '10.1.0.5'))
        sent++
        for (let s = 0; s < 4; s++) {
          base.advance(250)
          await flush()
        }
      }
      return {
        sent,
        toB: nodes.get('b')!.engine.tunWrites.length - before.toB,
        toA: nodes.get('a')!.engine.tunWrites.length - before.toA,
      }
    },
    /** Restarts a's data plane: same keys, endpoint and skewed clock, a new engine and TimestampSource. */
    restartA(): Node {
      const old = nodes.get('a')!
      old.dataplane.close()
      nodes.set('a', build('a', old.address, old.prefix, old.keys, old.clock))
      configure('a')
      return nodes.get('a')!
    },
    close(): void {
      for (const n of nodes.values()) n.dataplane.close()
    },
  }
}

const completed = (n: Node): number => n.metrics.value('vpcmesh_agent_handshakes_total', { result: 'completed' }) ?? 0

test('clock jump: +1 h then -1 h on one node while running: handshakes, rekeys and traffic go on, no replay', async () => {
  const m = pair()
  const [a, b] = [m.node('a'), m.node('b')]
  const warm = await m.traffic(10_000)
  assert.ok(warm.toB >= warm.sent - 1 && warm.toA >= warm.sent - 1, `warm-up delivered ${JSON.stringify(warm)}`)
  for (const skew of [HOUR, 0, -HOUR]) {
    a.clock.skew = skew
    const handshakesBefore = completed(b)
    // 400 s: past REKEY_AFTER_TIME (120 s) three times, so a initiates again on the jumped clock
    const r = await m.traffic(400_000)
    assert.equal(r.toB, r.sent, `skew ${skew}: every packet a→b delivered`)
    assert.equal(r.toA, r.sent, `skew ${skew}: every packet b→a delivered`)
    assert.ok(completed(b) - handshakesBefore >= 3, `skew ${skew}: b completed new handshakes`)
    assert.equal(b.dataplane.drops().handshake_replay, 0, `skew ${skew}: b rejected none of a's initiations`)
  }
  m.close()
})

test("clock jump: -1 h then a restart: b rejects a's initiations as replayed, b's handshake brings the tunnel back", async (t) => {
  const m = pair()
  await m.traffic(10_000)
  m.node('a').clock.skew = -HOUR
  const a = m.restartA()
  // b's session with the old a dies with it; b's keepalive and rekey timers start b's own
  // handshake (the responder checks no timestamp), and traffic flows again both ways
  let seconds = 0
  for (;;) {
    const r = await m.traffic(1000)
    seconds++
    if (r.toA === 1 && r.toB === 1) break
    assert.ok(seconds < 60, 'the tunnel did not come back within 60 s of the restart')
  }
  t.diagnostic(`tunnel back ${seconds} s after the restart`)
  const b = m.node('b')
  assert.ok(b.dataplane.drops().handshake_replay >= 1, "b rejected a's initiations with the older timestamps")
  assert.ok(seconds <= 30, `tunnel back within 30 s (took ${seconds} s)`)
  // for the next hour a's own initiations stay rejected; b's rekeys (it initiated) carry the tunnel
  const again = await m.traffic(400_000)
  assert.equal(again.toB, again.sent, 'after recovery every packet a→b delivered')
  assert.equal(again.toA, again.sent, 'after recovery every packet b→a delivered')
  assert.ok(completed(a) >= 1, 'a completed a handshake after its restart')
  m.close()
})
