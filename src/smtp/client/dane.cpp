#include "smtp/client/dane.hpp"

#include <memory>

#include <boost/asio/ssl/context.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace letterhead::smtp::client {

bool usable_for_smtp(const tlsa& r) noexcept {
  return (r.usage == 2 || r.usage == 3) && r.selector <= 1 && r.matching_type <= 2;
}

core::result<void> prepare_client_context(boost::asio::ssl::context& ctx, const std::string& ca_file) {
  if (SSL_CTX_dane_enable(ctx.native_handle()) <= 0) {
    ERR_clear_error();
    return core::fail(core::errc::internal, "OpenSSL cannot enable DANE");
  }
  if (!ca_file.empty() && SSL_CTX_load_verify_locations(ctx.native_handle(), ca_file.c_str(), nullptr) != 1) {
    ERR_clear_error();
    return core::fail(core::errc::invalid, "cannot load CA certificates from " + ca_file);
  }
  return {};
}

tls_hooks make_report_only_hooks(std::string host, std::function<void(const std::string&)> report) {
  tls_hooks h;
  h.prepare = [host, report](ssl_st* s) -> std::string {
    // The name check is part of OpenSSL's chain verification, whose result is kept
    // even though SSL_VERIFY_NONE lets the handshake go on. Report only: a name
    // OpenSSL refuses is noted, never a reason to fail.
    if (SSL_set1_host(s, host.c_str()) != 1) {
      ERR_clear_error();
      report("cannot check the certificate against the name " + host);
    }
    return {};
  };
  h.check = [host, report](ssl_st* s) -> std::string {
    const long v = SSL_get_verify_result(s);
    if (v != X509_V_OK) {
      report(fmt::format("certificate of {} does not verify: {}", host, X509_verify_cert_error_string(v)));
    }
    return {};
  };
  return h;
}

tls_hooks make_dane_hooks(dane_policy policy) {
  // How many records OpenSSL took: with none, RFC 7672 §2.2 still wants TLS, but
  // there is nothing to authenticate against.
  auto added = std::make_shared<int>(0);
  auto shared = std::make_shared<dane_policy>(std::move(policy));
  tls_hooks h;
  h.prepare = [added, shared](ssl_st* s) -> std::string {
    if (shared->records.empty()) return {};
    if (SSL_dane_enable(s, shared->host.c_str()) <= 0) {
      ERR_clear_error();
      return "cannot enable DANE for " + shared->host;
    }
    // RFC 7672 §3.1.1: DANE-EE(3) binds the key, not a name; OpenSSL otherwise
    // checks names for every usage. DANE-TA(2) keeps the name check against the MX
    // host (§3.2.2).
    SSL_dane_set_flags(s, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
    for (const auto& r : shared->records) {
      const auto* data = reinterpret_cast<const unsigned char*>(r.data.data());
      const int rc = SSL_dane_tlsa_add(s, r.usage, r.selector, r.matching_type, data, r.data.size());
      // 0: a record OpenSSL cannot use (e.g. a digest of the wrong length), which
      // RFC 7671 §4 says to ignore; below 0: an internal error.
      if (rc > 0) ++*added;
      if (rc < 0) {
        ERR_clear_error();
        return "cannot load TLSA records for " + shared->host;
      }
      ERR_clear_error();
    }
    return {};
  };
  h.check = [added, shared](ssl_st* s) -> std::string {
    if (*added == 0) return {};
    // The handshake ran without SSL_VERIFY_PEER so that the reason is ours to
    // give: a depth >= 0 says which certificate matched a TLSA record.
    if (SSL_get0_dane_authority(s, nullptr, nullptr) >= 0) return {};
    const long v = SSL_get_verify_result(s);
    return fmt::format("DANE: certificate of {} matches no TLSA record ({})", shared->host,
                       v == X509_V_OK ? "no match" : X509_verify_cert_error_string(v));
  };
  return h;
}

}  // namespace letterhead::smtp::client
