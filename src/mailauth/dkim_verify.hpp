#pragma once
// DKIM verification (RFC 6376 §6; RFC 8463; RFC 8301), one result per signature in
// the terms of RFC 8601 §2.7.1 (pass, fail, policy, neutral, temperror, permerror)
// with a reason, for the first `max_signatures` DKIM-Signature fields.
//
// Untrusted input: the message (before any authentication of the sender) and the
// DNS answers. Bounded work: at most max_signatures key lookups and body hashes,
// tag lists and h= lists limited (tag_list.hpp, dkim_signature.hpp), RSA keys of
// 1024 to 8192 bits only (RFC 8301 §3.2 for the floor; the ceiling bounds the cost
// of a hostile key).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailauth/txt_lookup.hpp"

namespace letterhead::mailauth {

enum class dkim_result { none, pass, fail, policy, neutral, temperror, permerror };

[[nodiscard]] const char* to_string(dkim_result r) noexcept;

struct verify_options {
  std::size_t max_signatures = 5;
  std::int64_t now = 0;              // Unix time; 0 = the current time
  unsigned min_rsa_bits = 1024;      // RFC 8301 §3.2
  unsigned max_rsa_bits = 8192;
  // RFC 6376 §8.2: with l= shorter than the body, content after the signed part is
  // unsigned and could be anything. Such signatures get `policy` unless this is set.
  bool accept_partial_body = false;
  std::int64_t max_clock_skew = 3600;  // t= further in the future than this: permerror
};

struct signature_result {
  dkim_result result = dkim_result::none;
  std::string reason;      // why, for logs and Authentication-Results comments
  std::string domain;      // d=
  std::string selector;    // s=
  std::string identity;    // i= (or "@" d=)
  std::string algorithm;   // a=
  std::string b_prefix;    // first 8 characters of b= (RFC 6008 header.b)
  unsigned key_bits = 0;
  bool testing = false;    // the key record has t=y (RFC 6376 §3.6.1)
  std::optional<std::uint64_t> body_length;  // l=, when present
  std::uint64_t body_size = 0;                 // canonical body length seen
};

struct dkim_verification {
  std::vector<signature_result> signatures;  // in message order, at most max_signatures
  std::size_t skipped = 0;                   // DKIM-Signature fields beyond the limit
  [[nodiscard]] bool any_pass() const noexcept;
};

// Verifies every DKIM-Signature field of `message` (bare LF line ends are treated
// as CRLF). Never throws on hostile input; lookups go through `lookup`.
[[nodiscard]] dkim_verification verify_dkim(std::string_view message, const txt_lookup& lookup,
                                            const verify_options& options = {});

// "dkim=pass (2048-bit key) header.d=example.com header.i=@example.com
// header.s=sel header.a=rsa-sha256 header.b=abcdefgh" (RFC 8601 §2.7.1, RFC 6008).
[[nodiscard]] std::string format_result(const signature_result& r);

}  // namespace letterhead::mailauth
