#!/usr/bin/env node
// The `vpcmesh` executable: hands process values to runCli and sets the exit status.
import { runCli } from './main.js'

// A closed pipe (e.g. `vpcmesh vpc list | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e
})

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (s) => {
    process.stdout.write(s)
  },
  stderr: (s) => {
    process.stderr.write(s)
  },
  fetch: globalThis.fetch,
})
