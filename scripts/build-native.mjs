#!/usr/bin/env node
// Builds the packet engine addons (libs/tun/native/binding.gyp: vpcmesh_tun.node for
// production, vpcmesh_tun_test.node with the test hooks) with node-gyp against the headers
// of the Node that runs this script: <prefix>/include/node next to <prefix>/bin/node (Debian
// /usr, nvm, the official images' /usr/local). Nothing is downloaded.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = dirname(dirname(process.execPath))
if (!existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
  console.error(
    `build-native: no Node headers in ${join(prefix, 'include', 'node')}; install Node with its headers (Debian: nodejs, or libnode-dev)`,
  )
  process.exit(2)
}
const gyp = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
const r = spawnSync(
  process.execPath,
  [gyp, 'rebuild', '--directory', join(root, 'libs', 'tun', 'native'), `--nodedir=${prefix}`],
  { stdio: 'inherit' },
)
process.exit(r.status ?? 1)
