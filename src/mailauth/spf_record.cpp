#include "mailauth/spf_record.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace letterhead::mailauth {

namespace {

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::unexpected<core::error> permerror(std::string why) { return core::fail(core::errc::invalid, std::move(why)); }

std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 200)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

bool is_delimiter(char c) noexcept {
  return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

// macro-literal = %x21-24 / %x26-7E (§7.1)
bool is_macro_literal(char c) noexcept { return c >= 0x21 && c <= 0x7e && c != '%'; }

// §7.1: checks a macro-string's syntax without expanding it.
bool valid_macro_string(std::string_view s, bool explanation) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 1 >= s.size()) return false;
      const char n = s[i + 1];
      if (n == '%' || n == '_' || n == '-') {
        ++i;
        continue;
      }
      if (n != '{') return false;
      const auto close = s.find('}', i + 2);
      if (close == std::string_view::npos || close == i + 2) return false;
      const char letter = lower(s[i + 2]);
      if (std::string_view("slodiphv").find(letter) == std::string_view::npos &&
          !(explanation && std::string_view("crt").find(letter) != std::string_view::npos)) {
        return false;
      }
      std::size_t j = i + 3;
      while (j < close && is_digit(s[j])) ++j;
      if (j < close && lower(s[j]) == 'r') ++j;
      while (j < close && is_delimiter(s[j])) ++j;
      if (j != close) return false;
      i = close;
      continue;
    }
    if (!(is_macro_literal(c) || (explanation && c == ' '))) return false;
  }
  return true;
}

bool is_alphanum(char c) noexcept { return is_alpha(c) || is_digit(c); }

// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
bool is_toplabel(std::string_view l) {
  if (l.empty()) return false;
  if (std::all_of(l.begin(), l.end(), is_alphanum)) return std::any_of(l.begin(), l.end(), is_alpha);
  if (!is_alphanum(l.front()) || !is_alphanum(l.back())) return false;
  return std::all_of(l.begin(), l.end(), [](char c) { return is_alphanum(c) || c == '-'; });
}

// domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand
bool valid_domain_spec(std::string_view s) {
  if (s.empty() || !valid_macro_string(s, false)) return false;
  if (s.back() == '}') return true;  // ends in a macro-expand (the syntax check above saw it)
  std::string_view t = s;
  if (t.back() == '.') t.remove_suffix(1);
  const auto dot = t.rfind('.');
  if (dot == std::string_view::npos) return false;
  return is_toplabel(t.substr(dot + 1));
}

// "/" ("0" / %x31-39 0*1DIGIT) with a value of at most `max` (§5.6), "0" alone or no
// leading zero.
std::optional<unsigned> parse_cidr(std::string_view digits, unsigned max) {
  if (digits.empty() || digits.size() > 3 || !std::all_of(digits.begin(), digits.end(), is_digit)) return {};
  if (digits.size() > 1 && digits[0] == '0') return {};
  unsigned v = 0;
  for (const char c : digits) v = v * 10 + static_cast<unsigned>(c - '0');
  if (v > max) return {};
  return v;
}

// Splits a trailing dual-cidr-length ("/24", "//64", "/24//64") off `arg`.
bool split_dual_cidr(std::string_view& arg, spf_term& t) {
  const auto dd = arg.find("//");
  if (dd != std::string_view::npos) {
    auto v6 = parse_cidr(arg.substr(dd + 2), 128);
    if (!v6) return false;
    t.cidr6 = *v6;
    arg = arg.substr(0, dd);
  }
  const auto slash = arg.rfind('/');
  if (slash != std::string_view::npos) {
    // The rest may be a domain-spec that contains "/" as a literal: only digits after
    // the last "/" make it a cidr-length.
    const auto digits = arg.substr(slash + 1);
    if (!digits.empty() && std::all_of(digits.begin(), digits.end(), is_digit)) {
      auto v4 = parse_cidr(digits, 32);
      if (!v4) return false;
      t.cidr4 = *v4;
      arg = arg.substr(0, slash);
    }
  }
  return true;
}

core::result<void> parse_directive(std::string_view term, spf_term& t) {
  t.text = printable(term);
  std::string_view rest = term;
  switch (rest.front()) {
    case '+': t.qualifier = spf_qualifier::pass; rest.remove_prefix(1); break;
    case '-': t.qualifier = spf_qualifier::fail; rest.remove_prefix(1); break;
    case '~': t.qualifier = spf_qualifier::softfail; rest.remove_prefix(1); break;
    case '?': t.qualifier = spf_qualifier::neutral; rest.remove_prefix(1); break;
    default: break;
  }
  std::size_t n = 0;
  while (n < rest.size() && is_alphanum(rest[n])) ++n;
  const auto name = rest.substr(0, n);
  std::string_view arg = rest.substr(n);
  bool has_domain = false;
  if (!arg.empty() && arg.front() == ':') {
    arg.remove_prefix(1);
    has_domain = true;
  } else if (!arg.empty() && arg.front() != '/') {
    return permerror(fmt::format("bad term '{}'", t.text));
  }
  const auto need_domain = [&]() -> core::result<void> {
    if (!has_domain || !valid_domain_spec(arg)) return permerror(fmt::format("bad domain-spec in '{}'", t.text));
    t.domain_spec = std::string(arg);
    return {};
  };
  if (iequals(name, "all")) {
    t.mechanism = spf_mechanism::all;
    if (!arg.empty() || has_domain) return permerror(fmt::format("bad term '{}'", t.text));
  } else if (iequals(name, "include") || iequals(name, "exists")) {
    t.mechanism = iequals(name, "include") ? spf_mechanism::include : spf_mechanism::exists;
    return need_domain();
  } else if (iequals(name, "a") || iequals(name, "mx")) {
    t.mechanism = iequals(name, "a") ? spf_mechanism::a : spf_mechanism::mx;
    if (!split_dual_cidr(arg, t)) return permerror(fmt::format("bad cidr-length in '{}'", t.text));
    if (has_domain) return need_domain();
    if (!arg.empty()) return permerror(fmt::format("bad term '{}'", t.text));
  } else if (iequals(name, "ptr")) {
    t.mechanism = spf_mechanism::ptr;
    if (has_domain) return need_domain();
    if (!arg.empty()) return permerror(fmt::format("bad term '{}'", t.text));
  } else if (iequals(name, "ip4") || iequals(name, "ip6")) {
    const bool v6 = iequals(name, "ip6");
    t.mechanism = v6 ? spf_mechanism::ip6 : spf_mechanism::ip4;
    if (!has_domain) return permerror(fmt::format("bad term '{}'", t.text));
    const auto slash = arg.find('/');
    std::string_view addr = arg.substr(0, slash);
    if (slash != std::string_view::npos) {
      auto len = parse_cidr(arg.substr(slash + 1), v6 ? 128 : 32);
      if (!len) return permerror(fmt::format("bad cidr-length in '{}'", t.text));
      (v6 ? t.cidr6 : t.cidr4) = *len;
    }
    std::array<std::uint8_t, 16> buf{};
    const std::string a(addr);
    if (::inet_pton(v6 ? AF_INET6 : AF_INET, a.c_str(), buf.data()) != 1) {
      return permerror(fmt::format("bad address in '{}'", t.text));
    }
    t.network.v6 = v6;
    t.network.bytes = buf;
  } else {
    // §5: an unknown mechanism is a permerror.
    return permerror(fmt::format("unknown mechanism '{}'", t.text));
  }
  return {};
}

}  // namespace

std::optional<ip_address> parse_ip(std::string_view text) {
  if (text.size() > 64) return {};
  const std::string s(text);
  ip_address ip;
  if (::inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  std::array<std::uint8_t, 16> b{};
  if (::inet_pton(AF_INET6, s.c_str(), b.data()) != 1) return {};
  static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b.data(), mapped, 12) == 0) {
    std::memcpy(ip.bytes.data(), b.data() + 12, 4);
    return ip;
  }
  ip.v6 = true;
  ip.bytes = b;
  return ip;
}

std::string to_string(const ip_address& ip) {
  char buf[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(ip.v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

bool in_network(const ip_address& ip, const ip_address& net, unsigned prefix) noexcept {
  if (ip.v6 != net.v6) return false;
  prefix = std::min(prefix, ip.v6 ? 128u : 32u);
  const unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole; ++i) {
    if (ip.bytes[i] != net.bytes[i]) return false;
  }
  const unsigned bits = prefix % 8;
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (ip.bytes[whole] & mask) == (net.bytes[whole] & mask);
}

const char* to_string(spf_mechanism m) noexcept {
  switch (m) {
    case spf_mechanism::all: return "all";
    case spf_mechanism::include: return "include";
    case spf_mechanism::a: return "a";
    case spf_mechanism::mx: return "mx";
    case spf_mechanism::ptr: return "ptr";
    case spf_mechanism::ip4: return "ip4";
    case spf_mechanism::ip6: return "ip6";
    case spf_mechanism::exists: return "exists";
  }
  return "?";
}

bool is_spf_record(std::string_view txt) noexcept {
  return txt.size() >= 6 && iequals(txt.substr(0, 6), "v=spf1") && (txt.size() == 6 || txt[6] == ' ');
}

core::result<spf_record> parse_spf_record(std::string_view text) {
  if (!is_spf_record(text)) return permerror("not an SPF record");
  spf_record rec;
  std::size_t pos = 6;
  while (pos < text.size()) {
    // terms = *( 1*SP ( directive / modifier ) ); trailing spaces allowed (§12 *SP)
    if (text[pos] != ' ') return permerror("terms must be separated by spaces");
    while (pos < text.size() && text[pos] == ' ') ++pos;
    if (pos == text.size()) break;
    const auto end = std::min(text.find(' ', pos), text.size());
    const auto term = text.substr(pos, end - pos);
    pos = end;
    if (rec.terms.size() >= max_spf_terms) return permerror("too many terms");
    // modifier: name "=" macro-string, where name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    std::size_t n = 0;
    if (is_alpha(term[0])) {
      n = 1;
      while (n < term.size() && (is_alphanum(term[n]) || term[n] == '-' || term[n] == '_' || term[n] == '.')) ++n;
    }
    if (n > 0 && n < term.size() && term[n] == '=') {
      const auto name = term.substr(0, n);
      const auto value = term.substr(n + 1);
      if (iequals(name, "redirect") || iequals(name, "exp")) {
        auto& slot = iequals(name, "redirect") ? rec.redirect : rec.exp;
        // §6: "redirect" and "exp" MUST NOT appear more than once.
        if (slot) return permerror(fmt::format("more than one {} modifier", printable(name)));
        if (!valid_domain_spec(value)) return permerror(fmt::format("bad domain-spec in '{}'", printable(term)));
        slot = std::string(value);
      } else if (!valid_macro_string(value, false)) {
        // §6: unknown modifiers are ignored, but must be syntactically valid.
        return permerror(fmt::format("bad modifier '{}'", printable(term)));
      }
      continue;
    }
    spf_term t;
    if (auto ok = parse_directive(term, t); !ok) return std::unexpected(ok.error());
    rec.terms.push_back(std::move(t));
  }
  return rec;
}

namespace {

// RFC 3986 unreserved characters stay, everything else is %XX (§7.3 upper-case macros).
void url_escape(std::string_view in, std::string& out) {
  for (const char c : in) {
    if (is_alphanum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
}

std::string macro_value(char letter, const spf_macro_context& ctx) {
  switch (letter) {
    case 's': return std::string(ctx.sender);
    case 'l': {
      const auto at = ctx.sender.rfind('@');
      const auto local = at == std::string_view::npos ? std::string_view() : ctx.sender.substr(0, at);
      return local.empty() ? std::string("postmaster") : std::string(local);
    }
    case 'o': {
      const auto at = ctx.sender.rfind('@');
      return std::string(at == std::string_view::npos ? ctx.sender : ctx.sender.substr(at + 1));
    }
    case 'd': return std::string(ctx.domain);
    case 'i': {
      if (!ctx.ip.v6) return to_string(ctx.ip);
      // §7.3: IPv6 addresses are dot-separated nibbles.
      std::string out;
      static constexpr char hex[] = "0123456789abcdef";
      for (const auto b : ctx.ip.bytes) {
        if (!out.empty()) out += '.';
        out += hex[b >> 4];
        out += '.';
        out += hex[b & 0xf];
      }
      return out;
    }
    case 'p': return ctx.validated_name ? ctx.validated_name() : std::string("unknown");
    case 'v': return ctx.ip.v6 ? "ip6" : "in-addr";
    case 'h': return std::string(ctx.helo);
    case 'c': return to_string(ctx.ip);
    case 'r': return ctx.receiver.empty() ? std::string("unknown") : std::string(ctx.receiver);
    case 't': return std::to_string(ctx.timestamp);
    default: return {};
  }
}

}  // namespace

core::result<std::string> expand_macros(std::string_view spec, const spf_macro_context& ctx, bool explanation) {
  if (!valid_macro_string(spec, explanation)) return permerror(fmt::format("bad macro-string '{}'", printable(spec)));
  std::string out;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (out.size() > max_expansion) return core::fail(core::errc::limit, "macro expansion too long");
    const char c = spec[i];
    if (c != '%') {
      out += c;
      continue;
    }
    const char n = spec[++i];
    if (n == '%') { out += '%'; continue; }
    if (n == '_') { out += ' '; continue; }
    if (n == '-') { out += "%20"; continue; }
    const auto close = spec.find('}', i);
    const char letter_raw = spec[i + 1];
    const char letter = lower(letter_raw);
    std::size_t j = i + 2;
    std::size_t keep = 0;
    bool has_digits = false;
    while (j < close && is_digit(spec[j])) {
      has_digits = true;
      keep = std::min<std::size_t>(keep * 10 + static_cast<std::size_t>(spec[j] - '0'), 1000);
      ++j;
    }
    // §7.3: a DIGIT transformer "MUST be nonzero".
    if (has_digits && keep == 0) return permerror("macro transformer 0");
    bool reverse = false;
    if (j < close && lower(spec[j]) == 'r') {
      reverse = true;
      ++j;
    }
    const auto delims = spec.substr(j, close - j);
    i = close;
    const std::string value = macro_value(letter, ctx);
    if (value.size() > max_expansion) return core::fail(core::errc::limit, "macro expansion too long");
    // Split on the delimiters (default "."), reverse, keep the right-most parts, join with ".".
    std::vector<std::string_view> parts;
    const std::string_view v(value);
    std::size_t start = 0;
    for (std::size_t k = 0; k <= v.size(); ++k) {
      const bool split = k == v.size() || (delims.empty() ? v[k] == '.' : delims.find(v[k]) != std::string_view::npos);
      if (split) {
        parts.push_back(v.substr(start, k - start));
        start = k + 1;
      }
    }
    if (reverse) std::reverse(parts.begin(), parts.end());
    if (has_digits && keep < parts.size()) parts.erase(parts.begin(), parts.end() - static_cast<std::ptrdiff_t>(keep));
    std::string joined;
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (k > 0) joined += '.';
      joined += parts[k];
    }
    if (is_alpha(letter_raw) && letter_raw != letter) {
      url_escape(joined, out);
    } else {
      out += joined;
    }
  }
  if (out.size() > max_expansion) return core::fail(core::errc::limit, "macro expansion too long");
  return out;
}

std::string truncate_domain(std::string name) {
  while (!name.empty() && name.back() == '.') name.pop_back();
  while (name.size() > 253) {
    const auto dot = name.find('.');
    if (dot == std::string::npos) return {};
    name.erase(0, dot + 1);
  }
  return name;
}

}  // namespace letterhead::mailauth
