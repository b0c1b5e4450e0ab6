#include "filter/blocklists.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "filter/detail/text_parts.hpp"

namespace letterhead::filter {

std::optional<std::string> reversed_ip(std::string_view ip) {
  const std::string text(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    const auto* b = reinterpret_cast<const unsigned char*>(&v4);
    return fmt::format("{}.{}.{}.{}", b[3], b[2], b[1], b[0]);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
      const unsigned char byte = v6.s6_addr[i];
      out += hex[byte & 0xf];
      out += '.';
      out += hex[byte >> 4];
      if (i != 0) out += '.';
    }
    return out;
  }
  return std::nullopt;
}

bool is_listing(std::string_view address) {
  in_addr a{};
  if (inet_pton(AF_INET, std::string(address).c_str(), &a) != 1) return false;
  const auto* b = reinterpret_cast<const unsigned char*>(&a);
  if (b[0] != 127) return false;
  if (b[1] == 255 && b[2] == 255) return false;  // query refused / error codes
  return !(b[1] == 0 && b[2] == 0 && b[3] == 1);
}

namespace {

// ASCII by hand, not <cctype>: those ask the locale for every byte, and this runs
// over every byte of a message's text.
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

bool starts_with_nocase(std::string_view s, std::size_t at, std::string_view prefix) {
  if (s.size() - at < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[at + i]) != prefix[i]) return false;
  }
  return true;
}

bool all_digits_and_dots(std::string_view h) {
  return std::ranges::all_of(h, [](char c) { return c == '.' || std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

std::vector<std::string> link_hosts(std::string_view text, std::size_t max) {
  std::vector<std::string> out;
  // A link has "://" after "http" or "https", or starts with "www.": rather than
  // look at every byte, jump from one ':' or '.' to the next (memchr, through find).
  std::size_t colon = text.find(':');
  std::size_t dot = text.find('.');
  for (std::size_t i = 0; i < text.size() && out.size() < max;) {
    if (colon < i) colon = text.find(':', i);
    if (dot < i) dot = text.find('.', i);
    const std::size_t at = std::min(colon, dot);
    if (at == std::string_view::npos) break;
    std::size_t start = std::string_view::npos;
    if (at == colon) {
      if (text.substr(at + 1, 2) == "//" &&
          ((at >= 5 && starts_with_nocase(text, at - 5, "https")) || (at >= 4 && starts_with_nocase(text, at - 4, "http")))) {
        start = at + 3;
      }
    } else if (at >= 3 && starts_with_nocase(text, at - 3, "www") && (at == 3 || !host_char(text[at - 4]))) {
      start = at - 3;
    }
    if (start == std::string_view::npos) {
      i = at + 1;
      continue;
    }
    // authority = [userinfo "@"] host [":" port] (RFC 3986 §3.2); the host ends at
    // the first byte that cannot be in a name.
    std::size_t end = start;
    while (end < text.size() && end - start < 255 && text[end] != '/' && text[end] != '?' && text[end] != '#' &&
           text[end] != '"' && text[end] != '\'' && text[end] != '<' && text[end] != '>' &&
           std::isspace(static_cast<unsigned char>(text[end])) == 0) {
      ++end;
    }
    std::string_view authority = text.substr(start, end - start);
    if (const auto userinfo = authority.rfind('@'); userinfo != std::string_view::npos) {
      authority.remove_prefix(userinfo + 1);
    }
    std::size_t len = 0;
    while (len < authority.size() && host_char(authority[len])) ++len;
    std::string host(authority.substr(0, len));
    while (!host.empty() && host.back() == '.') host.pop_back();
    for (auto& ch : host) ch = lower(ch);
    i = std::max(end, at + 1);
    if (host.find('.') == std::string::npos || all_digits_and_dots(host)) continue;
    if (std::ranges::find(out, host) == out.end()) out.push_back(std::move(host));
  }
  return out;
}

std::vector<std::string> uribl_candidates(std::string_view host, const mailauth::public_suffix_list* psl) {
  std::vector<std::string> out;
  std::string h(host);
  if (h.starts_with("www.")) h.erase(0, 4);
  if (psl != nullptr) {
    // A public suffix alone ("co.uk") names no one: nothing to ask.
    if (h.find('.') == std::string::npos || psl->public_suffix(h) == h) return out;
    auto org = psl->organizational_domain(h);
    if (h != org) out.push_back(h);
    out.push_back(std::move(org));
    return out;
  }
  const auto last = h.rfind('.');
  if (last == std::string::npos || last == 0) return out;
  const auto second = h.rfind('.', last - 1);
  const std::string registered = second == std::string::npos ? h : h.substr(second + 1);
  if (h != registered) out.push_back(h);
  out.push_back(registered);
  return out;
}

namespace {

struct lookup {
  std::string name;   // the queried name, e.g. "2.0.0.127.zen.example"
  std::string zone;
  std::string what;   // what was listed: the IP or the domain
};

// Asks every name at once (one batch, one timeout) and reports each listing.
void run_lookups(dns::resolver& resolver, const std::vector<lookup>& lookups, std::string_view rule,
                 std::vector<finding>& out) {
  if (lookups.empty()) return;
  std::vector<std::string> names;
  names.reserve(lookups.size());
  for (const auto& l : lookups) names.push_back(l.name);
  const auto answers = resolver.ipv4_many(names);
  for (std::size_t i = 0; i < answers.size() && i < lookups.size(); ++i) {
    if (answers[i].result != dns::status::ok) continue;
    for (const auto& a : answers[i].records) {
      if (!is_listing(a)) continue;
      out.push_back(finding{std::string(rule), fmt::format("{}:{}={}", lookups[i].zone, lookups[i].what, a), {}});
      break;
    }
  }
}

class dnsbl_rules final : public rule_source {
 public:
  dnsbl_rules(dns::resolver& r, std::vector<std::string> zones) : resolver_(r), zones_(std::move(zones)) {}

  void evaluate(const message_input& in, std::vector<finding>& out) override {
    const auto rev = reversed_ip(in.client_ip);
    if (!rev || zones_.empty()) return;
    std::vector<lookup> lookups;
    for (const auto& z : zones_) lookups.push_back({*rev + "." + z, z, in.client_ip});
    run_lookups(resolver_, lookups, "RCVD_IN_DNSBL", out);
  }

 private:
  dns::resolver& resolver_;
  std::vector<std::string> zones_;
};

class uribl_rules final : public rule_source {
 public:
  uribl_rules(dns::resolver& r, std::vector<std::string> zones, std::size_t max,
              const mailauth::public_suffix_list* psl)
      : resolver_(r), zones_(std::move(zones)), max_(max), psl_(psl) {}

  void evaluate(const message_input& in, std::vector<finding>& out) override {
    if (zones_.empty() || max_ == 0 || in.parsed == nullptr) return;
    std::vector<std::string> domains;
    for (const auto& t : in.texts()) {
      for (const auto& host : link_hosts(t.text, max_)) {
        for (auto& d : uribl_candidates(host, psl_)) {
          if (domains.size() < max_ && std::ranges::find(domains, d) == domains.end()) domains.push_back(std::move(d));
        }
      }
    }
    std::vector<lookup> lookups;
    for (const auto& d : domains) {
      for (const auto& z : zones_) lookups.push_back({d + "." + z, z, d});
    }
    std::vector<finding> found;
    run_lookups(resolver_, lookups, "URIBL_LISTED", found);
    // One hit per zone: a message with ten links to one listed site is not ten
    // times as bad.
    std::vector<std::string> zones_hit;
    for (auto& f : found) {
      const auto zone = f.detail.substr(0, f.detail.find(':'));
      if (std::ranges::find(zones_hit, zone) != zones_hit.end()) continue;
      zones_hit.push_back(zone);
      out.push_back(std::move(f));
    }
  }

 private:
  dns::resolver& resolver_;
  std::vector<std::string> zones_;
  std::size_t max_;
  const mailauth::public_suffix_list* psl_;
};

}  // namespace

std::unique_ptr<rule_source> make_dnsbl_rules(dns::resolver& resolver, std::vector<std::string> zones) {
  return std::make_unique<dnsbl_rules>(resolver, std::move(zones));
}

std::unique_ptr<rule_source> make_uribl_rules(dns::resolver& resolver, std::vector<std::string> zones,
                                              std::size_t max_lookups, const mailauth::public_suffix_list* psl) {
  return std::make_unique<uribl_rules>(resolver, std::move(zones), max_lookups, psl);
}

}  // namespace letterhead::filter
