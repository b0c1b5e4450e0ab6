#include "delivery/srs.hpp"

#include <openssl/crypto.h>

namespace letterhead::delivery {
namespace {

constexpr std::string_view base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::int64_t day_seconds = 86400;
constexpr std::int64_t day_modulus = 1024;  // two base32 characters

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

bool is_separator(char c) noexcept { return c == '=' || c == '+' || c == '-'; }

// "SRS0=" / "SRS1=" (any case, libsrs2 also writes + and - as the separator).
int srs_kind(std::string_view local) noexcept {
  if (local.size() < 5 || lower(local[0]) != 's' || lower(local[1]) != 'r' || lower(local[2]) != 's') return -1;
  if (!is_separator(local[4])) return -1;
  if (local[3] == '0') return 0;
  if (local[3] == '1') return 1;
  return -1;
}

std::string timestamp(std::int64_t now) {
  const auto day = ((now / day_seconds) % day_modulus + day_modulus) % day_modulus;
  return {base32[static_cast<std::size_t>(day >> 5)], base32[static_cast<std::size_t>(day & 31)]};
}

std::optional<std::int64_t> timestamp_value(std::string_view tt) {
  if (tt.size() != 2) return std::nullopt;
  std::int64_t v = 0;
  for (const char c : tt) {
    const auto pos = base32.find(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    if (pos == std::string_view::npos) return std::nullopt;
    v = v * 32 + static_cast<std::int64_t>(pos);
  }
  return v;
}

// The MAC over the fields an address carries, each lower-cased, NUL-separated (no
// field holds a NUL, so no two field lists give one input).
std::string hash(const srs_codec& c, std::string_view kind, std::string_view a, std::string_view b,
                 std::string_view d = {}) {
  std::string input(kind);
  for (const auto part : {a, b, d}) {
    input += '\0';
    input += lower(part);
  }
  auto mac = c.mac(input);
  mac.resize(srs_hash_chars);
  return lower(mac);
}

bool same_hash(std::string_view expected, std::string_view given) {
  if (given.size() != srs_hash_chars || expected.size() != srs_hash_chars) return false;
  const auto folded = lower(given);
  return CRYPTO_memcmp(expected.data(), folded.data(), srs_hash_chars) == 0;
}

// Splits off the text up to the next '=' of `s`; nullopt when there is none.
std::optional<std::string_view> take_field(std::string_view& s) {
  const auto eq = s.find('=');
  if (eq == std::string_view::npos) return std::nullopt;
  const auto field = s.substr(0, eq);
  s.remove_prefix(eq + 1);
  return field;
}

}  // namespace

std::optional<std::string> srs_forward(const srs_codec& c, std::string_view sender, std::string_view srs_domain,
                                       std::int64_t now) {
  const auto at = sender.rfind('@');
  if (sender.empty() || at == std::string_view::npos || at == 0 || at + 1 == sender.size()) return std::nullopt;
  const auto local = sender.substr(0, at);
  const auto domain = sender.substr(at + 1);
  const int kind = srs_kind(local);
  if (kind == 0) {
    // Another forwarder's SRS0: SRS1=H=that-domain==HHH=TT=... (its part kept whole,
    // separator included, so that its forwarder can undo it).
    const auto rest = local.substr(4);
    return "SRS1=" + hash(c, "SRS1", domain, rest) + "=" + std::string(domain) + "=" + std::string(rest) + "@" +
           std::string(srs_domain);
  }
  if (kind == 1) {
    // Another forwarder's SRS1: the first hop and its SRS0 part stay, the MAC is ours.
    auto s = local.substr(5);
    const auto theirs = take_field(s);
    const auto first_hop = take_field(s);
    if (theirs && first_hop && !first_hop->empty() && !s.empty()) {
      return "SRS1=" + hash(c, "SRS1", *first_hop, s) + "=" + std::string(*first_hop) + "=" + std::string(s) + "@" +
             std::string(srs_domain);
    }
  }
  const auto tt = timestamp(now);
  return "SRS0=" + hash(c, "SRS0", tt, domain, local) + "=" + tt + "=" + std::string(domain) + "=" +
         std::string(local) + "@" + std::string(srs_domain);
}

srs_reversed srs_reverse(const srs_codec& c, std::string_view address, std::int64_t now) {
  const auto at = address.rfind('@');
  const auto local = address.substr(0, at == std::string_view::npos ? address.size() : at);
  const int kind = srs_kind(local);
  if (kind < 0) return {};
  srs_reversed out{srs_status::forged, {}};
  if (address.size() > srs_max_address || local[4] != '=') return out;
  auto s = local.substr(5);
  const auto mac = take_field(s);
  if (!mac) return out;
  if (kind == 0) {
    const auto tt = take_field(s);
    const auto domain = take_field(s);
    // s is now the original local part (it may hold '=' itself).
    if (!tt || !domain || domain->empty() || s.empty()) return out;
    if (!same_hash(hash(c, "SRS0", *tt, *domain, s), *mac)) return out;
    const auto day = timestamp_value(*tt);
    if (!day) return out;
    const auto today = ((now / day_seconds) % day_modulus + day_modulus) % day_modulus;
    const auto age = ((today - *day) % day_modulus + day_modulus) % day_modulus;
    if (age > c.max_age_days) return {srs_status::expired, {}};
    return {srs_status::valid, std::string(s) + "@" + std::string(*domain)};
  }
  const auto first_hop = take_field(s);
  if (!first_hop || first_hop->empty() || s.empty() || !is_separator(s.front())) return out;
  if (!same_hash(hash(c, "SRS1", *first_hop, s), *mac)) return out;
  return {srs_status::valid, "SRS0" + std::string(s) + "@" + std::string(*first_hop)};
}

}  // namespace letterhead::delivery
