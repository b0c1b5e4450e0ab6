#pragma once
// DNS lookups for mail routing and authentication (RFC 5321 §5.1, RFC 7505, RFC 7672,
// RFC 7208, RFC 6376, RFC 7489). Backed by libunbound (resolver.cpp); validates
// DNSSEC when a trust anchor is configured, and reports whether each answer was
// secure, because DANE (RFC 7672) may only use TLSA records from a secure zone.
//
// Calls block for at most options.timeout: callers on io threads run them on the
// blocking pool (core::run_blocking). A resolver is safe to use from many threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::dns {

struct options {
  // "IP" or "IP:PORT" (also "[IPv6]:PORT"); empty = the system resolver
  // (/etc/resolv.conf). Tests point this at a DNS server on loopback.
  std::vector<std::string> servers;
  // DNSSEC trust anchor file (e.g. /usr/share/dns/root.key); empty = no validation.
  std::string trust_anchor_file;
  std::chrono::milliseconds timeout{10000};
};

// How a lookup ended. nxdomain and nodata are answers (permanent for the name);
// temporary means "try later" (SERVFAIL, timeout, network); bogus means DNSSEC
// validation failed and the data must not be used.
enum class status { ok, nxdomain, nodata, temporary, bogus };

[[nodiscard]] const char* to_string(status s) noexcept;

struct mx_record {
  std::uint16_t preference = 0;
  std::string host;  // lower-case, no trailing dot; "" for a null MX (RFC 7505 ".")
};

struct tlsa_record {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::string data;  // raw bytes of the certificate association data
};

template <class T>
struct answer {
  status result = status::temporary;
  bool secure = false;  // validated by DNSSEC
  std::vector<T> records;
  std::string why;      // for logs and DSNs when result != ok
};

class resolver {
 public:
  virtual ~resolver() = default;

  // MX records sorted by preference (ties in random order, RFC 5321 §5.1).
  [[nodiscard]] virtual answer<mx_record> mx(std::string_view domain) = 0;
  // A then AAAA addresses as text ("192.0.2.1", "2001:db8::1"); ok if either has data.
  [[nodiscard]] virtual answer<std::string> addresses(std::string_view host) = 0;
  // Each TXT record with its character-strings concatenated (RFC 7208 §3.3).
  [[nodiscard]] virtual answer<std::string> txt(std::string_view name) = 0;
  // e.g. tlsa("_25._tcp.mx.example.com").
  [[nodiscard]] virtual answer<tlsa_record> tlsa(std::string_view name) = 0;
  // PTR names for an IP address ("192.0.2.1" or IPv6), lower-case, no trailing dot.
  [[nodiscard]] virtual answer<std::string> ptr(std::string_view ip) = 0;
  // The A records of many names at once, one answer per name in order, all within
  // one timeout: blocklist lookups (RFC 5782 §2.1), where a listing is an A record
  // and a message asks about many names. The default asks one name after another.
  [[nodiscard]] virtual std::vector<answer<std::string>> ipv4_many(const std::vector<std::string>& hosts);
};

// A libunbound resolver; errc::invalid for a bad server address or trust anchor.
[[nodiscard]] core::result<std::unique_ptr<resolver>> make_resolver(const options& o);

// Where mail for a domain goes (RFC 5321 §5.1): its MX hosts by preference; when it
// has no MX records, the domain itself (implicit MX) if it has an address; a null MX
// (RFC 7505) gives status nodata and why = "null MX". `secure` tells whether the MX
// answer was DNSSEC-validated (RFC 7672 §2.2.1).
[[nodiscard]] answer<mx_record> mail_exchangers(resolver& r, std::string_view domain);

}  // namespace letterhead::dns
