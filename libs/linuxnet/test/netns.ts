// Real network namespaces for the root-only tests: unique names, a TUN inside, removal by name.
import { execFileSync } from 'node:child_process'
import { errorMessage } from '@vpcmesh/common'
import { createExecRunner, type CommandRunner } from '../src/index.js'

let seq = 0
/** Namespaces created and not yet destroyed; removed by name at exit if a test forgot one. */
const live = new Set<string>()
process.on('exit', () => {
  for (const name of live) {
    try {
      remove(name)
    } catch (e) {
      process.stderr.write(`teardown: deleting ${name} failed: ${errorMessage(e)}\n`)
    }
  }
})

/** SIGKILLs what runs inside `name` (`ip netns pids`), then deletes it; throws only if it remains. */
function remove(name: string): void {
  try {
    for (const pid of execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8', stdio: 'pipe' })
      .split(/\s+/)
      .filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        /* already gone */
      }
    }
  } catch {
    /* no such namespace: nothing runs inside */
  }
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'pipe' })
  } catch (e) {
    const list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', stdio: 'pipe' })
    if (list.split('\n').some((l) => l.split(' ')[0] === name)) throw e
  }
}

/** A namespace this test process created; `destroy()` deletes exactly it. */
export interface TestNetns {
  name: string
  /** ExecRunner bound to the namespace (`ip netns exec NAME …`). */
  runner: CommandRunner
  /** Runs argv inside the namespace synchronously and returns stdout; throws on failure. */
  exec: (argv: string[]) => string
  /** Creates a TUN link inside the namespace (the packet engine's job in production). */
  addTun: (name: string) => void
  destroy: () => void
}

/** Creates `vmln-<pid>-<tag><n>`; fails (never skips) when not root. */
export function mustCreateNetns(tag: string): TestNetns {
  const name = `vmln-${process.pid}-${tag}${seq++}`
  execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' })
  live.add(name)
  const exec = (argv: string[]): string =>
    execFileSync('ip', ['netns', 'exec', name, ...argv], {
      encoding: 'utf8',
      stdio: 'pipe',
      env: { LC_ALL: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    })
  return {
    name,
    runner: createExecRunner({ netns: name }),
    exec,
    addTun: (tun) => {
      exec(['ip', 'tuntap', 'add', 'dev', tun, 'mode', 'tun'])
    },
    destroy: () => {
      if (!live.has(name)) return
      remove(name)
      live.delete(name)
    },
  }
}
