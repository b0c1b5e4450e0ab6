#include "core/tls.hpp"

#include <cstdio>
#include <filesystem>
#include <sys/stat.h>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace letterhead::core {
namespace ssl = boost::asio::ssl;
namespace {

// Mozilla server-side TLS "intermediate" configuration, version 5.7: TLS 1.2 ciphers.
constexpr const char* intermediate_tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct evp_pkey_deleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct x509_deleter {
  void operator()(X509* p) const { X509_free(p); }
};
struct file_closer {
  void operator()(FILE* f) const { std::fclose(f); }
};

result<std::shared_ptr<ssl::context>> make_context(const std::string& cert, const std::string& key) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  // Mozilla intermediate leaves cipher choice to the client (it knows whether it has
  // AES hardware), so SSL_OP_CIPHER_SERVER_PREFERENCE stays off.
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Idle connections (IMAP IDLE, thousands of phones) give their ~34 KiB of record
  // buffers back to the allocator until the next record.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, intermediate_tls12_ciphers) != 1) {
    return fail(errc::internal, "TLS cipher list rejected: " + openssl_error());
  }
  SSL_CTX_set_dh_auto(native, 1);
  if (SSL_CTX_use_certificate_chain_file(native, cert.c_str()) != 1) {
    return fail(errc::invalid, fmt::format("cannot load TLS certificate '{}': {}", cert,
                                           openssl_error()));
  }
  if (SSL_CTX_use_PrivateKey_file(native, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(errc::invalid, fmt::format("cannot load TLS key '{}': {}", key, openssl_error()));
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return fail(errc::invalid,
                fmt::format("TLS key '{}' does not match certificate '{}'", key, cert));
  }
  return ctx;
}

// SNI (RFC 6066 §3): switch the connection to the named domain's context.
int select_by_sni(SSL* s, int*, void* arg) {
  const char* requested = SSL_get_servername(s, TLSEXT_NAMETYPE_host_name);
  if (requested == nullptr) return SSL_TLSEXT_ERR_OK;
  std::string lower(requested);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto& map = *static_cast<std::map<std::string, std::shared_ptr<ssl::context>>*>(arg);
  auto it = map.find(lower);
  if (it == map.end()) {
    // A wildcard entry "*.example.org" covers one label.
    const auto dot = lower.find('.');
    if (dot != std::string::npos) it = map.find("*" + lower.substr(dot));
  }
  if (it != map.end()) SSL_set_SSL_CTX(s, it->second->native_handle());
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

result<void> generate_self_signed(const std::string& hostname, const std::string& cert_path,
                                  const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, evp_pkey_deleter> pkey(EVP_RSA_gen(2048));
  if (!pkey) return fail(errc::internal, "RSA key generation failed: " + openssl_error());

  std::unique_ptr<X509, x509_deleter> x509(X509_new());
  X509_set_version(x509.get(), 2);
  // A random serial: browsers and some clients refuse two certificates with the same
  // issuer and serial.
  BIGNUM* serial = BN_new();
  BN_rand(serial, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x509.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(hostname.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Letterhead self-signed"), -1,
                             -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x509.get(), x509.get(), nullptr, nullptr, 0);
  const std::string san = "DNS:" + hostname;
  for (const auto& [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                                   {NID_basic_constraints, "critical,CA:FALSE"},
                                   {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                   {NID_ext_key_usage, "serverAuth"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (ext == nullptr) return fail(errc::internal, "certificate extension: " + openssl_error());
    X509_add_ext(x509.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x509.get(), pkey.get(), EVP_sha256()) == 0) {
    return fail(errc::internal, "certificate signing failed: " + openssl_error());
  }

  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(key_path).parent_path(), ec);
  const mode_t old_mask = ::umask(077);
  std::unique_ptr<FILE, file_closer> key_file(std::fopen(key_path.c_str(), "wb"));
  ::umask(old_mask);
  if (!key_file) return fail(errc::io, fmt::format("cannot write '{}'", key_path));
  if (PEM_write_PrivateKey(key_file.get(), pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return fail(errc::io, fmt::format("cannot write '{}'", key_path));
  }
  std::unique_ptr<FILE, file_closer> cert_file(std::fopen(cert_path.c_str(), "wb"));
  if (!cert_file || PEM_write_X509(cert_file.get(), x509.get()) != 1) {
    return fail(errc::io, fmt::format("cannot write '{}'", cert_path));
  }
  return {};
}

result<std::shared_ptr<ssl::context>> make_client_tls_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // Without CA certificates only non-verifying connections work; that is the
  // opportunistic default, so a machine without ca-certificates still sends mail.
  if (SSL_CTX_set_default_verify_paths(native) != 1) ERR_clear_error();
  return ctx;
}

tls_contexts::tls_contexts(tls_config tls, std::string data_dir, std::string hostname)
    : tls_(std::move(tls)), data_dir_(std::move(data_dir)), hostname_(std::move(hostname)) {}

result<std::unique_ptr<tls_contexts>> tls_contexts::load(const tls_config& tls,
                                                        const std::string& data_dir,
                                                        const std::string& hostname) {
  std::unique_ptr<tls_contexts> out(new tls_contexts(tls, data_dir, hostname));
  if (out->tls_.cert.empty()) {
    const auto dir = std::filesystem::path(data_dir) / "tls";
    out->tls_.cert = (dir / "selfsigned.crt").string();
    out->tls_.key = (dir / "selfsigned.key").string();
    out->self_signed_ = true;
    if (!std::filesystem::exists(out->tls_.cert) || !std::filesystem::exists(out->tls_.key)) {
      if (auto r = generate_self_signed(hostname, out->tls_.cert, out->tls_.key); !r) {
        return std::unexpected(r.error());
      }
    }
  }
  auto built = out->build();
  if (!built) return std::unexpected(built.error());
  out->current_ = std::move(*built);
  return out;
}

result<std::shared_ptr<tls_contexts::contexts>> tls_contexts::build() const {
  auto out = std::make_shared<contexts>();
  auto main = make_context(tls_.cert, tls_.key);
  if (!main) return std::unexpected(main.error());
  out->main = std::move(*main);
  for (const auto& [name, files] : tls_.sni) {
    auto ctx = make_context(files.cert, files.key);
    if (!ctx) return std::unexpected(ctx.error());
    out->by_name[name] = std::move(*ctx);
  }
  if (!out->by_name.empty()) {
    // The map is owned by `out`, which lives as long as the main context it is set on.
    auto* by_name = &out->by_name;
    SSL_CTX_set_tlsext_servername_arg(out->main->native_handle(), by_name);
    SSL_CTX_set_tlsext_servername_callback(out->main->native_handle(), select_by_sni);
  }
  return out;
}

std::shared_ptr<ssl::context> tls_contexts::server() const {
  std::lock_guard lock(mutex_);
  // Aliasing constructor: the returned pointer keeps the whole set (and with it the
  // SNI map the callback points into) alive while any connection uses it.
  return std::shared_ptr<ssl::context>(current_, current_->main.get());
}

result<void> tls_contexts::reload() {
  auto built = build();
  if (!built) return std::unexpected(built.error());
  std::lock_guard lock(mutex_);
  current_ = std::move(*built);
  return {};
}

}  // namespace letterhead::core
