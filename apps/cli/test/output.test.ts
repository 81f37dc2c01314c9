import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatFields, formatTable, Output, shellQuote } from '../src/output.js'

test('formatTable aligns columns with two spaces and no trailing blanks', () => {
  const text = formatTable(
    ['A', 'LONGER', 'C'],
    [
      ['xyz', '1', ''],
      ['q', '22222222', 'end'],
    ],
  )
  assert.equal(text, ['A    LONGER    C', 'xyz  1', 'q    22222222  end'].join('\n'))
})

test('formatFields aligns values', () => {
  assert.equal(
    formatFields(
      [
        ['id', 'x'],
        ['endpoint', 'y'],
      ],
      '  ',
    ),
    '  id        x\n  endpoint  y',
  )
})

test('shellQuote leaves safe words and quotes the rest', () => {
  assert.equal(shellQuote('http://10.0.0.1:7700'), 'http://10.0.0.1:7700')
  assert.equal(shellQuote("it's"), `'it'\\''s'`)
  assert.equal(shellQuote('a b'), "'a b'")
})

test('Output redacts registered secrets on both streams', () => {
  let out = ''
  let err = ''
  const o = new Output({
    stdout: (s) => {
      out += s
    },
    stderr: (s) => {
      err += s
    },
  })
  o.addSecret('s3cr3t-value')
  o.addSecret('ab')
  o.print('token s3cr3t-value here; ab stays')
  o.error('bad s3cr3t-value')
  assert.equal(out, 'token [redacted] here; ab stays\n')
  assert.equal(err, 'vpcmesh: bad [redacted]\n')
})
