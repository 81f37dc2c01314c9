import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Heartbeat } from '../src/heartbeat.js'
import { FakeClock } from '../src/testing/fake-clock.js'

function recorder(clock: FakeClock, missed?: number) {
  const events: string[] = []
  const hb = new Heartbeat(
    clock,
    {
      ping: (id) => events.push(`ping ${id}`),
      silent: () => events.push('silent'),
    },
    missed === undefined ? {} : { missed },
  )
  return { hb, events }
}

test('heartbeat pings every interval while the peer is heard', () => {
  const clock = new FakeClock()
  const { hb, events } = recorder(clock)
  hb.start(100)
  for (let i = 0; i < 5; i++) {
    clock.advance(100)
    hb.heard()
  }
  assert.deepEqual(events, ['ping 1', 'ping 2', 'ping 3', 'ping 4', 'ping 5'])
  assert.equal(hb.lastHeard, clock.now())
})

test('heartbeat reports silence once after more than 3 silent intervals and stops', () => {
  const clock = new FakeClock()
  const { hb, events } = recorder(clock)
  hb.start(100)
  clock.advance(300)
  assert.deepEqual(events, ['ping 1', 'ping 2', 'ping 3'])
  clock.advance(100)
  assert.deepEqual(events, ['ping 1', 'ping 2', 'ping 3', 'silent'])
  clock.advance(1000)
  assert.equal(events.length, 4)
  assert.equal(clock.pending(), 0)
})

test('heartbeat honours a custom number of missed intervals', () => {
  const clock = new FakeClock()
  const { hb, events } = recorder(clock, 1)
  hb.start(50)
  clock.advance(100)
  assert.deepEqual(events, ['ping 1', 'silent'])
})

test('heartbeat start replaces the earlier interval and keeps counting ping ids; stop ends it', () => {
  const clock = new FakeClock()
  const { hb, events } = recorder(clock)
  hb.start(100)
  clock.advance(100)
  hb.heard()
  hb.start(40)
  assert.equal(clock.pending(), 1)
  clock.advance(40)
  assert.deepEqual(events, ['ping 1', 'ping 2'])
  hb.stop()
  hb.stop()
  clock.advance(1000)
  assert.deepEqual(events, ['ping 1', 'ping 2'])
  assert.equal(clock.pending(), 0)
})

test('heartbeat counts silence from construction until heard', () => {
  const clock = new FakeClock()
  const { hb, events } = recorder(clock)
  const born = clock.now()
  clock.advance(250)
  assert.equal(hb.lastHeard, born)
  hb.start(100)
  clock.advance(100)
  assert.deepEqual(events, ['silent'])
})
