import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from '@vpcmesh/common'
import { LocalMesh, Testbed, teardownMesh } from '@vpcmesh/testbed'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
let tb: Testbed
let mesh: LocalMesh
let work: string

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vpcmesh-u6-'))
  tb = await Testbed.create({
    prefix: `vm6u${process.pid}`,
    vpcs: [
      { name: 'a', cidr: '10.1.0.0/24' },
      { name: 'b', cidr: '10.2.0.0/24' },
    ],
  })
  mesh = new LocalMesh(tb, {
    launcher: join(root, 'bin', 'vpcmesh'),
    workDir: work,
    adminToken: 'u6-admin-token-0123456789abcdef',
    ipv6Underlay: true,
  })
  await mesh.startController()
  for (const n of tb.nodes) mesh.startAgent(n, (await mesh.addVpc(n)).joinToken)
  await mesh.awaitConverged(45_000)
})

after(async () => {
  await teardownMesh({ mesh, testbed: tb, workDir: work })
})

test('tunnels over an IPv6 underlay carry IPv4 and IPv6 both ways, as UDP over IPv6', async () => {
  const [a, b] = [tb.node('a'), tb.node('b')]
  const cap = tb.spawn(tb.wanNs, ['tcpdump', '-ni', 'br0', '-c', '4', '-l', 'ip6 and udp port 51820'])
  let seen = ''
  cap.stdout?.on('data', (d: Buffer) => {
    seen += d.toString()
  })
  for (const [from, to] of [
    [a, b.hostIp],
    [b, a.hostIp],
    [a, b.hostIp6],
    [b, a.hostIp6],
  ] as const) {
    const r = await tb.exec(from.hostNs, ['ping', '-c', '3', '-i', '0.2', '-W', '1', to], { allowFail: true })
    assert.match(r.stdout, / 0% packet loss/, `${from.name} → ${to}: ${r.stdout}`)
  }
  await pollUntil(
    'tunnel datagrams seen on the IPv6 underlay',
    () => seen.split('\n').filter((l) => l.includes('fd64::')).length >= 4,
    { timeoutMs: 10_000 },
  )
  await tb.kill(cap)
})
