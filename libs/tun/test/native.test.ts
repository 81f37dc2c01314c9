// Loading the addons (src/native.ts): the stats layout check, and the test hooks kept out
// of the production addon. No root needed: nothing here opens an engine.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { hasCode } from '@vpcmesh/common'
import { checkStatsLayout, loadNativeAddon, PRODUCTION_ADDON, TS_STATS_LAYOUT } from '../src/native.js'
import { GLOBAL_STAT_FIELDS, SLOT_STAT_FIELDS } from '../src/stats.js'
import { NATIVE_TEST_HOOK_NAMES, nativeTestHooks, TEST_ADDON } from '../src/testing/index.js'

/** Runs `fn`, which must throw; returns what it threw. */
function mustThrow(fn: () => void): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  assert.fail('expected a throw')
}

test('stats layout: the TypeScript layout is the field lists of src/stats.ts', () => {
  assert.deepEqual(TS_STATS_LAYOUT, {
    slotStatsStride: SLOT_STAT_FIELDS.length,
    globalStatsCount: GLOBAL_STAT_FIELDS.length,
  })
})

test('stats layout: an equal layout passes', () => {
  checkStatsLayout({ slotStatsStride: 16, globalStatsCount: 22 }, 'x.node', {
    slotStatsStride: 16,
    globalStatsCount: 22,
  })
})

test('stats layout: a different slot stride is refused, naming both numbers', () => {
  const e = mustThrow(() => {
    checkStatsLayout({ slotStatsStride: 17, globalStatsCount: 22 }, 'x.node', {
      slotStatsStride: 16,
      globalStatsCount: 22,
    })
  })
  assert.ok(hasCode(e))
  assert.equal(e.code, 'VPCMESH_ERR_TUN_ADDON_MISMATCH')
  assert.match(e.message, /x\.node/)
  assert.match(e.message, /slotStatsStride: addon 17, TypeScript 16/)
  assert.doesNotMatch(e.message, /globalStatsCount/)
})

test('stats layout: a different global count is refused, naming both numbers', () => {
  const e = mustThrow(() => {
    checkStatsLayout({ slotStatsStride: 16, globalStatsCount: 21 }, 'x.node', {
      slotStatsStride: 16,
      globalStatsCount: 22,
    })
  })
  assert.ok(hasCode(e))
  assert.equal(e.code, 'VPCMESH_ERR_TUN_ADDON_MISMATCH')
  assert.match(e.message, /globalStatsCount: addon 21, TypeScript 22/)
})

test('stats layout: both built addons match src/stats.ts (they loaded through the check)', () => {
  for (const file of [PRODUCTION_ADDON, TEST_ADDON]) {
    const { constants } = loadNativeAddon(file)
    assert.equal(constants.slotStatsStride, TS_STATS_LAYOUT.slotStatsStride, file)
    assert.equal(constants.globalStatsCount, TS_STATS_LAYOUT.globalStatsCount, file)
  }
})

test('production addon: exports the NativeEngine and constants only, none of the test hooks', () => {
  const addon = loadNativeAddon(PRODUCTION_ADDON) as unknown as Record<string, unknown>
  assert.deepEqual(Object.keys(addon).sort(), ['NativeEngine', 'constants'])
  for (const hook of NATIVE_TEST_HOOK_NAMES) assert.equal(addon[hook], undefined, hook)
})

test('test addon: exports every test hook as a function, and the same constants', () => {
  const hooks = nativeTestHooks() as unknown as Record<string, unknown>
  for (const hook of NATIVE_TEST_HOOK_NAMES) assert.equal(typeof hooks[hook], 'function', hook)
  assert.deepEqual(hooks.constants, loadNativeAddon(PRODUCTION_ADDON).constants)
})

test('test addon: is a different module from the production addon', () => {
  assert.notEqual(nativeTestHooks().NativeEngine, loadNativeAddon(PRODUCTION_ADDON).NativeEngine)
})

test('a missing addon is VPCMESH_ERR_TUN_ADDON_MISSING with the build command', () => {
  const e = mustThrow(() => loadNativeAddon('no_such_addon.node'))
  assert.ok(hasCode(e))
  assert.equal(e.code, 'VPCMESH_ERR_TUN_ADDON_MISSING')
  assert.match(e.message, /npm run build:native/)
})
