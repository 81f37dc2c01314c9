import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ZoneMatcher, inZone, normalizeName, replaceSuffix } from '../src/dns/zone-match.js'

describe('dns zone match', () => {
  test('normalizes case and the trailing dot', () => {
    assert.equal(normalizeName('DB.B.Cluster.Local.'), 'db.b.cluster.local')
    assert.equal(normalizeName('.'), '')
  })

  test('matches on label boundaries only', () => {
    assert.equal(inZone('x.b.cluster.local', 'b.cluster.local'), true)
    assert.equal(inZone('b.cluster.local', 'b.cluster.local'), true)
    assert.equal(inZone('xb.cluster.local', 'b.cluster.local'), false)
    assert.equal(inZone('cluster.local', 'b.cluster.local'), false)
    assert.equal(inZone('anything', ''), true)
  })

  test('picks the longest suffix, case-insensitively', () => {
    const m = new ZoneMatcher([
      { zone: 'cluster.local' },
      { zone: 'deep.b.cluster.local' },
      { zone: 'b.cluster.local' },
    ])
    assert.equal(m.match('X.Deep.B.Cluster.Local.')?.zone, 'deep.b.cluster.local')
    assert.equal(m.match('db.ns.svc.b.cluster.local')?.zone, 'b.cluster.local')
    assert.equal(m.match('xb.cluster.local')?.zone, 'cluster.local')
    assert.equal(m.match('example.com'), undefined)
  })

  test('replaces a suffix and keeps the case of the labels before it', () => {
    assert.equal(
      replaceSuffix('DB.ns.svc.B.cluster.local', 'b.cluster.local', 'cluster.local'),
      'DB.ns.svc.cluster.local',
    )
    assert.equal(replaceSuffix('b.cluster.local.', 'b.cluster.local', 'cluster.local'), 'cluster.local')
    assert.equal(replaceSuffix('xb.cluster.local', 'b.cluster.local', 'cluster.local'), undefined)
  })
})
