#pragma once
// DANE for SMTP (RFC 7672) on OpenSSL's own DANE verifier (SSL_dane_enable,
// SSL_dane_tlsa_add): which TLSA records an SMTP client may use, and the hooks
// that make a TLS handshake authenticate the server against them. The records
// come from the caller (the outbound queue looks them up and checks that DNSSEC
// validated them); nothing here knows DNS.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"

struct ssl_st;

namespace boost::asio::ssl {
class context;
}

namespace letterhead::smtp::client {

// One TLSA record (RFC 6698 §2.1).
struct tlsa {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::string data;  // certificate association data, raw bytes
};

// What DANE asks of one MX host (RFC 7672 §2.2): TLS is mandatory; when some
// records are usable the server's certificate must match one of them.
struct dane_policy {
  std::vector<tlsa> records;  // only the usable ones; empty = TLS without authentication
  std::string host;           // the TLSA base domain (the MX host): DANE-TA name checks
};

// RFC 7672 §3.1.3: PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP; DANE-TA(2) and
// DANE-EE(3) with selector Cert(0)/SPKI(1) and matching Full(0)/SHA2-256(1)/SHA2-512(2)
// are (RFC 7671 §5, RFC 6698 §2.1).
[[nodiscard]] bool usable_for_smtp(const tlsa& record) noexcept;

// Once per client context, before any connection uses it: enables DANE and adds
// the CA certificates of `ca_file` (PEM; "" = none) to the system's for
// connections that verify (MTA-STS, a smarthost).
[[nodiscard]] core::result<void> prepare_client_context(boost::asio::ssl::context& ctx, const std::string& ca_file);

// core::tls_client_options hooks for one connection.
struct tls_hooks {
  std::function<std::string(ssl_st*)> prepare;
  std::function<std::string(ssl_st*)> check;
};
// Under `policy`: the certificate must match a usable record.
[[nodiscard]] tls_hooks make_dane_hooks(dane_policy policy);
// MTA-STS "testing" (RFC 8461 §5): the certificate is verified for `host` but a
// failure is only passed to `report`, never fails the connection.
[[nodiscard]] tls_hooks make_report_only_hooks(std::string host, std::function<void(const std::string&)> report);

}  // namespace letterhead::smtp::client
