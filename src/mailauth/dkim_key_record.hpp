#pragma once
// DKIM key records (RFC 6376 §3.6.1; RFC 8463 §4 for k=ed25519), as published in
// DNS TXT at SELECTOR._domainkey.DOMAIN. Input comes from DNS.

#include <string>
#include <string_view>

#include "core/error.hpp"
#include "mailauth/crypto.hpp"

namespace letterhead::mailauth {

struct dkim_key_record {
  key_type type = key_type::rsa;   // k=, default rsa
  std::string public_key;          // p=, decoded; empty = revoked (§3.6.1)
  bool testing = false;            // t=y
  bool strict_identity = false;    // t=s: i= must be exactly d= (no subdomain)
};

// Parses a record: v= if present must come first and be "DKIM1"; h= if present must
// list sha256; k= must be rsa or ed25519; s= must include "*" or "email"; p= is
// required. errc::invalid with the reason otherwise.
[[nodiscard]] core::result<dkim_key_record> parse_dkim_key_record(std::string_view txt);

// The record to publish for a key: "v=DKIM1; k=rsa; p=...".
[[nodiscard]] std::string format_dkim_key_record(key_type type, std::string_view public_key_base64);

}  // namespace letterhead::mailauth
