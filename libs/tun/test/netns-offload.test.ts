// End-to-end test of the native engine between two network namespaces with kernel
// offloads on (virtio header + TSO on the TUN, UDP GSO/GRO): the same suite as
// netns.test.ts (replay, authentication, tampering, anti-spoofing, ...) plus checks that
// TCP super-packets were segmented and received segments coalesced.
import { engineSuite } from './engine-suite.js'

engineSuite({ offload: true, tag: 'off' })
