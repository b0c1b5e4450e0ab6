#include "mailauth/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fmt/format.h>

namespace letterhead::mailauth {

namespace {

constexpr char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// The most recent OpenSSL error as text, and the error queue cleared, so that one
// failure is not reported again by the next unrelated call.
std::string openssl_error(std::string_view what) {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return std::string(what);
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return fmt::format("{}: {}", what, buf);
}

const unsigned char* bytes(std::string_view s) noexcept {
  return reinterpret_cast<const unsigned char*>(s.data());
}

using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, evp_md_ctx_free>;

}  // namespace

void evp_md_ctx_free::operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
void evp_pkey_free::operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const auto v = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out.push_back(b64_alphabet[(v >> 18) & 63]);
    out.push_back(b64_alphabet[(v >> 12) & 63]);
    out.push_back(b64_alphabet[(v >> 6) & 63]);
    out.push_back(b64_alphabet[v & 63]);
  }
  if (const std::size_t rest = in.size() - i; rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out.push_back(b64_alphabet[(v >> 18) & 63]);
    out.push_back(b64_alphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? b64_alphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + static_cast<std::size_t>(j)];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = b64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const auto w = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                   (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out.push_back(static_cast<char>((w >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((w >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(w & 0xFF));
  }
  return out;
}

sha256_hasher::sha256_hasher() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) {
    throw std::bad_alloc();  // only when OpenSSL cannot allocate
  }
}

void sha256_hasher::update(std::string_view b) {
  if (!b.empty()) EVP_DigestUpdate(ctx_.get(), b.data(), b.size());
}

std::array<unsigned char, 32> sha256_hasher::finish() {
  std::array<unsigned char, 32> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_.get(), out.data(), &n);
  return out;
}

std::array<unsigned char, 32> sha256(std::string_view b) {
  sha256_hasher h;
  h.update(b);
  return h.finish();
}

// --- private keys ---

core::result<private_key> private_key::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                &BIO_free);
  if (!bio) return core::fail(core::errc::internal, "out of memory");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) return core::fail(core::errc::invalid, openssl_error("cannot read DKIM private key"));
  private_key k;
  k.key_.reset(raw);
  switch (EVP_PKEY_get_base_id(raw)) {
    case EVP_PKEY_RSA: k.type_ = key_type::rsa; break;
    case EVP_PKEY_ED25519: k.type_ = key_type::ed25519; break;
    default: return core::fail(core::errc::invalid, "DKIM private key is neither RSA nor Ed25519");
  }
  return k;
}

unsigned private_key::bits() const noexcept { return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())); }

core::result<std::string> private_key::sign(std::string_view data) const {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return core::fail(core::errc::internal, "out of memory");
  std::string input;
  const EVP_MD* md = nullptr;
  if (type_ == key_type::rsa) {
    md = EVP_sha256();
    input.assign(data);
  } else {
    // RFC 8463 §3: Ed25519 signs the SHA-256 hash, not the data itself.
    const auto h = sha256(data);
    input.assign(reinterpret_cast<const char*>(h.data()), h.size());
  }
  if (EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key_.get()) != 1) {
    return core::fail(core::errc::internal, openssl_error("DKIM sign init"));
  }
  std::size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, bytes(input), input.size()) != 1) {
    return core::fail(core::errc::internal, openssl_error("DKIM sign"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(input),
                     input.size()) != 1) {
    return core::fail(core::errc::internal, openssl_error("DKIM sign"));
  }
  sig.resize(len);
  return sig;
}

std::string private_key::public_key_base64() const {
  if (type_ == key_type::ed25519) {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw, &len) != 1) return {};
    return base64_encode(std::string_view(reinterpret_cast<const char*>(raw), len));
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key_.get(), &der);
  if (len <= 0) return {};
  std::string out = base64_encode(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
  OPENSSL_free(der);
  return out;
}

// --- public keys ---

core::result<public_key> public_key::from_dns(key_type type, std::string_view der) {
  public_key k;
  k.type_ = type;
  if (type == key_type::ed25519) {
    if (der.size() != 32) return core::fail(core::errc::invalid, "Ed25519 key is not 32 bytes");
    k.key_.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(der), der.size()));
    if (!k.key_) return core::fail(core::errc::invalid, openssl_error("invalid Ed25519 key"));
    return k;
  }
  const unsigned char* p = bytes(der);
  k.key_.reset(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!k.key_ || p != bytes(der) + der.size()) {
    ERR_clear_error();
    p = bytes(der);
    k.key_.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der.size())));
    if (!k.key_ || p != bytes(der) + der.size()) {
      return core::fail(core::errc::invalid, openssl_error("invalid RSA key"));
    }
  }
  if (EVP_PKEY_get_base_id(k.key_.get()) != EVP_PKEY_RSA) {
    return core::fail(core::errc::invalid, "key record k=rsa holds a key that is not RSA");
  }
  return k;
}

unsigned public_key::bits() const noexcept { return static_cast<unsigned>(EVP_PKEY_get_bits(key_.get())); }

bool public_key::verify(std::string_view data, std::string_view signature) const {
  md_ctx_ptr ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  std::string input;
  const EVP_MD* md = nullptr;
  if (type_ == key_type::rsa) {
    md = EVP_sha256();
    input.assign(data);
  } else {
    const auto h = sha256(data);
    input.assign(reinterpret_cast<const char*>(h.data()), h.size());
  }
  bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input), input.size()) == 1;
  ERR_clear_error();
  return ok;
}

// --- generation ---

core::result<generated_key> generate_key(key_type type, unsigned rsa_bits) {
  std::unique_ptr<EVP_PKEY, evp_pkey_free> key(
      type == key_type::rsa ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(rsa_bits))
                            : EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return core::fail(core::errc::internal, openssl_error("DKIM key generation failed"));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return core::fail(core::errc::internal, openssl_error("cannot write DKIM private key"));
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  generated_key out;
  out.private_key_pem.assign(data, static_cast<std::size_t>(len));
  auto pk = private_key::from_pem(out.private_key_pem);
  if (!pk) return std::unexpected(pk.error());
  out.public_key = pk->public_key_base64();
  if (out.public_key.empty()) return core::fail(core::errc::internal, "cannot encode DKIM public key");
  return out;
}

}  // namespace letterhead::mailauth
