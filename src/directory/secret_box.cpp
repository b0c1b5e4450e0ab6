// Sealing secrets at rest: see secret_box.hpp.

#include "directory/secret_box.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace letterhead::directory {

namespace {

constexpr std::string_view prefix_v1 = "lhs1";
constexpr std::string_view prefix_v2 = "lhs2";

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void init() {
  if (sodium_init() < 0) std::abort();
}

core::result<std::string> read_key(const std::string& path, int fd) {
  std::string key(secret_key_bytes + 1, '\0');
  std::size_t got = 0;
  while (got < key.size()) {
    const auto n = ::read(fd, key.data() + got, key.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return core::fail(core::errc::io, fmt::format("{}: {}", path, std::strerror(errno)));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != secret_key_bytes) {
    return core::fail(core::errc::invalid,
                      fmt::format("{} holds {} bytes, a secret key file holds exactly {}: it is damaged or was cut "
                                  "short. Restore it from a backup (sealed TOTP seeds need this very key); only if "
                                  "no account has TOTP yet may it be deleted so that a new key is made",
                                  path, got, secret_key_bytes));
  }
  key.resize(secret_key_bytes);
  return key;
}

// Makes the key under a temporary name and links it into place.
core::result<void> create_key(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path final_path(path);
  const auto dir = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  std::string tmp_name(16, '\0');
  randombytes_buf(tmp_name.data(), 8);
  std::string hex;
  for (int i = 0; i < 8; ++i) hex += fmt::format("{:02x}", static_cast<unsigned char>(tmp_name[i]));
  const auto tmp = (dir / fmt::format(".{}.{}.tmp", final_path.filename().string(), hex)).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return core::fail(core::errc::io, fmt::format("{}: {}", tmp, std::strerror(errno)));
  const auto key = make_secret_key();
  const bool written =
      ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(tmp.c_str());
    return core::fail(core::errc::io, fmt::format("{}: could not write the secret key", tmp));
  }
  // link(2) fails with EEXIST instead of replacing: a key another process made first
  // wins and is the one both read.
  const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!linked && link_errno != EEXIST) {
    return core::fail(core::errc::io, fmt::format("{}: {}", path, std::strerror(link_errno)));
  }
  // The new directory entry must survive a crash too.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

}  // namespace

std::string make_secret_key() {
  init();
  std::string key(secret_key_bytes, '\0');
  randombytes_buf(key.data(), key.size());
  return key;
}

core::result<std::string> load_or_create_secret_key(const std::string& path) {
  init();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      auto key = read_key(path, fd);
      ::close(fd);
      return key;
    }
    if (errno != ENOENT) return core::fail(core::errc::io, fmt::format("{}: {}", path, std::strerror(errno)));
    if (auto made = create_key(path); !made) return std::unexpected(made.error());
  }
  return core::fail(core::errc::io, fmt::format("{}: could not read or create the secret key", path));
}

std::string seal_secret(std::string_view key, std::string_view plain, std::string_view owner) {
  if (key.size() != secret_key_bytes || plain.empty()) return std::string(plain);
  init();
  std::string out(prefix_v2);
  constexpr auto nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  out.resize(prefix_v2.size() + nonce_bytes + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + prefix_v2.size());
  randombytes_buf(nonce, nonce_bytes);
  unsigned long long sealed_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + nonce_bytes, &sealed_len, bytes(plain), plain.size(),
                                             bytes(owner), owner.size(), nullptr, nonce, bytes(key));
  out.resize(prefix_v2.size() + nonce_bytes + sealed_len);
  return out;
}

core::result<opened_secret> open_secret(std::string_view key, std::string_view stored, std::string_view owner) {
  const bool v2 = stored.starts_with(prefix_v2);
  if (!v2 && !stored.starts_with(prefix_v1)) return opened_secret{std::string(stored), true};
  if (key.size() != secret_key_bytes) {
    return core::fail(core::errc::invalid, "a sealed secret needs the secret key ([security] secret_key_file)");
  }
  init();
  const auto sealed = stored.substr(prefix_v2.size());
  if (v2) {
    constexpr auto nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
    if (sealed.size() < nonce_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
      return core::fail(core::errc::invalid, "sealed secret too short");
    }
    const auto box = sealed.substr(nonce_bytes);
    std::string plain(box.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &len, nullptr,
                                                   bytes(box), box.size(), bytes(owner), owner.size(),
                                                   bytes(sealed), bytes(key)) != 0) {
      return core::fail(core::errc::invalid,
                        "sealed secret does not open with this secret key for this account");
    }
    plain.resize(len);
    return opened_secret{std::move(plain), false};
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
  return opened_secret{std::move(plain), true};
}

}  // namespace letterhead::directory
