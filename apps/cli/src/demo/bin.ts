import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { errorMessage } from '@vpcmesh/common'
import { runDemo } from './demo.js'

const USAGE = `usage: vpcmesh demo [--once]

Runs a local mesh as root: a private controller (with its own redis-server) and three VPCs
(10.1.0.0/24 + fd00:1::/64, 10.2.0.0/24 + fd00:2::/64, 10.3.0.0/24 + fd00:3::/64) in network
namespaces vmdemo-*, each with an agent and a host, registered through the CLI. Shows a live table of tunnels until Ctrl-C, then removes
everything it created.

  --once      check ping between every pair and an HTTP request, clean up, exit 0 (ok) or 1
  -h, --help  this text`

async function main(): Promise<number> {
  let once = false
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      options: { once: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
    if (values.help === true) {
      process.stdout.write(`${USAGE}\n`)
      return 0
    }
    once = values.once === true
  } catch (e) {
    process.stderr.write(`vpcmesh: ${(e as Error).message} for 'demo' (see vpcmesh demo --help)\n`)
    return 2
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('vpcmesh: demo needs root (it creates network namespaces, TUN devices and nftables tables)\n')
    return 2
  }
  let stop: () => void = () => {}
  const stopped = new Promise<void>((resolve) => {
    stop = resolve
  })
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const launcher = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..', 'bin', 'vpcmesh')
  const ok = await runDemo({
    launcher,
    once,
    print: (s) => {
      process.stdout.write(`${s}\n`)
    },
    stopped,
  })
  return ok ? 0 : 1
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (e: unknown) => {
    process.stderr.write(`vpcmesh demo: ${errorMessage(e)}\n`)
    process.exitCode = 1
  },
)
