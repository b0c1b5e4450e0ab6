#pragma once
// The cryptography DKIM needs, on OpenSSL 3: SHA-256, base64, RSA (RSASSA-PKCS1-v1_5
// with SHA-256, RFC 6376 §3.3.1) and Ed25519 (RFC 8463 §3: PureEdDSA over the SHA-256
// of the data), key generation and the key encodings of DKIM (PKCS#8 PEM for private
// keys; for p=, DER SubjectPublicKeyInfo for RSA, the raw 32 bytes for Ed25519).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include "core/error.hpp"

namespace letterhead::mailauth {

enum class key_type { rsa, ed25519 };

[[nodiscard]] constexpr const char* to_string(key_type k) noexcept {
  return k == key_type::rsa ? "rsa" : "ed25519";
}

// Standard base64 with padding (RFC 4648 §4).
[[nodiscard]] std::string base64_encode(std::string_view bytes);
// Strict: only the base64 alphabet and correct padding (no whitespace: strip FWS
// first); nullopt otherwise.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

struct evp_md_ctx_free {
  void operator()(EVP_MD_CTX* c) const noexcept;
};
struct evp_pkey_free {
  void operator()(EVP_PKEY* k) const noexcept;
};

class sha256_hasher {
 public:
  sha256_hasher();
  void update(std::string_view bytes);
  [[nodiscard]] std::array<unsigned char, 32> finish();

 private:
  std::unique_ptr<EVP_MD_CTX, evp_md_ctx_free> ctx_;
};

[[nodiscard]] std::array<unsigned char, 32> sha256(std::string_view bytes);

class private_key {
 public:
  // A PKCS#8 (or traditional) PEM private key of type RSA or Ed25519.
  [[nodiscard]] static core::result<private_key> from_pem(std::string_view pem);

  [[nodiscard]] key_type type() const noexcept { return type_; }
  [[nodiscard]] unsigned bits() const noexcept;
  // The DKIM signature of `data` (the header hash input of RFC 6376 §3.7).
  [[nodiscard]] core::result<std::string> sign(std::string_view data) const;
  // base64 of the public key as published in p=.
  [[nodiscard]] std::string public_key_base64() const;

 private:
  std::unique_ptr<EVP_PKEY, evp_pkey_free> key_;
  key_type type_ = key_type::rsa;
};

class public_key {
 public:
  // From the decoded p= value (RFC 6376 §3.6.1, RFC 8463 §4). RSA accepts a
  // SubjectPublicKeyInfo and, as deployed records use it too, a bare RSAPublicKey.
  [[nodiscard]] static core::result<public_key> from_dns(key_type type, std::string_view der);

  [[nodiscard]] key_type type() const noexcept { return type_; }
  [[nodiscard]] unsigned bits() const noexcept;
  [[nodiscard]] bool verify(std::string_view data, std::string_view signature) const;

 private:
  std::unique_ptr<EVP_PKEY, evp_pkey_free> key_;
  key_type type_ = key_type::rsa;
};

struct generated_key {
  std::string private_key_pem;  // PKCS#8
  std::string public_key;       // base64 p= value
};

// RSA keys are 2048 bits (RFC 8301 §3.2 asks signers for at least 1024, 2048 is the
// common floor of receivers today); Ed25519 keys are always 256 bits.
[[nodiscard]] core::result<generated_key> generate_key(key_type type, unsigned rsa_bits = 2048);

}  // namespace letterhead::mailauth
