#include "delivery/outbound/mta_sts.hpp"

#include <fmt/format.h>

#include "mailauth/crypto.hpp"

namespace letterhead::delivery::outbound {

namespace {

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 8461 §3.2 sts-policy-mx-value: ["*."] sub-domain *("." sub-domain), the
// letters-digits-hyphen names of RFC 5321 §4.1.2.
bool valid_mx_pattern(std::string_view p) {
  if (p.starts_with("*.")) p.remove_prefix(2);
  if (p.empty() || p.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '.') {
      if (label == 0 || p[i - 1] == '-') return false;
      label = 0;
    } else if (is_alnum(c) || (c == '-' && label > 0)) {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return label > 0 && p.back() != '-';
}

}  // namespace

const char* to_string(sts_mode m) noexcept {
  switch (m) {
    case sts_mode::none: return "none";
    case sts_mode::testing: return "testing";
    case sts_mode::enforce: return "enforce";
  }
  return "none";
}

std::optional<sts_mode> parse_sts_mode(std::string_view s) noexcept {
  if (s == "none") return sts_mode::none;
  if (s == "testing") return sts_mode::testing;
  if (s == "enforce") return sts_mode::enforce;
  return std::nullopt;
}

std::optional<std::string> parse_sts_txt(const std::vector<std::string>& records) {
  // §3.1: records not starting with "v=STSv1;" are discarded; exactly one must remain.
  const std::string* found = nullptr;
  for (const auto& r : records) {
    if (!r.starts_with("v=STSv1;")) continue;
    if (found != nullptr) return std::nullopt;
    found = &r;
  }
  if (found == nullptr) return std::nullopt;
  // sts-text-record = sts-version 1*(*WSP %x3B *WSP sts-field) [%x3B]; fields are
  // "name=value"; id = 1*32(ALPHA / DIGIT), other extension fields ignored.
  std::optional<std::string> id;
  std::string_view rest = std::string_view(*found).substr(8);
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    const auto field = trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    if (field.empty()) continue;
    const auto eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) return std::nullopt;
    const auto name = field.substr(0, eq);
    const auto value = field.substr(eq + 1);
    if (name != "id") continue;
    if (id || value.empty() || value.size() > 32) return std::nullopt;
    for (char c : value) {
      if (!is_alnum(c)) return std::nullopt;
    }
    id = std::string(value);
  }
  return id;
}

core::result<sts_policy> parse_sts_policy(std::string_view text) {
  if (text.size() > max_sts_policy_size) return core::fail(core::errc::invalid, "MTA-STS policy too large");
  sts_policy p;
  bool version = false, mode = false, max_age = false;
  while (!text.empty()) {
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    line = trim(line);
    if (line.empty()) continue;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return core::fail(core::errc::invalid, "MTA-STS policy: line without ':'");
    const auto key = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (key == "version") {
      if (version) continue;
      if (value != "STSv1") return core::fail(core::errc::invalid, "MTA-STS policy: version is not STSv1");
      version = true;
    } else if (key == "mode") {
      if (mode) continue;
      auto m = parse_sts_mode(value);
      if (!m) return core::fail(core::errc::invalid, "MTA-STS policy: unknown mode");
      p.mode = *m;
      mode = true;
    } else if (key == "max_age") {
      if (max_age) continue;
      // 1*10DIGIT
      if (value.empty() || value.size() > 10) return core::fail(core::errc::invalid, "MTA-STS policy: bad max_age");
      std::int64_t n = 0;
      for (char c : value) {
        if (c < '0' || c > '9') return core::fail(core::errc::invalid, "MTA-STS policy: bad max_age");
        n = n * 10 + (c - '0');
      }
      p.max_age = std::min(n, max_sts_age);
      max_age = true;
    } else if (key == "mx") {
      auto pattern = lower(value);
      if (pattern.ends_with('.')) pattern.pop_back();
      if (!valid_mx_pattern(pattern)) return core::fail(core::errc::invalid, "MTA-STS policy: bad mx pattern");
      if (p.mx.size() >= 100) return core::fail(core::errc::invalid, "MTA-STS policy: too many mx patterns");
      p.mx.push_back(std::move(pattern));
    }
  }
  if (!version || !mode || !max_age) {
    return core::fail(core::errc::invalid, "MTA-STS policy: version, mode or max_age missing");
  }
  if (p.mx.empty() && p.mode != sts_mode::none) return core::fail(core::errc::invalid, "MTA-STS policy: no mx");
  return p;
}

bool sts_mx_matches(std::string_view pattern, std::string_view host) {
  std::string h = lower(host);
  if (h.ends_with('.')) h.pop_back();
  std::string p = lower(pattern);
  if (p.ends_with('.')) p.pop_back();
  if (!p.starts_with("*.")) return !p.empty() && p == h;
  // "*.example.com" matches "mail.example.com", not "example.com" nor "a.b.example.com".
  const std::string_view suffix = std::string_view(p).substr(1);
  if (h.size() <= suffix.size() || !h.ends_with(suffix)) return false;
  const std::string_view first = std::string_view(h).substr(0, h.size() - suffix.size());
  return !first.empty() && first.find('.') == std::string_view::npos;
}

bool sts_mx_allowed(const sts_policy& policy, std::string_view host) {
  for (const auto& p : policy.mx) {
    if (sts_mx_matches(p, host)) return true;
  }
  return false;
}

std::string sts_policy_text(sts_mode mode, const std::vector<std::string>& mx, std::int64_t max_age) {
  std::string out = fmt::format("version: STSv1\nmode: {}\n", to_string(mode));
  for (const auto& m : mx) out += fmt::format("mx: {}\n", m);
  out += fmt::format("max_age: {}\n", std::min(max_age, max_sts_age));
  return out;
}

std::string sts_policy_id(std::string_view policy_text) {
  const auto digest = mailauth::sha256(policy_text);
  std::string id;
  for (std::size_t i = 0; i < 8; ++i) id += fmt::format("{:02x}", digest[i]);
  return id;
}

}  // namespace letterhead::delivery::outbound
