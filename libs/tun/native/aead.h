// One direction of an AEAD session over OpenSSL EVP (the OpenSSL inside Node).
// The EVP context is created and keyed once; each message only sets the nonce, so the
// per-packet path allocates nothing.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

#include "wire_format.h"

namespace vpcmesh {

enum class CipherKind { kAes256Gcm = 0, kChaCha20Poly1305 = 1 };

// Parses "aes-256-gcm" / "chacha20-poly1305". Returns false for anything else.
bool ParseCipherKind(const char* name, CipherKind* out);

class AeadContext {
 public:
  AeadContext() = default;
  ~AeadContext();
  AeadContext(const AeadContext&) = delete;
  AeadContext& operator=(const AeadContext&) = delete;

  // Keys the context for sealing (encrypt=true) or opening. False on OpenSSL failure.
  bool Init(CipherKind kind, const uint8_t key[kKeySize], bool encrypt);
  // Frees the OpenSSL context (and with it the key schedule).
  void Reset();
  bool ready() const { return ctx_ != nullptr; }

  // Encrypts `len` bytes at `data` in place, writes the tag to `tag`. `aad` is the
  // 16-byte header. False on OpenSSL failure (should not happen with a keyed context).
  bool Seal(uint64_t counter, const uint8_t* aad, uint8_t* data, size_t len, uint8_t* tag);
  // Seal of `len` bytes at `in`, encrypted into `out` (the same or a disjoint buffer).
  bool SealTo(uint64_t counter, const uint8_t* aad, const uint8_t* in, uint8_t* out, size_t len,
              uint8_t* tag);
  // Decrypts in place and verifies `tag`. False if authentication fails.
  bool Open(uint64_t counter, const uint8_t* aad, uint8_t* data, size_t len, const uint8_t* tag);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

}  // namespace vpcmesh
