// End-to-end test of the native engine between two network namespaces, offload off, with
// ChaCha20-Poly1305 (the suite is in engine-suite.ts; netns-offload.test.ts runs it with
// offload on and the default cipher, AES-256-GCM).
import { engineSuite } from './engine-suite.js'

engineSuite({ offload: false, tag: 'e2e', cipher: 'chacha20-poly1305' })
