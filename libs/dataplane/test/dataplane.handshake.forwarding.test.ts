// dataplane.handshake.test.ts again, on forwarding engines (MemoryPacketEngine with workers: 1).
import { useForwardingEngines } from './mesh-helpers.js'

useForwardingEngines()
await import('./dataplane.handshake.test.js')
