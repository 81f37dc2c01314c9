import { test } from 'node:test'
import assert from 'node:assert/strict'
import { type OwnedRoute, LINUXNET_ERROR_CODES, diffRoutes, parseRouteList } from '../src/index.js'

test('parseRouteList: default, host routes and CIDRs in canonical form; dev-less entries skipped', () => {
  const v4 =
    '[{"dst":"default","dev":"vmt0","scope":"link"},{"dst":"10.1.0.1","dev":"vmt0"},' +
    '{"dst":"10.2.0.0/16","dev":"eth1","metric":5},{"type":"blackhole","dst":"10.9.0.0/16"}]'
  assert.deepEqual(parseRouteList(v4, 4), [
    { prefix: '0.0.0.0/0', dev: 'vmt0', metric: undefined },
    { prefix: '10.1.0.1/32', dev: 'vmt0', metric: undefined },
    { prefix: '10.2.0.0/16', dev: 'eth1', metric: 5 },
  ])
  const v6 =
    '[{"dst":"default","dev":"vmt0","metric":1024},{"dst":"fd00:0:0:0::7","dev":"vmt0","metric":1024},{"dst":"FD00:1::/64","dev":"vmt0","metric":1024}]'
  assert.deepEqual(
    parseRouteList(v6, 6).map((r) => r.prefix),
    ['::/0', 'fd00::7/128', 'fd00:1::/64'],
  )
  assert.deepEqual(parseRouteList('', 4), [])
})

test('parseRouteList: unreadable output is VPCMESH_ERR_LINUXNET_OUTPUT', () => {
  assert.throws(() => parseRouteList('not json', 4), { code: LINUXNET_ERROR_CODES.output })
  assert.throws(() => parseRouteList('{"dst":"x"}', 4), { code: LINUXNET_ERROR_CODES.output })
})

const r = (prefix: string, dev = 'vmt0', metric?: number): OwnedRoute => ({ prefix, dev, metric })

test('diffRoutes: nothing to do when current matches desired', () => {
  assert.deepEqual(diffRoutes([r('10.1.0.0/16'), r('fd00::/64', 'vmt0', 1024)], ['10.1.0.0/16', 'fd00::/64'], 'vmt0'), {
    replace: [],
    replaceThrow: [],
    del: [],
  })
})

test('diffRoutes: missing prefixes are replaced in desired order, unwanted ones deleted', () => {
  assert.deepEqual(
    diffRoutes([r('10.1.0.0/16'), r('10.9.0.0/16')], ['10.3.0.0/16', '10.1.0.0/16', '10.2.0.0/16'], 'vmt0'),
    {
      replace: ['10.3.0.0/16', '10.2.0.0/16'],
      replaceThrow: [],
      del: [r('10.9.0.0/16')],
    },
  )
})

test('diffRoutes: a route of ours on another link is replaced in place, not deleted', () => {
  assert.deepEqual(diffRoutes([r('10.1.0.0/16', 'old0'), r('10.2.0.0/16', 'old0')], ['10.1.0.0/16'], 'vmt0'), {
    replace: ['10.1.0.0/16'],
    replaceThrow: [],
    del: [r('10.2.0.0/16', 'old0')],
  })
})

test('diffRoutes: duplicates and non-default metrics are cleaned up, the keeper stays', () => {
  const current = [
    r('10.1.0.0/16', 'vmt0', 7),
    r('10.1.0.0/16'),
    r('fd00::/64', 'vmt0', 1024),
    r('fd00::/64', 'vmt0', 5),
  ]
  assert.deepEqual(diffRoutes(current, ['10.1.0.0/16', 'fd00::/64'], 'vmt0'), {
    replace: [],
    replaceThrow: [],
    del: [r('10.1.0.0/16', 'vmt0', 7), r('fd00::/64', 'vmt0', 5)],
  })
  assert.deepEqual(diffRoutes([r('10.1.0.0/16', 'vmt0', 7)], ['10.1.0.0/16'], 'vmt0'), {
    replace: ['10.1.0.0/16'],
    replaceThrow: [],
    del: [r('10.1.0.0/16', 'vmt0', 7)],
  })
})

test('diffRoutes: deletions are sorted IPv4 first, by address then length', () => {
  const current = [r('fd00::/64', 'vmt0', 1024), r('10.10.0.0/16'), r('10.2.0.0/16'), r('10.2.0.0/24')]
  assert.deepEqual(
    diffRoutes(current, [], 'vmt0').del.map((x) => x.prefix),
    ['10.2.0.0/16', '10.2.0.0/24', '10.10.0.0/16', 'fd00::/64'],
  )
})

test('diffRoutes: throw entries are kept, added and removed like routes; a route becoming a throw is replaced in place', () => {
  const t = (prefix: string): OwnedRoute => ({ prefix, dev: '', type: 'throw' })
  assert.deepEqual(diffRoutes([r('10.1.0.0/16'), t('10.1.5.0/24')], ['10.1.0.0/16'], 'vmt0', ['10.1.5.0/24']), {
    replace: [],
    replaceThrow: [],
    del: [],
  })
  assert.deepEqual(diffRoutes([r('10.1.0.0/16'), t('10.1.5.0/24')], ['10.1.0.0/16'], 'vmt0', ['10.1.6.0/24']), {
    replace: [],
    replaceThrow: ['10.1.6.0/24'],
    del: [t('10.1.5.0/24')],
  })
  assert.deepEqual(diffRoutes([r('10.2.0.0/16')], [], 'vmt0', ['10.2.0.0/16']), {
    replace: [],
    replaceThrow: ['10.2.0.0/16'],
    del: [],
  })
})

test('parseRouteList: throw entries (no dev) and numeric protocols are read', () => {
  const json =
    '[{"type":"throw","dst":"10.5.0.0/16","protocol":"112","flags":[]},' +
    '{"dst":"10.6.0.0/16","dev":"vmt0","protocol":"112","scope":"link","flags":[]},' +
    '{"dst":"10.7.0.0/16","dev":"eth0","protocol":"kernel"}]'
  assert.deepEqual(parseRouteList(json, 4), [
    { prefix: '10.5.0.0/16', dev: '', metric: undefined, type: 'throw', proto: 112 },
    { prefix: '10.6.0.0/16', dev: 'vmt0', metric: undefined, proto: 112 },
    { prefix: '10.7.0.0/16', dev: 'eth0', metric: undefined },
  ])
})
