/**
 * What an idle tunnel's first packet costs on this machine, apart from any tunnel (not a test):
 * the measurements behind the idle-RTT floor in docs/testing.md. A gateway's round trip is a
 * chain of thread wake-ups (a packet wakes the thread that moves it) and cold code (the tunnel
 * has been idle since the last packet); kernel routing has neither. Prints:
 * - thread wake-up round trips (fixtures/wake-pingpong.c, built here with `cc -O2`): two threads
 *   pinned to one vCPU or to two, a byte over pipes there and back, ROUNDS times, 50 ms and 1 ms
 *   apart;
 * - one AES-256-GCM seal of an 84-byte ping (the engine's AeadContext in the test addon, the
 *   OpenSSL inside Node) 50 ms, 2 ms and 0 ms after the previous one;
 * - what the kernel says about idling: the cpuidle driver and a haltpoll setting on its
 *   command line, if any.
 * No network traffic. Usage: node test/dist/bench/idle.bench.js [rounds=60]
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { nativeTestHooks } from '@vpcmesh/tun/testing'

const ROUNDS = Math.min(10_000, Math.max(5, Number(process.argv[2] ?? 60)))
const here = dirname(fileURLToPath(import.meta.url))
const SRC = join(here, '..', '..', '..', 'test', 'bench', 'fixtures', 'wake-pingpong.c')

const read = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8').trim() : 'n/a')

function main(): void {
  const work = mkdtempSync(join(tmpdir(), 'vpcmesh-idle-'))
  try {
    const bin = join(work, 'wake-pingpong')
    execFileSync('cc', ['-O2', '-Wall', '-o', bin, SRC, '-lpthread'])
    const cmdline = read('/proc/cmdline')
    console.log(
      `cpuidle driver ${read('/sys/devices/system/cpu/cpuidle/current_driver')}, ` +
        `${availableParallelism()} CPUs, halt polling on the kernel command line: ` +
        `${/haltpoll\.guest_halt_poll_ns=\S+/.exec(cmdline)?.[0] ?? 'not set'}`,
    )
    console.log(`\nthread wake-up round trips (2 wake-ups each), ${ROUNDS} rounds, us:`)
    console.log('| threads on | apart | median | p90 | min |')
    console.log('| --- | --- | --- | --- | --- |')
    const cpus = availableParallelism() > 1 ? [0, 1] : [0]
    for (const other of cpus) {
      for (const gapUs of [50_000, 1_000]) {
        const out = execFileSync(bin, [String(gapUs), String(ROUNDS), '0', String(other)]).toString()
        const r = JSON.parse(out) as { medianUs: number; p90Us: number; minUs: number }
        const where = other === 0 ? 'one vCPU' : 'two vCPUs'
        console.log(
          `| ${where} | ${gapUs / 1000} ms | ${r.medianUs.toFixed(1)} | ${r.p90Us.toFixed(1)} | ${r.minUs.toFixed(1)} |`,
        )
      }
    }
    const hooks = nativeTestHooks()
    console.log(`\none AES-256-GCM seal of 84 bytes (the engine's AeadContext), ${ROUNDS} rounds, us:`)
    console.log('| after the previous by | median | p90 |')
    console.log('| --- | --- | --- |')
    for (const gapUs of [50_000, 2_000, 0]) {
      const ns = hooks.idleSealBench('aes-256-gcm', 84, ROUNDS, gapUs)
      const at = (q: number): string =>
        ((ns[Math.min(ns.length - 1, Math.floor(q * ns.length))] ?? NaN) / 1000).toFixed(2)
      console.log(`| ${gapUs / 1000} ms | ${at(0.5)} | ${at(0.9)} |`)
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

main()
