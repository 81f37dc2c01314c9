// The agent's status server and `vpcmesh agent-status` agree on the /status contract
// (libs/protocol/src/agent-status.ts): the CLI reads what the server serves, and a document
// the schema refuses never reaches the wire.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startStatusServer, type StatusSource } from '@vpcmesh/agent'
import { runCli } from '@vpcmesh/cli'
import { freePort } from '@vpcmesh/controller/testing'
import { noopMetrics } from '@vpcmesh/metrics'
import type { AgentStatusDocument } from '@vpcmesh/protocol'

const DOC: AgentStatusDocument = {
  vpc: 'aws-prod',
  vpcId: 'vpc_0123456789ab',
  appliedVersion: 4,
  controller: { state: 'backoff', url: null, lastError: 'closed 1006' },
  tun: { name: 'vpcmesh0', mtu: 1420 },
  lastReconcileError: null,
  host: {
    table: 51820,
    routes: [{ prefix: '10.2.0.0/24', dev: 'vpcmesh0' }],
    throws: [],
    skippedRoutes: [],
    nftables: true,
    warnings: [],
    forwardDenied: { packets: 0, bytes: 0 },
    inputDenied: { packets: 0, bytes: 0 },
  },
  peers: [
    {
      id: 'vpc_abcdefabcdef',
      name: 'gcp-dev',
      up: true,
      rttMs: 14.6,
      txBytes: 96,
      rxBytes: 96,
      txPackets: 1,
      rxPackets: 1,
      lastHandshakeAgeS: 3,
      endpoint: { address: '198.51.100.7', port: 51820 },
    },
  ],
  skippedPeers: [],
  drops: { no_route: 0 },
}

/** Starts the agent's status server on a free loopback port with `status` as its document. */
async function withServer(status: () => unknown, fn: (url: string) => Promise<void>): Promise<void> {
  // Bad shapes on purpose in some tests: the server must refuse them (500), so no type check here.
  const source: StatusSource = { status: status as () => AgentStatusDocument, health: () => ({ ok: true }) }
  const port = await freePort()
  const server = await startStatusServer({ metrics: noopMetrics, source }, { host: '127.0.0.1', port })
  try {
    await fn(`http://127.0.0.1:${port}`)
  } finally {
    await server.close()
  }
}

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    env: {},
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
    fetch: globalThis.fetch,
  })
  return { code, stdout, stderr }
}

test("vpcmesh agent-status reads the agent status server's document, as JSON and as a table", async () => {
  await withServer(
    () => DOC,
    async (url) => {
      const json = await cli(['agent-status', url, '--json'])
      assert.equal(json.code, 0, json.stderr)
      assert.deepEqual(JSON.parse(json.stdout), DOC)
      const table = await cli(['agent-status', url])
      assert.equal(table.code, 0, table.stderr)
      assert.match(table.stdout, /^controller +backoff, last error: closed 1006$/m)
      assert.match(table.stdout, /^gcp-dev +vpc_abcdefabcdef +up +15ms +198\.51\.100\.7:51820 +3s ago +96 +96$/m)
      assert.match(table.stdout, /\n\nskipped routes: none\n\nskipped peers: none\n\ndrops: none\n$/)
    },
  )
})

test('a document the schema refuses is answered 500 by the server, and agent-status exits 2', async () => {
  await withServer(
    () => ({ ...DOC, peers: [{ ...DOC.peers[0], up: 'yes' }] }),
    async (url) => {
      const r = await cli(['agent-status', url])
      assert.equal(r.code, 2)
      assert.equal(r.stdout, '')
      assert.match(
        r.stderr,
        /^vpcmesh: VPCMESH_ERR_CLI_BAD_AGENT_STATUS: .*\/status answered 500 Internal Server Error;[^\n]*\n$/,
      )
    },
  )
})
