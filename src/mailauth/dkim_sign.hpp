#pragma once
// DKIM signing (RFC 6376 §5; RFC 8463 for Ed25519). A dkim_signer holds parsed
// private keys of one or more selectors and signs messages with all of them
// (typically one RSA and one Ed25519 key of the From domain, RFC 8463 §6: receivers
// that do not know Ed25519 still find a valid RSA signature). relaxed/relaxed
// canonicalization; From is over-signed so no From can be added after signing
// (RFC 6376 §8.15); t= is set; each field is folded to fewer than 78 columns.
//
// Thread-safe: sign() is const and uses no shared mutable state.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/dkim_signature.hpp"

namespace letterhead::mailauth {

struct signing_key {
  std::string domain;           // d=
  std::string selector;         // s=
  std::string private_key_pem;  // PKCS#8 PEM, RSA or Ed25519
};

// Fields signed when present (lower-case): the ones that carry what a reader sees
// or that a replay would change (RFC 6376 §5.4.1), list fields (RFC 2369, 2919,
// 8058) so that unsubscribe links cannot be swapped.
[[nodiscard]] const std::vector<std::string>& default_signed_headers();

struct sign_options {
  std::vector<std::string> headers = default_signed_headers();
  std::int64_t expire_after = 0;  // seconds for x=; 0 = no x= tag
};

// One "tag=value;" piece of a signature field, folded onto the previous line's end
// unless it would pass 78 columns (a continuation of h= has no space before it).
struct field_piece {
  std::string text;
  bool space_before = true;
};

class dkim_signer {
 public:
  // errc::invalid if there are no keys, a key does not parse, or an RSA key is
  // shorter than 1024 bits (RFC 8301 §3.2).
  [[nodiscard]] static core::result<dkim_signer> create(const std::vector<signing_key>& keys,
                                                        sign_options options = {});

  // The DKIM-Signature fields for `message` (the whole message; bare LF line ends are
  // signed as CRLF), one per key, each ending in CRLF, to be prepended to it.
  [[nodiscard]] core::result<std::string> sign(std::string_view message, std::int64_t now) const;
  [[nodiscard]] core::result<std::string> sign(std::string_view message) const;

  [[nodiscard]] std::size_t key_count() const noexcept { return keys_.size(); }

  // The pieces ARC (arc_seal.hpp) shares with DKIM signing.
  // The key an ARC set is signed with (one signature per instance, RFC 8617 §4.1):
  // RSA when there is one, because receivers verify rsa-sha256 most widely.
  [[nodiscard]] std::size_t preferred_key() const noexcept;
  // h= for `parts`: each configured field as often as it occurs, From once more.
  [[nodiscard]] std::vector<std::string_view> names_to_sign(const message_parts& parts) const;
  // "bh=...;" of the relaxed body.
  [[nodiscard]] static field_piece body_hash_piece(std::string_view body);
  // "NAME: lead a= d= s= trail b=SIG\r\n" with key `key`: the signature covers the
  // relaxed header hash input of `selected` followed by the field itself with b=
  // empty (RFC 6376 §3.7; RFC 8617 §5.1.1 and §5.1.2 sign the same way).
  [[nodiscard]] core::result<std::string> sign_field(std::size_t key, std::string_view name,
                                                     const std::vector<field_piece>& lead,
                                                     const std::vector<field_piece>& trail,
                                                     std::span<const header_field* const> selected) const;

 private:
  struct key {
    std::string domain;
    std::string selector;
    dkim_algorithm algorithm;
    private_key pk;
  };
  std::vector<key> keys_;
  sign_options options_;
};

}  // namespace letterhead::mailauth
