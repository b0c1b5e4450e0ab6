#include "mailauth/dkim_signature.hpp"

#include <limits>

#include <fmt/format.h>

#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {

namespace {

std::unexpected<signature_problem> syntax(std::string reason) {
  return std::unexpected(signature_problem{true, std::move(reason)});
}
std::unexpected<signature_problem> refused(std::string reason) {
  return std::unexpected(signature_problem{false, std::move(reason)});
}

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A domain name as DKIM writes it (§3.5 d=): labels of letters, digits, hyphens and,
// for internationalised names in U-label form, octets above 0x7F; no empty label.
bool valid_domain(std::string_view d) noexcept {
  if (d.empty() || d.size() > 253 || d.front() == '.' || d.back() == '.') return false;
  char prev = 0;
  for (char ch : d) {
    const auto c = static_cast<unsigned char>(ch);
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c >= 0x80;
    if (!ok || (c == '.' && prev == '.')) return false;
    prev = ch;
  }
  return true;
}

// field-name = 1*ftext, ftext = %d33-57 / %d59-126 (RFC 5322 §3.6.8)
bool valid_field_name(std::string_view n) noexcept {
  if (n.empty()) return false;
  for (char ch : n) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 33 || c > 126 || c == ':') return false;
  }
  return true;
}

// 1*DIGIT; values too large for the type saturate (l= may have 76 digits).
template <class T>
std::optional<T> parse_number(std::string_view s) noexcept {
  if (s.empty()) return std::nullopt;
  T v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const T d = static_cast<T>(c - '0');
    if (v > (std::numeric_limits<T>::max() - d) / 10) {
      v = std::numeric_limits<T>::max();
    } else {
      v = v * 10 + d;
    }
  }
  return v;
}

// Message text quoted in a reason: printable ASCII only (reasons reach logs).
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F) out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<dkim_algorithm> parse_algorithm(std::string_view a) noexcept {
  if (iequals(a, "rsa-sha256")) return dkim_algorithm::rsa_sha256;
  if (iequals(a, "ed25519-sha256")) return dkim_algorithm::ed25519_sha256;
  return std::nullopt;
}

bool is_same_or_subdomain(std::string_view sub, std::string_view parent) noexcept {
  if (iequals(sub, parent)) return true;
  return sub.size() > parent.size() + 1 && sub[sub.size() - parent.size() - 1] == '.' &&
         iequals(sub.substr(sub.size() - parent.size()), parent);
}

std::expected<dkim_signature, signature_problem> parse_dkim_signature(std::string_view value) {
  auto tags = parse_tag_list(value);
  if (!tags) return syntax(tags.error().message);
  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"}) {
    if (tags->find(required) == nullptr) return syntax(fmt::format("signature missing required tag {}=", required));
  }
  dkim_signature sig;
  // §6.1.1: a v= other than 1 is an incompatible version.
  if (*tags->value("v") != "1") return refused("incompatible signature version");

  const auto a = *tags->value("a");
  const auto alg = parse_algorithm(a);
  if (!alg) {
    return refused(iequals(a, "rsa-sha1") ? "rsa-sha1 is not accepted (RFC 8301)"
                                          : fmt::format("unsupported algorithm {}", printable(a.substr(0, 40))));
  }
  sig.algorithm = *alg;

  const auto b = base64_decode(strip_fws(*tags->value("b")));
  if (!b || b->empty()) return syntax("b= is not base64");
  sig.signature = std::move(*b);
  const auto bh = base64_decode(strip_fws(*tags->value("bh")));
  if (!bh) return syntax("bh= is not base64");
  if (bh->size() != 32) return syntax("bh= is not a SHA-256 hash");
  sig.body_hash = std::move(*bh);

  if (const auto c = tags->value("c")) {
    auto cz = parse_canonicalization(*c);
    if (!cz) return syntax("unknown canonicalization in c=");
    sig.canon = *cz;
  }

  const auto d = *tags->value("d");
  if (!valid_domain(d)) return syntax("invalid d= domain");
  sig.domain = lower(d);

  const auto s = *tags->value("s");
  // selector = sub-domain *( "." sub-domain ) (§3.1)
  if (!valid_domain(s)) return syntax("invalid s= selector");
  sig.selector = lower(s);

  const auto names = split_colon_list(*tags->value("h"));
  if (names.size() > max_signed_headers) return refused("too many header fields in h=");
  bool from_signed = false;
  for (auto n : names) {
    if (!valid_field_name(n)) return syntax("invalid field name in h=");
    if (iequals(n, "from")) from_signed = true;
    sig.signed_headers.emplace_back(n);
  }
  // §5.4: "The From header field MUST be signed".
  if (!from_signed) return refused("From field not signed");

  if (const auto i = tags->value("i")) {
    const std::size_t at = i->rfind('@');
    if (at == std::string_view::npos) return syntax("i= without @");
    const auto idomain = i->substr(at + 1);
    if (!valid_domain(idomain)) return syntax("invalid i= domain");
    // §6.1.1: the i= domain must be d= or a subdomain of it.
    if (!is_same_or_subdomain(idomain, sig.domain)) return refused("i= domain is not within d=");
    sig.identity = std::string(*i);
  } else {
    sig.identity = "@" + sig.domain;
  }

  if (const auto l = tags->value("l")) {
    const auto n = parse_number<std::uint64_t>(*l);
    if (!n) return syntax("l= is not a number");
    sig.body_length = *n;
  }

  if (const auto q = tags->value("q")) {
    bool dns_txt = false;
    for (auto m : split_colon_list(*q)) {
      if (iequals(m, "dns/txt")) dns_txt = true;
    }
    if (!dns_txt) return refused("no supported query method in q=");
  }

  if (const auto t = tags->value("t")) {
    const auto n = parse_number<std::int64_t>(*t);
    if (!n) return syntax("t= is not a number");
    sig.timestamp = *n;
  }
  if (const auto x = tags->value("x")) {
    const auto n = parse_number<std::int64_t>(*x);
    if (!n) return syntax("x= is not a number");
    sig.expiration = *n;
    // §3.5: "the value of the x= tag MUST be greater than the value of the t= tag".
    if (sig.timestamp && *sig.expiration < *sig.timestamp) return refused("x= is before t=");
  }
  return sig;
}

}  // namespace letterhead::mailauth
