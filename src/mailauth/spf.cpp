#include "mailauth/spf.hpp"

#include <algorithm>
#include <ctime>
#include <optional>
#include <variant>

#include <fmt/format.h>

namespace letterhead::mailauth {

const char* to_string(spf_result r) noexcept {
  switch (r) {
    case spf_result::none: return "none";
    case spf_result::neutral: return "neutral";
    case spf_result::pass: return "pass";
    case spf_result::fail: return "fail";
    case spf_result::softfail: return "softfail";
    case spf_result::temperror: return "temperror";
    case spf_result::permerror: return "permerror";
  }
  return "none";
}

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

std::string printable(std::string_view s, std::size_t max = 255) {
  std::string out;
  for (const char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

// §4.3: a <domain> that is not a multi-label domain name with labels of 1 to 63
// octets gives "none" (checked before any lookup).
bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  if (d.back() == '.') d.remove_suffix(1);
  if (d.find('.') == std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= d.size()) {
    const auto dot = std::min(d.find('.', start), d.size());
    const auto len = dot - start;
    if (len == 0 || len > 63) return false;
    start = dot + 1;
  }
  return true;
}

// Why a check_host() ended early: the result it ends with.
struct stop {
  spf_result result;
  std::string reason;
};

// One evaluation: the counters of §4.6.4 are shared by every nested check_host()
// (include, redirect), so a loop of includes ends at the 10-term limit.
class evaluator {
 public:
  evaluator(dns::resolver& dns, const ip_address& ip, std::string_view helo, const spf_options& o)
      : dns_(dns), ip_(ip), helo_(helo), o_(o), start_(std::chrono::steady_clock::now()) {}

  unsigned dns_terms = 0;
  unsigned void_lookups = 0;

  spf_outcome check_host(std::string_view domain, std::string_view sender) {
    spf_outcome out;
    auto r = check(domain, sender, 0, out.explanation);
    out.result = r.result;
    out.reason = printable(r.reason);
    out.domain = lower(domain);
    out.sender = std::string(sender);
    out.dns_terms = dns_terms;
    out.void_lookups = void_lookups;
    return out;
  }

 private:
  dns::resolver& dns_;
  ip_address ip_;
  std::string_view helo_;
  const spf_options& o_;
  std::chrono::steady_clock::time_point start_;
  std::optional<std::string> validated_;  // %{p}, computed once

  bool out_of_time() const { return std::chrono::steady_clock::now() - start_ > o_.max_time; }

  // Counts a DNS-querying term (include, a, mx, ptr, exists, redirect).
  std::optional<stop> count_term() {
    if (++dns_terms > o_.max_dns_terms) return stop{spf_result::permerror, "too many DNS lookups"};
    if (out_of_time()) return stop{spf_result::temperror, "SPF evaluation took too long"};
    return std::nullopt;
  }

  // A lookup that found nothing (NXDOMAIN or no answers), §4.6.4.
  std::optional<stop> count_void() {
    if (++void_lookups > o_.max_void_lookups) return stop{spf_result::permerror, "too many void DNS lookups"};
    return std::nullopt;
  }

  static bool is_temporary(dns::status s) { return s == dns::status::temporary || s == dns::status::bogus; }
  static bool is_void(dns::status s) { return s == dns::status::nxdomain || s == dns::status::nodata; }

  spf_macro_context macros(std::string_view domain, std::string_view sender) {
    spf_macro_context m;
    m.sender = sender;
    m.domain = domain;
    m.helo = helo_;
    m.receiver = o_.receiver;
    m.ip = ip_;
    m.timestamp = o_.now != 0 ? o_.now : static_cast<std::int64_t>(std::time(nullptr));
    m.validated_name = [this, domain]() { return validated_name(domain); };
    return m;
  }

  // The target of a term: its expanded domain-spec, or the current domain.
  std::optional<std::string> target(const std::string& spec, std::string_view domain, std::string_view sender,
                                    std::string& error) {
    if (spec.empty()) return lower(domain);
    auto e = expand_macros(spec, macros(domain, sender));
    if (!e) {
      error = e.error().message;
      return std::nullopt;
    }
    return lower(truncate_domain(std::move(*e)));
  }

  bool addresses_match(const std::vector<std::string>& addrs, unsigned cidr4, unsigned cidr6) const {
    for (const auto& a : addrs) {
      auto ip = parse_ip(a);
      if (ip && in_network(ip_, *ip, ip_.v6 ? cidr6 : cidr4)) return true;
    }
    return false;
  }

  // §5.5: PTR names of the client that resolve back to its address, at most
  // max_ptr_names of them. DNS errors make a name (or the whole list) not match.
  std::vector<std::string> validated_names() {
    std::vector<std::string> out;
    auto names = dns_.ptr(to_string(ip_));
    if (names.result != dns::status::ok) return out;
    std::size_t tried = 0;
    for (const auto& n : names.records) {
      if (tried++ >= o_.max_ptr_names || out_of_time()) break;
      auto a = dns_.addresses(n);
      if (a.result == dns::status::ok && addresses_match(a.records, 32, 128)) out.push_back(lower(n));
    }
    return out;
  }

  // %{p} (§7.3): a validated name, preferring one under <domain>; "unknown" if none.
  std::string validated_name(std::string_view domain) {
    if (validated_) return *validated_;
    const auto names = validated_names();
    std::string pick = "unknown";
    const auto d = lower(domain);
    for (const auto& n : names) {
      if (n == d || (n.size() > d.size() && n.ends_with(d) && n[n.size() - d.size() - 1] == '.')) {
        pick = n;
        break;
      }
    }
    if (pick == "unknown" && !names.empty()) pick = names.front();
    validated_ = pick;
    return pick;
  }

  // Evaluates one mechanism: true if it matches; a stop ends the evaluation.
  std::variant<bool, stop> matches(const spf_term& t, std::string_view domain, std::string_view sender, int depth) {
    std::string error;
    switch (t.mechanism) {
      case spf_mechanism::all: return true;
      case spf_mechanism::ip4:
      case spf_mechanism::ip6:
        return in_network(ip_, t.network, t.mechanism == spf_mechanism::ip6 ? t.cidr6 : t.cidr4);
      case spf_mechanism::include: {
        if (auto s = count_term()) return *s;
        auto name = target(t.domain_spec, domain, sender, error);
        if (!name) return stop{spf_result::permerror, error};
        std::string ignored;
        auto r = check(*name, sender, depth + 1, ignored);
        // §5.2: the include's result decides whether it matches.
        switch (r.result) {
          case spf_result::pass: return true;
          case spf_result::fail:
          case spf_result::softfail:
          case spf_result::neutral: return false;
          case spf_result::temperror: return r;
          case spf_result::none:
            return stop{spf_result::permerror, fmt::format("include:{} has no SPF record", *name)};
          case spf_result::permerror: return r;
        }
        return false;
      }
      case spf_mechanism::a: {
        if (auto s = count_term()) return *s;
        auto name = target(t.domain_spec, domain, sender, error);
        if (!name) return stop{spf_result::permerror, error};
        auto a = dns_.addresses(*name);
        if (is_temporary(a.result)) return stop{spf_result::temperror, fmt::format("a:{}: {}", *name, a.why)};
        if (is_void(a.result)) {
          if (auto s = count_void()) return *s;
          return false;
        }
        return addresses_match(a.records, t.cidr4, t.cidr6);
      }
      case spf_mechanism::mx: {
        if (auto s = count_term()) return *s;
        auto name = target(t.domain_spec, domain, sender, error);
        if (!name) return stop{spf_result::permerror, error};
        auto mx = dns_.mx(*name);
        if (is_temporary(mx.result)) return stop{spf_result::temperror, fmt::format("mx:{}: {}", *name, mx.why)};
        if (is_void(mx.result)) {
          if (auto s = count_void()) return *s;
          return false;
        }
        // §4.6.4: more than 10 MX names is a permerror.
        if (mx.records.size() > o_.max_mx_names) {
          return stop{spf_result::permerror, fmt::format("mx:{} has more than {} MX records", *name, o_.max_mx_names)};
        }
        for (const auto& m : mx.records) {
          if (m.host.empty()) continue;  // RFC 7505 null MX
          if (out_of_time()) return stop{spf_result::temperror, "SPF evaluation took too long"};
          auto a = dns_.addresses(m.host);
          if (is_temporary(a.result)) return stop{spf_result::temperror, fmt::format("mx host {}: {}", m.host, a.why)};
          if (a.result == dns::status::ok && addresses_match(a.records, t.cidr4, t.cidr6)) return true;
        }
        return false;
      }
      case spf_mechanism::ptr: {
        if (auto s = count_term()) return *s;
        auto name = target(t.domain_spec, domain, sender, error);
        if (!name) return stop{spf_result::permerror, error};
        auto names = dns_.ptr(to_string(ip_));
        if (is_void(names.result)) {
          if (auto s = count_void()) return *s;
          return false;
        }
        if (names.result != dns::status::ok) return false;  // §5.5: a DNS error is no match
        std::size_t tried = 0;
        for (const auto& n : names.records) {
          if (tried++ >= o_.max_ptr_names || out_of_time()) break;
          const auto ln = lower(n);
          const bool under = ln == *name || (ln.size() > name->size() && ln.ends_with(*name) &&
                                             ln[ln.size() - name->size() - 1] == '.');
          if (!under) continue;
          auto a = dns_.addresses(n);
          if (a.result == dns::status::ok && addresses_match(a.records, 32, 128)) return true;
        }
        return false;
      }
      case spf_mechanism::exists: {
        if (auto s = count_term()) return *s;
        auto name = target(t.domain_spec, domain, sender, error);
        if (!name) return stop{spf_result::permerror, error};
        auto a = dns_.addresses(*name);
        if (is_temporary(a.result)) return stop{spf_result::temperror, fmt::format("exists:{}: {}", *name, a.why)};
        // §5.7: an A lookup, whatever the client's address family.
        const bool any_v4 = std::any_of(a.records.begin(), a.records.end(), [](const std::string& s) {
          auto ip = parse_ip(s);
          return ip && !ip->v6;
        });
        if (!any_v4) {
          if (auto s = count_void()) return *s;
          return false;
        }
        return true;
      }
    }
    return false;
  }

  // §6.2: the explanation of a fail; any problem means no explanation.
  std::string explain(const std::string& spec, std::string_view domain, std::string_view sender) {
    std::string error;
    auto name = target(spec, domain, sender, error);
    if (!name || name->empty() || out_of_time()) return {};
    auto txt = dns_.txt(*name);
    if (txt.result != dns::status::ok || txt.records.size() != 1) return {};
    auto text = expand_macros(txt.records.front(), macros(domain, sender), true);
    if (!text) return {};
    return printable(*text, 512);
  }

  // check_host() of §4 for <domain>; `explanation` is set on a fail with exp=.
  stop check(std::string_view domain_in, std::string_view sender, int depth, std::string& explanation) {
    const std::string domain = lower(truncate_domain(std::string(domain_in)));
    if (!valid_domain(domain)) return {spf_result::none, fmt::format("not a valid domain: {}", printable(domain_in))};
    if (out_of_time()) return {spf_result::temperror, "SPF evaluation took too long"};
    // §4.4: the TXT records of <domain>.
    auto txt = dns_.txt(domain);
    if (is_temporary(txt.result)) return {spf_result::temperror, fmt::format("{}: {}", domain, txt.why)};
    const std::string* record = nullptr;
    std::size_t count = 0;
    for (const auto& r : txt.records) {
      if (is_spf_record(r)) {
        record = &r;
        ++count;
      }
    }
    // §4.5: no record is none; more than one is permerror.
    if (count == 0) {
      // A missing record at an include/redirect target is a void lookup too.
      if (depth > 0 && is_void(txt.result)) {
        if (auto s = count_void()) return *s;
      }
      return {spf_result::none, fmt::format("no SPF record at {}", domain)};
    }
    if (count > 1) return {spf_result::permerror, fmt::format("more than one SPF record at {}", domain)};
    auto rec = parse_spf_record(*record);
    if (!rec) return {spf_result::permerror, fmt::format("{}: {}", domain, rec.error().message)};

    bool has_all = false;
    for (const auto& t : rec->terms) {
      auto m = matches(t, domain, sender, depth);
      if (auto* s = std::get_if<stop>(&m)) return std::move(*s);
      if (t.mechanism == spf_mechanism::all) has_all = true;
      if (!std::get<bool>(m)) continue;
      const auto why = fmt::format("{} matched {}", domain, t.text);
      switch (t.qualifier) {
        case spf_qualifier::pass: return {spf_result::pass, why};
        case spf_qualifier::neutral: return {spf_result::neutral, why};
        case spf_qualifier::softfail: return {spf_result::softfail, why};
        case spf_qualifier::fail:
          if (rec->exp) explanation = explain(*rec->exp, domain, sender);
          return {spf_result::fail, why};
      }
    }
    // §6.1: redirect applies when no mechanism matched (and the record has no "all",
    // which always matches).
    if (rec->redirect && !has_all) {
      if (auto s = count_term()) return *s;
      std::string error;
      auto name = target(*rec->redirect, domain, sender, error);
      if (!name) return {spf_result::permerror, error};
      auto r = check(*name, sender, depth + 1, explanation);
      if (r.result == spf_result::none) {
        return {spf_result::permerror, fmt::format("redirect={} has no SPF record", *name)};
      }
      return r;
    }
    // §4.7: nothing matched: neutral.
    return {spf_result::neutral, fmt::format("no term of {} matched", domain)};
  }
};

}  // namespace

spf_outcome check_host(dns::resolver& dns, const ip_address& ip, std::string_view domain, std::string_view sender,
                       std::string_view helo, const spf_options& options) {
  evaluator e(dns, ip, helo, options);
  return e.check_host(domain, sender);
}

spf_outcome verify_spf(dns::resolver& dns, std::string_view client_ip, std::string_view mail_from,
                       std::string_view helo, const spf_options& options) {
  spf_outcome out;
  std::string sender;
  std::string domain;
  if (mail_from.empty()) {
    // §2.3: with a null reverse-path, the HELO identity: postmaster@<helo>.
    out.identity = "helo";
    const bool literal = !helo.empty() && helo.front() == '[';
    if (literal || !valid_domain(helo)) {
      out.domain = printable(helo);
      out.reason = "HELO is not a domain name";
      return out;
    }
    domain = std::string(helo);
    sender = "postmaster@" + domain;
  } else {
    out.identity = "mailfrom";
    const auto at = mail_from.rfind('@');
    if (at == std::string_view::npos) {
      out.domain = printable(mail_from);
      out.reason = "MAIL FROM has no domain";
      return out;
    }
    domain = std::string(mail_from.substr(at + 1));
    // §4.3: an empty local-part is "postmaster".
    sender = at == 0 ? "postmaster@" + domain : std::string(mail_from);
  }
  auto ip = parse_ip(client_ip);
  if (!ip) {
    out.domain = printable(domain);
    out.sender = printable(sender);
    out.reason = "client address unknown";
    return out;
  }
  auto identity = std::move(out.identity);
  out = check_host(dns, *ip, domain, sender, helo, options);
  out.identity = std::move(identity);
  return out;
}

std::string format_result(const spf_outcome& o) {
  // RFC 8601 §2.2: comments must not carry parentheses or backslashes of their own.
  auto comment = [](std::string_view s) {
    std::string out;
    for (const char c : s) out.push_back((c == '(' || c == ')' || c == '\\') ? ' ' : c);
    return out;
  };
  std::string out = fmt::format("spf={}", to_string(o.result));
  if (!o.reason.empty()) out += fmt::format(" ({})", comment(o.reason));
  // RFC 8601 §2.7.2: smtp.mailfrom carries the address (or its domain), smtp.helo the name.
  const auto value = o.identity == "helo" ? o.domain : (o.sender.empty() ? o.domain : o.sender);
  if (value.empty()) return out;
  // pvalue (§2.2): a plain local@domain when it is made of atom characters, else quoted.
  bool plain = true;
  std::string quoted;
  for (const char c : value) {
    const bool atom = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      std::string_view(".-_+@").find(c) != std::string_view::npos;
    plain = plain && atom;
    if (c > 0x20 && c < 0x7f && c != '"' && c != '\\') quoted += c;
  }
  out += fmt::format(" smtp.{}={}", o.identity == "helo" ? "helo" : "mailfrom",
                     plain ? value : fmt::format("\"{}\"", quoted));
  return out;
}

}  // namespace letterhead::mailauth
