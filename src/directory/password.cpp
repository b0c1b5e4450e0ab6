#include "directory/password.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include <sodium.h>

#include "directory/common_passwords.hpp"

namespace letterhead::directory {
namespace {

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();  // cannot run without a working RNG
  });
}

constexpr std::size_t max_password_length = 256;

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The local part and the display name, whole and split at separators, lower case,
// each of 3 characters or more (shorter ones match too much by chance).
std::vector<std::string> name_parts(std::string_view local, std::string_view display_name) {
  std::vector<std::string> out;
  auto add = [&](std::string_view s) {
    auto l = lower(s);
    if (l.size() >= 3 && std::ranges::find(out, l) == out.end()) out.push_back(std::move(l));
  };
  auto split = [&](std::string_view s) {
    add(s);
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == '.' || s[i] == '_' || s[i] == '-' || s[i] == '+' || s[i] == ' ') {
        add(s.substr(start, i - start));
        start = i + 1;
      }
    }
  };
  split(local);
  split(display_name);
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
  return check_password_policy(password, address, "", store::password_policy{});
}

core::result<void> check_password_policy(std::string_view password, std::string_view address,
                                         std::string_view display_name, const store::password_policy& policy) {
  const auto min_length = std::max<std::size_t>(policy.min_length, 1);
  if (password.size() < min_length) {
    return core::fail(core::errc::invalid,
                      fmt::format("password too short: at least {0} characters / 密码太短：至少 {0} 个字符",
                                  min_length));
  }
  if (password.size() > max_password_length) {
    return core::fail(core::errc::invalid,
                      "password too long: at most 256 characters / 密码太长：最多 256 个字符");
  }
  const auto lowered = lower(password);
  const auto local = lower(address.substr(0, address.find('@')));
  for (const auto& part : name_parts(local, display_name)) {
    if (lowered.find(part) != std::string::npos) {
      return core::fail(core::errc::invalid,
                        "password must not contain your name or address / 密码不能包含姓名或邮箱地址");
    }
  }
  std::uint32_t classes = 0;
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::islower(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::isupper(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) { return std::isdigit(c); });
  classes += std::ranges::any_of(password, [](unsigned char c) {
    return !std::isalnum(c);  // punctuation, spaces and any non-ASCII character
  });
  if (classes < std::min<std::uint32_t>(policy.min_classes, 4)) {
    return core::fail(core::errc::invalid,
                      fmt::format("password needs {0} kinds of characters (lower case, upper case, digits, "
                                  "symbols) / 密码需包含至少 {0} 类字符（小写字母、大写字母、数字、符号）",
                                  policy.min_classes));
  }
  if (policy.refuse_common && is_common_password(password)) {
    return core::fail(core::errc::invalid,
                      "password is too common: choose another / 密码过于常见，请换一个");
  }
  return {};
}

}  // namespace letterhead::directory
