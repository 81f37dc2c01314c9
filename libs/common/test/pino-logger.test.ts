import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogger, REDACTED, REDACTED_KEYS, type LoggerOptions } from '../src/pino-logger.js'
import type { Logger } from '../src/logger.js'

/** A logger writing into an array, and the array. */
function recording(opts: LoggerOptions = {}): { log: Logger; lines: string[] } {
  const lines: string[] = []
  return { log: createLogger({ ...opts, write: (l) => lines.push(l) }), lines }
}

test('json: one object per line with level name, ISO time, component, bindings, fields and msg', () => {
  const { log, lines } = recording()
  log.child('controller').child('hub', { vpc: 'v-1' }).info('agent connected', { replica: 'r1', n: 2 })
  assert.equal(lines.length, 1)
  assert.ok(!lines[0]!.includes('\n'))
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>
  assert.match(String(rec.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  delete rec.time
  assert.deepEqual(rec, { level: 'info', component: 'hub', vpc: 'v-1', replica: 'r1', n: 2, msg: 'agent connected' })
})

test('child: bindings accumulate, the innermost component wins, and a call field overrides a binding without repeating the key', () => {
  const { log, lines } = recording()
  const session = log.child('hub', { address: '192.0.2.1' }).child('session', { vpc: 'v-1' })
  session.warn('refused', { vpc: 'v-2' })
  log.child('agent').error('plain')
  assert.equal(lines[0]!.match(/"vpc"/g)?.length, 1, lines[0])
  const rec = JSON.parse(lines[0]!) as Record<string, unknown>
  assert.equal(rec.component, 'session')
  assert.equal(rec.address, '192.0.2.1')
  assert.equal(rec.vpc, 'v-2')
  assert.equal(rec.level, 'warn')
  const plain = JSON.parse(lines[1]!) as Record<string, unknown>
  assert.deepEqual([plain.component, plain.level, plain.msg, plain.vpc], ['agent', 'error', 'plain', undefined])
})

test('levels: records below the minimum are dropped; the default minimum is info', () => {
  const def = recording()
  for (const l of ['debug', 'info', 'warn', 'error'] as const) def.log.child('c')[l](l)
  assert.deepEqual(
    def.lines.map((l) => (JSON.parse(l) as { level: string }).level),
    ['info', 'warn', 'error'],
  )
  const warn = recording({ level: 'warn' })
  for (const l of ['debug', 'info', 'warn', 'error'] as const) warn.log.child('c')[l](l)
  assert.deepEqual(
    warn.lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['warn', 'error'],
  )
  const debug = recording({ level: 'debug' })
  debug.log.child('c').debug('d')
  assert.equal(debug.lines.length, 1)
})

test('redact: every secret field name is censored at the top, nested up to three objects deep, in arrays and in bindings, in both formats', () => {
  for (const format of ['json', 'text'] as const) {
    for (const key of REDACTED_KEYS) {
      const { log, lines } = recording({ format })
      const s = (where: string): string => `SECRET-${key}-${where}`
      log.child('agent', { [key]: s('binding') }).info('with secrets', {
        [key]: s('top'),
        a: { [key]: s('depth1'), b: { [key]: s('depth2'), c: { [key]: s('depth3') } } },
        peers: [{ [key]: s('array') }],
        keep: 'visible',
      })
      assert.equal(lines.length, 1)
      assert.doesNotMatch(lines[0]!, /SECRET-/, `${format} ${key}: ${lines[0]}`)
      assert.ok(lines[0]!.includes(REDACTED) && lines[0]!.includes('visible'), lines[0])
    }
  }
})

test('redact: the original fields object is left untouched', () => {
  const { log } = recording()
  const fields = { joinToken: 'vmj_abc', nested: { token: 't' } }
  log.child('agent').info('x', fields)
  assert.deepEqual(fields, { joinToken: 'vmj_abc', nested: { token: 't' } })
})

test('text: one readable line per record with time, level, component, msg and key=value fields', () => {
  const { log, lines } = recording({ format: 'text' })
  log
    .child('control', { vpc: 'v-1' })
    .warn('disconnected; retrying\nsoon', { code: 1006, reason: 'gone away', inMs: 500 })
  assert.equal(lines.length, 1)
  assert.match(
    lines[0]!,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z WARN {2}control: disconnected; retrying\\nsoon vpc=v-1 code=1006 reason="gone away" inMs=500$/,
  )
})

test('the logger never throws: circular fields, throwing getters and a failing writer', () => {
  const { log, lines } = recording()
  const circular: Record<string, unknown> = { a: 1 }
  circular.self = circular
  log.child('c').info('circular', { circular })
  assert.equal(lines.length, 1)
  assert.equal((JSON.parse(lines[0]!) as { msg: string }).msg, 'circular')
  const getter = {
    get boom(): string {
      throw new Error('getter')
    },
  }
  assert.doesNotThrow(() => {
    log.child('c').info('getter', getter as unknown as Record<string, unknown>)
  })
  const failing = createLogger({
    write: () => {
      throw new Error('disk full')
    },
  })
  assert.doesNotThrow(() => {
    failing.child('c').error('lost')
  })
})
