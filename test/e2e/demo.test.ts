import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** Command lines of every process, for leak checks. */
function processes(): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      out.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))
    } catch {
      /* exited */
    }
  }
  return out
}

/**
 * redis-server processes of a demo: redis sets its own process title (no data dir in the
 * command line) but runs in its data dir, inside the demo's `vpcmesh-demo-*` work dir. Other
 * redis-servers on the machine (other test runs) are not counted.
 */
function demoRedis(): string[] {
  const out: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (
        readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('redis-server') &&
        readlinkSync(`/proc/${pid}/cwd`).includes('vpcmesh-demo-')
      )
        out.push(pid)
    } catch {
      /* exited */
    }
  }
  return out
}

test('vpcmesh demo --once: cross-VPC traffic succeeds, exit 0, and nothing is left behind', () => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'vpcmesh'), 'demo', '--once'], {
    encoding: 'utf8',
    timeout: 180_000,
  })
  assert.equal(r.status, 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`)
  for (const pair of ['a → b', 'a → c', 'b → a', 'b → c', 'c → a', 'c → b'])
    assert.match(r.stdout, new RegExp(`ping ${pair} \\(\\S+\\): ok`))
  assert.match(r.stdout, /curl a → http:\/\/10\.3\.0\.2\/: hello from vpc c/)
  assert.match(r.stdout, /cleaning up/)
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
  assert.equal(ns.split('\n').filter((l) => l.startsWith('vmdemo-')).length, 0, ns)
  assert.equal(processes().filter((c) => c.includes('vpcmesh-demo-')).length, 0, 'no controller or agent left')
  assert.deepEqual(demoRedis(), [], 'no redis-server of the demo left (pids)')
  assert.equal(spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' }).stdout.includes('vpcmesh'), false)
})

test('vpcmesh demo rejects bad flags with exit 2 and one line', () => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'vpcmesh'), 'demo', '--bogus'], { encoding: 'utf8' })
  assert.equal(r.status, 2)
  assert.equal(r.stderr.trim().split('\n').length, 1)
  assert.match(r.stderr, /--bogus/)
  const h = spawnSync(process.execPath, [join(root, 'bin', 'vpcmesh'), 'demo', '--help'], { encoding: 'utf8' })
  assert.equal(h.status, 0)
  assert.match(h.stdout, /usage: vpcmesh demo/)
})
