import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CLI_COMMANDS } from '../src/main.js'
import { ROUTE_TABLE_PROVIDERS } from '../src/route-table-flag.js'
import { run } from './harness.js'

/** Each command path and the start of its usage line. */
const COMMANDS: Array<[string[], string]> = [
  [[], 'Usage: vpcmesh COMMAND'],
  [['vpc'], 'Usage: vpcmesh vpc SUBCOMMAND'],
  [['route'], 'Usage: vpcmesh route SUBCOMMAND'],
  [['gateway'], 'Usage: vpcmesh gateway SUBCOMMAND'],
  [['vpc', 'add'], 'Usage: vpcmesh vpc add NAME --cidr CIDR'],
  [['vpc', 'list'], 'Usage: vpcmesh vpc list'],
  [['vpc', 'show'], 'Usage: vpcmesh vpc show ID|NAME'],
  [['vpc', 'rm'], 'Usage: vpcmesh vpc rm ID|NAME'],
  [['vpc', 'set'], 'Usage: vpcmesh vpc set ID|NAME'],
  [['vpc', 'join-token'], 'Usage: vpcmesh vpc join-token ID|NAME'],
  [['route', 'add'], 'Usage: vpcmesh route add ID|NAME CIDR'],
  [['route', 'rm'], 'Usage: vpcmesh route rm ID|NAME CIDR'],
  [['route', 'list'], 'Usage: vpcmesh route list [ID|NAME|ADDRESS]'],
  [['gateway', 'drain'], 'Usage: vpcmesh gateway drain VPC GW [--to GW]'],
  [['status'], 'Usage: vpcmesh status'],
  [['agent-status'], 'Usage: vpcmesh agent-status URL'],
  [['explain'], 'Usage: vpcmesh explain SRC DST [--proto tcp|udp|icmp] [--port N] [--src-vpc VPC]'],
]

test('--help and -h print usage and exit 0 for every command and group, without a token', async () => {
  for (const [path, usage] of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await run([...path, flag], { env: {} })
      assert.equal(r.code, 0, `${path.join(' ')} ${flag}`)
      assert.equal(r.stderr, '')
      assert.ok(r.stdout.startsWith(usage), `${path.join(' ')} ${flag}: ${r.stdout.slice(0, 80)}`)
      // agent-status reads an agent, not the controller: it shows only its own flags.
      if (path[0] === 'agent-status') assert.doesNotMatch(r.stdout, /--controller|--token/)
      else assert.match(r.stdout, /--controller URL/)
    }
  }
})

test('the root help lists every command', async () => {
  const r = await run(['--help'])
  for (const [path] of COMMANDS.slice(4)) assert.ok(r.stdout.includes(`  ${path.join(' ')}`), path.join(' '))
})

test('help wins over other flag problems', async () => {
  const r = await run(['vpc', 'add', '--cdir', 'x', '--help'])
  assert.equal(r.code, 0)
  assert.ok(r.stdout.startsWith('Usage: vpcmesh vpc add'))
})

test('the dispatcher claims vpc, route, gateway, status, agent-status and explain, not controller, agent or demo', () => {
  assert.deepEqual([...CLI_COMMANDS], ['vpc', 'route', 'gateway', 'status', 'agent-status', 'explain'])
})

test('the route-table flags are documented with every provider in vpc add and vpc set', async () => {
  for (const command of ['add', 'set']) {
    const r = await run(['vpc', command, '--help'])
    assert.match(r.stdout, /^ {2}--route-table PROVIDER {2}.*: none .*\n {26}.*vip, aws, aliyun or tencent/m)
    for (const p of ROUTE_TABLE_PROVIDERS) assert.ok(r.stdout.includes(p), `${command}: ${p}`)
    assert.match(r.stdout, /^ {2}--vip ADDRESS {11}with --route-table vip/m)
    assert.match(r.stdout, /\[--route-table PROVIDER \[--vip ADDRESS\/LEN\]\]/)
  }
})
