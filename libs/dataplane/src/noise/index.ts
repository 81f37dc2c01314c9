/** The Noise IK handshake of vpcmesh tunnels: primitives, message layouts and pure handshake steps. */
export { KEY_BYTES, type X25519KeyPair, generateX25519, keyPairFromRaw, privateKeyFromRaw, publicKeyFromRaw, rawPrivateKey, rawPublicKey, dh } from './x25519.js'
export { HASH_BYTES, TAG_BYTES, hash, hmac, hkdf2, aeadSeal, aeadOpen, sealWithNonce, openWithNonce, bytesEqual } from './primitives.js'
export { PROTOCOL_NAME, SymmetricState, type SplitKeys } from './symmetric-state.js'
export { TIMESTAMP_BYTES, tai64n, compareTimestamps, nextTimestamp, TimestampSource } from './timestamp.js'
export {
  MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_COOKIE_REPLY, MAC_BYTES, INITIATION, RESPONSE, mac1Key, writeMac, writeMac1, checkMac, checkMac1,
  messageType, readU32, writeU32, isInitiationLength, withMac2
} from './messages.js'
export {
  COOKIE_BYTES, COOKIE_NONCE_BYTES, COOKIE_REPLY, cookieKey, makeCookie, sourceBytes, createCookieReply, cookieReplyReceiver, consumeCookieReply
} from './cookie.js'
export {
  PROLOGUE, type HandshakeFailure, type HandshakeResult, type LocalStatic, type TransportKeys, type InitiatorHandshake,
  type ReceivedInitiation, localStatic, createInitiation, consumeInitiation, createResponse, responseReceiver, consumeResponse
} from './handshake.js'
