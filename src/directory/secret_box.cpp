// Sealing secrets at rest: see secret_box.hpp.

#include "directory/secret_box.hpp"

#include <sodium.h>

#include <cstdlib>

namespace letterhead::directory {

namespace {

constexpr std::string_view prefix = "lhs1";

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

std::string make_secret_key() {
  if (sodium_init() < 0) std::abort();
  std::string key(secret_key_bytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

std::string seal_secret(std::string_view key, std::string_view plain) {
  if (key.size() != secret_key_bytes || plain.empty()) return std::string(plain);
  std::string out(prefix);
  out.resize(prefix.size() + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + prefix.size());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, bytes(plain), plain.size(), nonce, bytes(key));
  return out;
}

core::result<std::string> open_secret(std::string_view key, std::string_view stored) {
  if (!stored.starts_with(prefix)) return std::string(stored);
  const auto sealed = stored.substr(prefix.size());
  if (key.size() != secret_key_bytes) {
    return core::fail(core::errc::invalid, "a sealed secret needs the secret key ([security] secret_key_file)");
  }
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return core::fail(core::errc::invalid, "sealed secret too short");
  }
  const auto* nonce = bytes(sealed);
  const auto box = sealed.substr(crypto_secretbox_NONCEBYTES);
  std::string plain(box.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), bytes(box), box.size(), nonce,
                                 bytes(key)) != 0) {
    return core::fail(core::errc::invalid, "sealed secret does not open with this secret key");
  }
  return plain;
}

}  // namespace letterhead::directory
