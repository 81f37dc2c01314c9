import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { startAll, stopAll, type Startable } from '@vpcmesh/common'
import { STOP_SIGNALS, StopSignal } from '../src/stop-signal.js'

/** Listeners still on `source` for the stop signals. */
function listening(source: EventEmitter): number {
  return STOP_SIGNALS.reduce((n, s) => n + source.listenerCount(s), 0)
}

test('a SIGTERM resolves stopped without a reason; stop() removes the listeners', async () => {
  const source = new EventEmitter()
  const stop = new StopSignal(source)
  await stop.start()
  assert.equal(listening(source), 2)
  source.emit('SIGTERM')
  assert.equal(await stop.stopped, undefined)
  await stop.stop()
  assert.equal(listening(source), 0)
})

test('fatal() resolves stopped with its reason; a later signal does not change it', async () => {
  const source = new EventEmitter()
  const stop = new StopSignal(source)
  await stop.start()
  stop.fatal('VPCMESH_ERR_TUN_DEVICE_GONE: TUN device vmt0 disappeared')
  source.emit('SIGINT')
  assert.equal(await stop.stopped, 'VPCMESH_ERR_TUN_DEVICE_GONE: TUN device vmt0 disappeared')
})

test("main's composition: when the engine fails to start, the signal listeners started before it are removed", async () => {
  const source = new EventEmitter()
  const stop = new StopSignal(source)
  const engine: Startable = {
    start: async () => {
      assert.equal(listening(source), 2, 'signals are caught while the engine starts')
      throw new Error('cannot open TUN')
    },
    stop: async () => {},
  }
  await assert.rejects(startAll([stop, engine]), /cannot open TUN/)
  assert.equal(listening(source), 0)
})

test("main's composition: after a stop request the engine stops and no signal listener is left", async () => {
  const source = new EventEmitter()
  const stop = new StopSignal(source)
  let engineStopped = false
  const engine: Startable = {
    start: async () => {},
    stop: async () => {
      engineStopped = true
    },
  }
  await startAll([stop, engine])
  source.emit('SIGINT')
  assert.equal(await stop.stopped, undefined)
  assert.equal(listening(source), 1, 'SIGINT was heard once; SIGTERM is still caught while stopping')
  await stopAll([stop, engine])
  assert.equal(engineStopped, true)
  assert.equal(listening(source), 0)
})
