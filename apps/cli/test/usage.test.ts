import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { assertFailure, run, TOKEN } from './harness.js'

const ADD = ['vpc', 'add', 'aws-prod', '--cidr', '10.0.0.0/16', '--endpoint', '203.0.113.10:51820']

/** argv → the stderr line expected (exit 2, one line, no request). */
const USAGE_ERRORS: Array<[string[], RegExp]> = [
  [[], /^vpcmesh: missing command \(see vpcmesh --help\)\n$/],
  [['bogus'], /^vpcmesh: unknown command 'bogus' \(see vpcmesh --help\)\n$/],
  [['agent', '--help'], /unknown command 'agent'/],
  [['vpc'], /^vpcmesh: missing subcommand for 'vpc' \(see vpcmesh vpc --help\)\n$/],
  [['route'], /missing subcommand for 'route'/],
  [['vpc', 'bogus'], /^vpcmesh: unknown command 'vpc bogus' \(see vpcmesh vpc --help\)\n$/],
  [
    ['vpc', 'add', 'x', '--cdir', '10.0.0.0/8'],
    /^vpcmesh: unknown flag --cdir for 'vpc add' \(see vpcmesh vpc add --help\)\n$/,
  ],
  [['-x', 'status'], /unknown flag -x for 'status'/],
  [['status', '--endpoint', '1.2.3.4:5'], /unknown flag --endpoint for 'status'/],
  [['vpc', 'list', '--name', 'x'], /unknown flag --name for 'vpc list'/],
  [['vpc', 'add'], /^vpcmesh: missing argument NAME for 'vpc add' \(see vpcmesh vpc add --help\)\n$/],
  [['vpc', 'add', 'x'], /missing flag --cidr for 'vpc add'/],
  [['vpc', 'add', 'x', '--cidr', '10.0.0.0/8'], /missing flag --endpoint for 'vpc add'/],
  [['vpc', 'add', 'x', '--endpoint', '1.2.3.4:5', '--cidr'], /missing value for --cidr \(see vpcmesh vpc add --help\)/],
  [['vpc', 'add', 'x', '--cidr', '--endpoint', '1.2.3.4:5'], /missing value for --cidr/],
  [[...ADD, '--endpoint', '203.0.113.11:51820'], /flag --endpoint given more than once/],
  [
    ['vpc', 'add', 'x', '--cidr', '10.0.0.0/8', '--endpoint', 'nope'],
    /bad value for --endpoint: endpoint "nope" must be host:port/,
  ],
  [
    ['vpc', 'add', 'Bad_Name', '--cidr', '10.0.0.0/8', '--endpoint', '1.2.3.4:5'],
    /bad value for NAME: must be 1-32 characters/,
  ],
  [[...ADD, '--masquerade', '--no-masquerade'], /give --masquerade or --no-masquerade, not both/],
  [['vpc', 'list', 'extra'], /unexpected argument 'extra' for 'vpc list'/],
  [['vpc', 'show'], /missing argument ID\|NAME for 'vpc show'/],
  [['vpc', 'rm'], /missing argument ID\|NAME for 'vpc rm'/],
  [['vpc', 'join-token'], /missing argument ID\|NAME for 'vpc join-token'/],
  [['vpc', 'set', 'aws-prod'], /nothing to change: give .*--name, --global, --local or --route-table/],
  [['vpc', 'set', 'aws-prod', '--name', 'Not Valid'], /bad value for --name/],
  [['vpc', 'set', 'aws-prod', '--endpoint', 'x:0'], /bad value for --endpoint/],
  [[...ADD, '--vip', '10.0.0.254/16'], /^vpcmesh: --vip needs --route-table vip \(see vpcmesh vpc add --help\)\n$/],
  [[...ADD, '--route-table', 'vip'], /--route-table vip needs --vip ADDRESS\/LEN, e\.g\. --vip 10\.1\.0\.254\/24/],
  [[...ADD, '--route-table', 'aws', '--vip', '10.0.0.254/16'], /--vip is only for --route-table vip, not aws/],
  [
    [...ADD, '--route-table', 'gcp'],
    /bad value for --route-table: "gcp" is not one of none, vip, aws, aliyun, tencent/,
  ],
  [[...ADD, '--route-table=', '--vip', '10.0.0.254/16'], /bad value for --route-table: "" is not one of/],
  [[...ADD, '--route-table'], /missing value for --route-table/],
  [
    [...ADD, '--route-table', 'vip', '--vip', '10.0.0.254'],
    /bad value for --vip: "10\.0\.0\.254" must be an IP address/,
  ],
  [[...ADD, '--route-table', 'vip', '--vip', '10.0.0.300/24'], /bad value for --vip/],
  [[...ADD, '--route-table', 'vip', '--vip', '10.0.0.254/33'], /bad value for --vip/],
  [[...ADD, '--route-table', 'vip', '--vip', '10.0.0.254/0'], /bad value for --vip/],
  [[...ADD, '--route-table', 'vip', '--vip', 'gw.example/24'], /bad value for --vip/],
  [[...ADD, '--route-table', 'vip', '--vip', 'fe80::1%eth0/64'], /bad value for --vip/],
  [[...ADD, '--route-table', 'vip', '--route-table', 'aws'], /flag --route-table given more than once/],
  [
    ['vpc', 'set', 'aws-prod', '--vip', '10.0.0.254/16'],
    /^vpcmesh: --vip needs --route-table vip \(see vpcmesh vpc set --help\)\n$/,
  ],
  [['vpc', 'set', 'aws-prod', '--route-table', 'vip'], /--route-table vip needs --vip/],
  [
    ['vpc', 'set', 'aws-prod', '--route-table', 'none', '--vip', '10.0.0.254/16'],
    /--vip is only for --route-table vip, not none/,
  ],
  [['vpc', 'set', 'aws-prod', '--route-table', 'VIP'], /bad value for --route-table: "VIP"/],
  [['vpc', 'list', '--route-table', 'aws'], /unknown flag --route-table for 'vpc list'/],
  [['route', 'add', 'aws-prod'], /missing argument CIDR for 'route add'/],
  [['route', 'rm'], /missing argument ID\|NAME for 'route rm'/],
  [['route', 'list', 'a', 'b'], /unexpected argument 'b' for 'route list'/],
  [['gateway'], /^vpcmesh: missing subcommand for 'gateway' \(see vpcmesh gateway --help\)\n$/],
  [['gateway', 'promote', 'office', 'gw-b'], /unknown command 'gateway promote'/],
  [['gateway', 'drain'], /^vpcmesh: missing argument VPC for 'gateway drain' \(see vpcmesh gateway drain --help\)\n$/],
  [['gateway', 'drain', 'office'], /missing argument GW for 'gateway drain'/],
  [['gateway', 'drain', 'office', 'gw-a', 'gw-b'], /unexpected argument 'gw-b' for 'gateway drain'/],
  [['gateway', 'drain', 'office', 'gw-a', '--to'], /missing value for --to/],
  [['gateway', 'drain', 'office', 'gw-a', '--to', 'gw-b', '--to', 'gw-c'], /flag --to given more than once/],
  [
    ['gateway', 'drain', 'office', 'Gw_A'],
    /bad value for GW: "Gw_A" is neither a gateway id like gw_0123456789ab nor a gateway name/,
  ],
  [['gateway', 'drain', 'office', 'gw_0A1B2C3D4E5F'], /bad value for GW/],
  [['gateway', 'drain', 'office', 'gw-a', '--to', 'gw b'], /bad value for --to: "gw b" is neither/],
  [
    ['gateway', 'drain', 'office', 'gw-a', '--to', 'gw-a'],
    /--to gw-a is the gateway being drained; name another one or leave --to out/,
  ],
  [['gateway', 'drain', 'office', 'gw-a', '--cidr', '10.0.0.0/8'], /unknown flag --cidr for 'gateway drain'/],
  [['vpc', 'show', 'office', '--to', 'gw-b'], /unknown flag --to for 'vpc show'/],
  [['--json=yes', 'status'], /flag --json takes no value/],
  [['status', '--controller', 'ftp://10.0.0.1'], /bad value for --controller: .* must be an http/],
  [['status', '--controller', 'not a url'], /bad value for --controller: .* is not a URL/],
  [['explain', '10.1.0.5'], /^vpcmesh: missing argument DST for 'explain' \(see vpcmesh explain --help\)\n$/],
  [['explain', 'host-a', '10.2.0.7'], /^vpcmesh: SRC "host-a" is not an IP address \(see vpcmesh explain --help\)\n$/],
  [['explain', '10.1.0.5', 'no such name!'], /DST "no such name!" is neither an IP address nor a DNS name/],
  [['explain', '10.1.0.5', '10.2.0.7', '--proto', 'sctp'], /bad value for --proto/],
  [['explain', '10.1.0.5', '10.2.0.7', '--port', '80a'], /bad value for --port: "80a" is not a port number/],
  [['explain', '10.1.0.5', '10.2.0.7', '--port', '70000'], /bad value for --port/],
  [['explain', '10.1.0.5', '10.2.0.7', '--cidr', '10.0.0.0/8'], /unknown flag --cidr for 'explain'/],
]

test('every usage error exits 2 with one stderr line and sends nothing', async () => {
  for (const [argv, line] of USAGE_ERRORS) {
    const r = await run(argv)
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
    assert.equal(r.stdout, '', argv.join(' '))
    assert.match(r.stderr, line, argv.join(' '))
    assert.match(r.stderr, /^vpcmesh: [^\n]+\n$/, argv.join(' '))
  }
})

test('flags may come before the command', async () => {
  const r = await run(['--cdir', 'vpc', 'list'])
  assertFailure(r, 2, /unknown flag --cdir for 'vpc list'/)
})

test('a missing token is a usage error that names --token and VPCMESH_TOKEN', async () => {
  const r = await run(['vpc', 'list'], { env: {} })
  assertFailure(r, 2, /--token.*VPCMESH_TOKEN/)
  assertFailure(await run(['status'], { env: { VPCMESH_TOKEN: '' } }), 2, /--token or VPCMESH_TOKEN/)
})

test('token sources: conflicts, unreadable and empty files are usage errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vpcmesh-cli-'))
  const empty = join(dir, 'empty')
  await writeFile(empty, ' \n')
  assertFailure(await run(['status', '--token', TOKEN, '--token-file', empty]), 2, /--token or --token-file, not both/)
  assertFailure(
    await run(['status', '--token-file', join(dir, 'missing')], { env: {} }),
    2,
    /cannot read token file .*missing/,
  )
  assertFailure(await run(['status'], { env: { VPCMESH_TOKEN_FILE: empty } }), 2, /token file .* is empty/)
  assertFailure(await run(['status', '--token', 'has space inside']), 2, /admin token holds spaces/)
})

test('a token typed where an argument belongs is redacted from the error', async () => {
  const r = await run(['status', TOKEN])
  assertFailure(r, 2, /unexpected argument '\[redacted\]'/)
})
