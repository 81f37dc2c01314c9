// Runs the Router compliance suite against FakeRunner and against a real network namespace
// (root; CI runs it, it never skips).
import { createLinuxRouter } from '../src/index.js'
import { FakeRunner } from '../src/testing/index.js'
import { mustCreateNetns } from './netns.js'
import { routerCompliance } from './router-compliance.js'

routerCompliance('LinuxRouter + FakeRunner', async () => {
  const runner = new FakeRunner()
  runner.addLink('vmt0')
  return {
    router: createLinuxRouter({ runner }),
    runner,
    tun: 'vmt0',
    addTun: async (name) => {
      runner.addLink(name)
    },
    teardown: async () => {},
  }
})

routerCompliance('LinuxRouter + ExecRunner in a network namespace', async () => {
  const ns = mustCreateNetns('c')
  try {
    ns.addTun('vmt0')
  } catch (e) {
    ns.destroy()
    throw e
  }
  return {
    router: createLinuxRouter({ runner: ns.runner }),
    runner: ns.runner,
    tun: 'vmt0',
    addTun: async (name) => {
      ns.addTun(name)
    },
    teardown: async () => {
      ns.destroy()
    },
  }
})
