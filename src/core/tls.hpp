#pragma once
// TLS server contexts: TLS 1.2 and 1.3 only, with Mozilla's "intermediate" profile
// (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305 for 1.2; all 1.3 suites), a
// certificate chosen by SNI per domain, and a self-signed fallback generated in the
// data directory when no certificate is configured. reload() swaps in new
// certificates (SIGHUP); connections already open keep the context they began with.
//
// This header brings Asio's ssl::context: include it only from protocol .cpp files.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/ssl/context.hpp>

#include "core/config.hpp"
#include "core/error.hpp"

namespace letterhead::core {

class tls_contexts {
 public:
  // Loads the configured certificates, or creates/loads the self-signed pair in
  // <data_dir>/tls/ for `hostname`.
  [[nodiscard]] static result<std::unique_ptr<tls_contexts>> load(const tls_config& tls,
                                                                  const std::string& data_dir,
                                                                  const std::string& hostname);

  // The context new server connections use; SNI picks the per-domain certificate.
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> server() const;

  // Re-reads every certificate and key; on error the old ones stay in force.
  [[nodiscard]] result<void> reload();

  // True when the default certificate is the generated self-signed one.
  [[nodiscard]] bool self_signed() const noexcept { return self_signed_; }

 private:
  struct contexts {
    std::shared_ptr<boost::asio::ssl::context> main;
    std::map<std::string, std::shared_ptr<boost::asio::ssl::context>> by_name;
  };

  tls_contexts(tls_config tls, std::string data_dir, std::string hostname);
  [[nodiscard]] result<std::shared_ptr<contexts>> build() const;

  tls_config tls_;
  std::string data_dir_;
  std::string hostname_;
  bool self_signed_ = false;
  mutable std::mutex mutex_;
  std::shared_ptr<contexts> current_;
};

// A TLS client context for outgoing connections (the SMTP client): TLS 1.2 and 1.3,
// OpenSSL's default ciphers, the system's CA certificates for connections that
// verify (tls_client_options::verify). One context serves every connection.
[[nodiscard]] result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context();

// Writes a new self-signed certificate and key (RSA-2048, SHA-256, subjectAltName =
// hostname, ten years) to the given paths, the key readable by its owner only.
[[nodiscard]] result<void> generate_self_signed(const std::string& hostname,
                                                const std::string& cert_path,
                                                const std::string& key_path);

}  // namespace letterhead::core
