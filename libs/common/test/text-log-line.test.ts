import { test } from 'node:test'
import assert from 'node:assert/strict'
import { textLogLine } from '../src/text-log-line.js'

test('fixed fields come first, then every other field as key=value in record order', () => {
  const rec = {
    level: 'info',
    time: '2026-01-02T03:04:05.678Z',
    component: 'hub',
    vpc: 'v-1',
    n: 3,
    ok: true,
    msg: 'hello',
  }
  assert.equal(textLogLine(JSON.stringify(rec)), '2026-01-02T03:04:05.678Z INFO  hub: hello vpc=v-1 n=3 ok=true')
})

test('values with spaces, quotes, = or control characters are JSON-quoted; objects and null are JSON', () => {
  const rec = {
    level: 'error',
    time: 't',
    msg: 'm',
    a: 'two words',
    b: 'x=y',
    c: 'say "hi"',
    d: 'line\nbreak',
    e: '',
    f: { k: [1, 2] },
    g: null,
  }
  assert.equal(
    textLogLine(JSON.stringify(rec)),
    't ERROR m a="two words" b="x=y" c="say \\"hi\\"" d="line\\nbreak" e="" f={"k":[1,2]} g=null',
  )
})

test('control characters in the message are escaped, so a record stays one line; no component, no prefix', () => {
  const line = textLogLine(JSON.stringify({ level: 'warn', time: 't', msg: 'a\nb\tc "q"' }))
  assert.equal(line, 't WARN  a\\nb\\tc "q"')
  assert.ok(!line.includes('\n'))
})

test('a line that is not a JSON object passes through trimmed', () => {
  assert.equal(textLogLine('not json\n'), 'not json')
  assert.equal(textLogLine('[1,2]'), '[1,2]')
})
