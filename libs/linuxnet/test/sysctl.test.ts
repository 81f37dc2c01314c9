import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SYSCTL_KEYS, planSysctls } from '../src/index.js'
import { parseSysctlOutput } from '../src/sysctl.js'

const vals = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o))

test('parseSysctlOutput: key = value lines', () => {
  assert.deepEqual(
    [...parseSysctlOutput('net.ipv4.ip_forward = 1\nnoise\nnet.ipv4.conf.all.rp_filter = 2\n')],
    [
      ['net.ipv4.ip_forward', '1'],
      ['net.ipv4.conf.all.rp_filter', '2'],
    ],
  )
})

test('planSysctls: enables forwarding; IPv6 only when IPv6 routes exist', () => {
  const off = vals({ [SYSCTL_KEYS.ipv4Forward]: '0', [SYSCTL_KEYS.ipv6Forward]: '0', [SYSCTL_KEYS.rpFilter]: '0' })
  assert.deepEqual(planSysctls(off, false), { writes: ['net.ipv4.ip_forward=1'], warnings: [] })
  assert.deepEqual(planSysctls(off, true), {
    writes: ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'],
    warnings: [],
  })
  const on = vals({ [SYSCTL_KEYS.ipv4Forward]: '1', [SYSCTL_KEYS.ipv6Forward]: '1', [SYSCTL_KEYS.rpFilter]: '2' })
  assert.deepEqual(planSysctls(on, true), { writes: [], warnings: [] })
})

test('planSysctls: strict rp_filter and missing IPv6 are warnings, not writes', () => {
  const plan = planSysctls(vals({ [SYSCTL_KEYS.ipv4Forward]: '1', [SYSCTL_KEYS.rpFilter]: '1' }), true)
  assert.deepEqual(plan.writes, [])
  assert.equal(plan.warnings.length, 2)
  assert.match(plan.warnings[0] ?? '', /net\.ipv6\.conf\.all\.forwarding does not exist/)
  assert.match(plan.warnings[1] ?? '', /net\.ipv4\.conf\.all\.rp_filter=1 \(strict/)
})
