// End-to-end test of the native engine between two network namespaces, offload off
// (the suite is in engine-suite.ts; netns-offload.test.ts runs it with offload on).
import { engineSuite } from './engine-suite.js'

engineSuite({ offload: false, tag: 'e2e' })
