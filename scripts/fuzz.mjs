#!/usr/bin/env node
// Builds the libFuzzer targets of the packet engine (libs/tun/native/fuzz/, one per pure
// function group: see docs/testing.md, Fuzzing) with clang into libs/tun/native/fuzz/build/fuzz_<target>,
// and runs each for a bounded time. The targets open no sockets and no TUN devices.
//
//   node scripts/fuzz.mjs [--seconds N] [--target NAME ...]   (FUZZ_SECONDS=N also works)
//
// Each run reads the seed corpus test/fuzz/corpus/<target>/ (never written) and keeps what
// it finds in libs/tun/native/fuzz/build/corpus/<target>/. A crash, leak, sanitizer report or
// failed invariant stops that target, leaves the input in test/fuzz/crashes/<target>-*, and
// makes the script exit 1. One result line per target: runs, coverage, features, seconds.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const native = join(root, 'libs', 'tun', 'native')
const fuzzDir = join(native, 'fuzz')
const buildDir = join(fuzzDir, 'build')
const crashDir = join(root, 'test', 'fuzz', 'crashes')
const corpusDir = join(root, 'test', 'fuzz', 'corpus')

// target -> engine sources it links, libraries, libFuzzer -max_len.
const TARGETS = {
  datagram: {
    sources: ['aead.cc', 'datagram_open.cc', 'replay_window.cc', 'session_table.cc'],
    libs: ['-lcrypto'],
    maxLen: 2048,
  },
  tun_packet: { sources: ['tcp_offload.cc'], libs: [], maxLen: 4096 },
  gro: { sources: ['tcp_offload.cc'], libs: [], maxLen: 8192 },
  tso: { sources: ['tcp_offload.cc'], libs: [], maxLen: 16384 },
  replay: { sources: ['replay_window.cc'], libs: [], maxLen: 4096 },
}
const FLAGS = ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=fuzzer,address,undefined']
const FLAGS_STRICT = ['-fno-sanitize-recover=all', '-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror']

function parseArgs(argv) {
  let seconds = Number(process.env.FUZZ_SECONDS ?? 30)
  const only = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') seconds = Number(argv[++i])
    else if (argv[i] === '--target') only.push(argv[++i])
    else fail(`unknown argument ${argv[i]}; usage: fuzz.mjs [--seconds N] [--target NAME ...]`, 2)
  }
  if (!Number.isInteger(seconds) || seconds < 1) fail('--seconds / FUZZ_SECONDS must be a positive integer', 2)
  for (const t of only) if (!(t in TARGETS)) fail(`unknown target ${t}; targets: ${Object.keys(TARGETS).join(', ')}`, 2)
  return { seconds, targets: only.length > 0 ? only : Object.keys(TARGETS) }
}

function fail(message, code = 1) {
  console.error(`fuzz: ${message}`)
  process.exit(code)
}

// Runs a command; resolves with its exit code and combined output.
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('error', (err) => resolve({ code: 127, out: String(err) }))
    child.on('close', (code, signal) =>
      resolve({ code: code ?? 128, out: signal ? `${out}\nkilled by ${signal}` : out }),
    )
  })
}

function newestInput(files) {
  return Math.max(...files.map((f) => statSync(f).mtimeMs))
}

// Builds one target unless its binary is newer than every source and header it may use.
async function build(name) {
  const t = TARGETS[name]
  const bin = join(buildDir, `fuzz_${name}`)
  const headers = readdirSync(native)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(native, f))
  const fuzzHeaders = readdirSync(fuzzDir)
    .filter((f) => f.endsWith('.h'))
    .map((f) => join(fuzzDir, f))
  const main = join(fuzzDir, `fuzz_${name}.cc`)
  const sources = [main, ...t.sources.map((s) => join(native, s))]
  const inputs = [...sources, ...headers, ...fuzzHeaders, fileURLToPath(import.meta.url)]
  if (existsSync(bin) && statSync(bin).mtimeMs > newestInput(inputs)) return
  const r = await run('clang++', [...FLAGS, ...FLAGS_STRICT, `-I${native}`, ...sources, ...t.libs, '-o', bin])
  if (r.code !== 0) fail(`building fuzz_${name} failed (is clang with libclang-rt-14-dev installed?):\n${r.out}`)
}

// The last status line libFuzzer printed: "#RUNS ... cov: N ft: N corp: N/..."
function summary(out) {
  const lines = out.split('\n').filter((l) => /^#\d+/.test(l))
  const last = lines.at(-1) ?? ''
  const field = (re) => last.match(re)?.[1] ?? '?'
  const done = out.match(/Done (\d+) runs in (\d+) second/)
  return {
    runs: done?.[1] ?? field(/^#(\d+)/),
    seconds: done?.[2] ?? '?',
    cov: field(/cov: (\d+)/),
    ft: field(/ft: (\d+)/),
    corp: field(/corp: (\d+)/),
  }
}

async function fuzz(name, seconds) {
  const work = join(buildDir, 'corpus', name)
  const seeds = join(corpusDir, name)
  mkdirSync(work, { recursive: true })
  const args = [
    work,
    seeds,
    `-max_total_time=${seconds}`,
    `-max_len=${TARGETS[name].maxLen}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${relative(root, crashDir)}/${name}-`,
  ]
  const r = await run(join(buildDir, `fuzz_${name}`), args)
  writeFileSync(join(buildDir, `${name}.log`), r.out)
  const s = summary(r.out)
  const verdict = r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`
  console.log(`fuzz ${name}: ${s.runs} runs, cov ${s.cov}, ft ${s.ft}, corpus ${s.corp}, ${s.seconds} s: ${verdict}`)
  if (r.code !== 0) {
    console.log(r.out.split('\n').slice(-40).join('\n'))
    console.log(`fuzz ${name}: full log libs/tun/native/fuzz/build/${name}.log; reproducer in test/fuzz/crashes/`)
  }
  return r.code === 0
}

const { seconds, targets } = parseArgs(process.argv.slice(2))
mkdirSync(buildDir, { recursive: true })
mkdirSync(crashDir, { recursive: true })
const started = Date.now()
await Promise.all(targets.map(build))
console.log(`fuzz: built ${targets.length} targets in ${Math.round((Date.now() - started) / 1000)} s`)
let ok = true
for (const name of targets) ok = (await fuzz(name, seconds)) && ok
process.exit(ok ? 0 : 1)
