#pragma once
// The EHLO reply read by a client: which service extensions the server offers
// (RFC 5321 §4.1.1.1 ehlo-ok-rsp, one ehlo-line per extension after the first line).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smtp/proto/reply.hpp"

namespace letterhead::smtp::proto {

struct extensions {
  bool pipelining = false;           // RFC 2920
  bool eightbitmime = false;         // RFC 6152
  bool smtputf8 = false;             // RFC 6531
  bool chunking = false;             // RFC 3030
  bool binarymime = false;           // RFC 3030
  bool dsn = false;                  // RFC 3461
  bool starttls = false;             // RFC 3207
  bool enhanced_status_codes = false;  // RFC 2034
  bool requiretls = false;           // RFC 8689
  // RFC 1870 §4: SIZE with its limit; 0 when the server announces no fixed limit;
  // absent when SIZE is not offered.
  std::optional<std::uint64_t> size;
  std::vector<std::string> auth;     // RFC 4954 §3: mechanisms, upper-cased
};

// Reads the keywords of a 250 EHLO reply (its first line is the server's name).
// Keywords are case-insensitive (RFC 5321 §2.4); unknown ones are ignored; a SIZE
// value that is not a number counts as no fixed limit. "AUTH=PLAIN LOGIN", the
// pre-standard spelling some servers still send, is read like "AUTH PLAIN LOGIN".
[[nodiscard]] extensions parse_ehlo(const reply& r);

}  // namespace letterhead::smtp::proto
