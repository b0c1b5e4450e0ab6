#include "directory/password.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>

#include <sodium.h>

namespace letterhead::directory {
namespace {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // cannot run without a working RNG
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

core::result<std::string> hash_password(std::string_view password, const password_cost& cost) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, cost.memory,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::fail(core::errc::unavailable, "out of memory while hashing a password");
  }
  return std::string(out);
}

bool verify_password(std::string_view stored_hash, std::string_view password) {
  ensure_sodium();
  // crypto_pwhash_str_verify needs a NUL-terminated string of bounded length.
  if (stored_hash.empty() || stored_hash.size() >= crypto_pwhash_STRBYTES) return false;
  char buf[crypto_pwhash_STRBYTES] = {};
  std::copy(stored_hash.begin(), stored_hash.end(), buf);
  return crypto_pwhash_str_verify(buf, password.data(), password.size()) == 0;
}

core::result<void> check_password_policy(std::string_view password, std::string_view address) {
  if (password.size() < 10) {
    return core::fail(core::errc::invalid,
                      "password too short: at least 10 characters / 密码太短：至少 10 个字符");
  }
  if (password.size() > 256) {
    return core::fail(core::errc::invalid,
                      "password too long: at most 256 characters / 密码太长：最多 256 个字符");
  }
  const auto local = lower(address.substr(0, address.find('@')));
  if (local.size() >= 3 && lower(password).find(local) != std::string::npos) {
    return core::fail(core::errc::invalid,
                      "password must not contain the address / 密码不能包含邮箱地址");
  }
  int classes = 0;
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::islower(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::isupper(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::isdigit(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) {
    return !std::isalnum(c);  // punctuation, spaces and any non-ASCII character
  });
  if (classes < 2) {
    return core::fail(core::errc::invalid,
                      "password needs two kinds of characters (letters, digits, symbols) / "
                      "密码需包含至少两类字符（字母、数字、符号）");
  }
  return {};
}

}  // namespace letterhead::directory
