#include "smtp/proto/address.hpp"

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

namespace {

using core::errc;
using core::fail;

// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3).
constexpr bool is_atext(char c) noexcept {
  if (detail::is_alnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
    case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 5321 §4.1.2 qtextSMTP: %d32-33 / %d35-91 / %d93-126.
constexpr bool is_qtext(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u >= 32 && u <= 126 && c != '"' && c != '\\';
}

// RFC 5321 §4.1.3 dcontent: %d33-90 / %d94-126.
constexpr bool is_dcontent(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return (u >= 33 && u <= 90) || (u >= 94 && u <= 126);
}

// RFC 5321 §4.1.3 IPv4-address-literal: Snum 3("." Snum), Snum = 1*3DIGIT in 0-255.
bool is_ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t i = 0;
  while (true) {
    std::size_t digits = 0;
    unsigned value = 0;
    while (i < s.size() && detail::is_digit(s[i]) && digits < 4) {
      value = value * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || value > 255) return false;
    ++parts;
    if (i == s.size()) return parts == 4;
    if (s[i] != '.' || parts == 4) return false;
    ++i;
  }
}

// Counts the 16-bit groups of one side of an IPv6 address ("1:2:3"), an IPv4 tail
// counting two. False on a malformed group.
bool count_ipv6_groups(std::string_view s, bool allow_ipv4_tail, int& groups) noexcept {
  groups = 0;
  if (s.empty()) return true;
  std::size_t start = 0;
  while (true) {
    std::size_t colon = s.find(':', start);
    std::string_view piece = s.substr(start, colon == std::string_view::npos ? s.npos : colon - start);
    bool last = colon == std::string_view::npos;
    if (last && allow_ipv4_tail && piece.find('.') != std::string_view::npos) {
      if (!is_ipv4(piece)) return false;
      groups += 2;
    } else {
      // RFC 5321 §4.1.3 IPv6-hex: 1*4HEXDIG.
      if (piece.empty() || piece.size() > 4) return false;
      for (char c : piece) {
        if (!detail::is_hex(c)) return false;
      }
      groups += 1;
    }
    if (groups > 8) return false;
    if (last) return true;
    start = colon + 1;
  }
}

// RFC 5321 §4.1.3 IPv6-addr: IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp.
bool is_ipv6(std::string_view s) noexcept {
  std::size_t dc = s.find("::");
  if (dc == std::string_view::npos) {
    int groups = 0;
    return count_ipv6_groups(s, true, groups) && groups == 8;
  }
  if (s.find("::", dc + 1) != std::string_view::npos) return false;
  int left = 0;
  int right = 0;
  if (!count_ipv6_groups(s.substr(0, dc), false, left)) return false;
  if (!count_ipv6_groups(s.substr(dc + 2), true, right)) return false;
  // "::" stands for at least two groups: no more than 6 others (IPv6-comp), or 4
  // others plus the IPv4 tail (IPv6v4-comp).
  return left + right <= 6;
}

// RFC 5321 §4.1.2 Ldh-str used as Standardized-tag: letters, digits, hyphens, not
// ending with a hyphen.
bool is_ldh_str(std::string_view s) noexcept {
  if (s.empty() || s.back() == '-') return false;
  for (char c : s) {
    if (!detail::is_alnum(c) && c != '-') return false;
  }
  return true;
}

bool has_8bit(std::string_view s) noexcept { return !is_ascii(s); }

// A position-tracking scanner over one mailbox: the local part, "@", the domain.
struct mailbox_scanner {
  std::string_view s;
  const parse_options& options;
  std::size_t pos = 0;

  [[nodiscard]] bool at_end() const noexcept { return pos >= s.size(); }
  [[nodiscard]] char peek() const noexcept { return at_end() ? '\0' : s[pos]; }

  // Local-part = Dot-string / Quoted-string, RFC 5321 §4.1.2; RFC 6531 §3.3 adds
  // UTF8-non-ascii to atext and qtextSMTP.
  core::result<std::string_view> local_part() {
    std::size_t begin = pos;
    if (peek() == '"') {
      ++pos;
      while (true) {
        if (at_end()) return fail(errc::invalid, "Unterminated quoted string in address");
        char c = s[pos];
        if (c == '"') {
          ++pos;
          break;
        }
        if (c == '\\') {
          // quoted-pairSMTP = %d92 %d32-126
          if (pos + 1 >= s.size()) return fail(errc::invalid, "Unterminated quoted string in address");
          auto q = static_cast<unsigned char>(s[pos + 1]);
          if (q < 32 || q > 126) return fail(errc::invalid, "Invalid quoted pair in address");
          pos += 2;
        } else if (is_qtext(c) || detail::is_8bit(c)) {
          ++pos;
        } else {
          return fail(errc::invalid, "Invalid character in quoted local part");
        }
      }
    } else {
      while (true) {
        std::size_t atom = pos;
        while (!at_end() && (is_atext(s[pos]) || detail::is_8bit(s[pos]))) ++pos;
        if (pos == atom) return fail(errc::invalid, "Invalid local part in address");
        if (peek() != '.') break;
        ++pos;
      }
    }
    std::string_view local = s.substr(begin, pos - begin);
    if (auto r = check_utf8(local); !r) return std::unexpected(r.error());
    if (local.size() > max_local_part_length) return fail(errc::invalid, "Local part of address too long");
    return local;
  }

  // Domain / address-literal, up to the first byte that cannot belong to one.
  core::result<std::string_view> domain_part() {
    std::size_t begin = pos;
    if (peek() == '[') {
      std::size_t close = s.find(']', pos);
      if (close == std::string_view::npos) return fail(errc::invalid, "Invalid address literal");
      pos = close + 1;
      std::string_view literal = s.substr(begin, pos - begin);
      if (!is_address_literal(literal)) return fail(errc::invalid, "Invalid address literal");
      return literal;
    }
    while (!at_end() && (detail::is_alnum(s[pos]) || s[pos] == '-' || s[pos] == '.' ||
                         detail::is_8bit(s[pos]))) {
      ++pos;
    }
    std::string_view domain = s.substr(begin, pos - begin);
    if (domain.empty()) return fail(errc::invalid, "Missing domain in address");
    if (auto r = check_utf8(domain); !r) return std::unexpected(r.error());
    if (domain.size() > max_domain_length) return fail(errc::invalid, "Domain of address too long");
    if (!is_domain(domain, options)) return fail(errc::invalid, "Invalid domain in address");
    return domain;
  }

  core::result<void> check_utf8(std::string_view part) const {
    if (!has_8bit(part)) return {};
    // RFC 6531 §3.3: UTF-8 only with SMTPUTF8; RFC 6530 §4.2: well-formed.
    if (!options.smtputf8) return fail(errc::invalid, "Non-ASCII address requires SMTPUTF8");
    if (!detail::is_valid_utf8(part)) return fail(errc::invalid, "Invalid UTF-8 in address");
    return {};
  }
};

std::string decode_local_part(std::string_view raw) {
  if (raw.empty() || raw.front() != '"') return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  // The scanner validated it: a closing quote ends raw and every "\" has a successor.
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    if (raw[i] == '\\') ++i;
    out.push_back(raw[i]);
  }
  return out;
}

}  // namespace

bool is_ascii(std::string_view s) noexcept {
  for (char c : s) {
    if (detail::is_8bit(c)) return false;
  }
  return true;
}

std::string normalize_domain(std::string_view domain) {
  std::string out(domain);
  for (char& c : out) c = detail::to_lower(c);
  return out;
}

bool is_domain(std::string_view domain, const parse_options& options) {
  if (domain.empty() || domain.size() > max_domain_length) return false;
  if (has_8bit(domain) && (!options.smtputf8 || !detail::is_valid_utf8(domain))) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = domain.find('.', start);
    std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? domain.npos : dot - start);
    // RFC 5321 §4.1.2 sub-domain = Let-dig [Ldh-str]: no empty label, no hyphen at
    // either end; RFC 6531 §3.3 sub-domain =/ U-label.
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    bool ascii = true;
    for (char c : label) {
      if (detail::is_8bit(c)) {
        ascii = false;
      } else if (!detail::is_alnum(c) && c != '-') {
        return false;
      }
    }
    if (ascii && label.size() > max_label_length) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool is_address_literal(std::string_view literal) {
  if (literal.size() < 3 || literal.front() != '[' || literal.back() != ']') return false;
  std::string_view inner = literal.substr(1, literal.size() - 2);
  // RFC 5321 §4.1.3: IPv4-address-literal starts with a digit, the others with a tag.
  std::size_t colon = inner.find(':');
  if (colon == std::string_view::npos) return is_ipv4(inner);
  std::string_view tag = inner.substr(0, colon);
  std::string_view content = inner.substr(colon + 1);
  if (detail::iequals(tag, "IPv6")) return is_ipv6(content);
  // General-address-literal = Standardized-tag ":" 1*dcontent
  if (!is_ldh_str(tag) || content.empty()) return false;
  for (char c : content) {
    if (!is_dcontent(c)) return false;
  }
  return true;
}

bool is_dot_string(std::string_view s, const parse_options& options) {
  if (s.empty()) return false;
  mailbox_scanner scan{s, options};
  if (s.front() == '"') return false;
  auto local = scan.local_part();
  return local.has_value() && scan.at_end();
}

core::result<mailbox_path> split_path(std::string_view mailbox, const parse_options& options) {
  // RFC 5321 §4.5.1: "Postmaster" without a domain names this server's postmaster.
  if (detail::iequals(mailbox, "postmaster")) return mailbox_path{std::string(mailbox), {}};
  if (mailbox.size() + 2 > max_path_length) return fail(errc::invalid, "Address too long");
  mailbox_scanner scan{mailbox, options};
  auto local = scan.local_part();
  if (!local) return std::unexpected(local.error());
  if (scan.peek() != '@') return fail(errc::invalid, "Missing @domain in address");
  ++scan.pos;
  auto domain = scan.domain_part();
  if (!domain) return std::unexpected(domain.error());
  if (!scan.at_end()) return fail(errc::invalid, "Invalid domain in address");
  return mailbox_path{decode_local_part(*local), std::string(*domain)};
}

std::string to_path(const mailbox_path& mailbox) {
  std::string out;
  if (is_dot_string(mailbox.local, parse_options{.smtputf8 = true})) {
    out = mailbox.local;
  } else {
    // RFC 5321 §4.1.2 Quoted-string; quoted-pairSMTP for "\" and DQUOTE.
    out.push_back('"');
    for (char c : mailbox.local) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  if (!mailbox.domain.empty()) {
    out.push_back('@');
    out += mailbox.domain;
  }
  return out;
}

core::result<parsed_path> parse_path(std::string_view text, std::size_t& consumed,
                                     const path_rules& rules, const parse_options& options) {
  consumed = 0;
  // RFC 5321 §4.1.2 Path = "<" [ A-d-l ":" ] Mailbox ">"
  if (text.empty() || text.front() != '<') {
    return fail(errc::invalid, "Address must be enclosed in <>");
  }
  if (text.starts_with("<>")) {
    // RFC 5321 §4.1.1.2 Reverse-path = Path / "<>"
    if (!rules.allow_null) return fail(errc::invalid, "Null address <> not allowed here");
    consumed = 2;
    return parsed_path{{}, true};
  }
  mailbox_scanner scan{text, options, 1};
  bool source_route = false;
  if (scan.peek() == '@') {
    // RFC 5321 §4.1.2 A-d-l = At-domain *( "," At-domain ); §4.1.1.3 and appendix C:
    // a source route is accepted and ignored.
    source_route = true;
    while (true) {
      if (scan.peek() != '@') return fail(errc::invalid, "Invalid source route in address");
      ++scan.pos;
      std::size_t begin = scan.pos;
      while (!scan.at_end() && (detail::is_alnum(text[scan.pos]) || text[scan.pos] == '-' ||
                                text[scan.pos] == '.' || detail::is_8bit(text[scan.pos]))) {
        ++scan.pos;
      }
      if (!is_domain(text.substr(begin, scan.pos - begin), options)) {
        return fail(errc::invalid, "Invalid source route in address");
      }
      if (scan.peek() == ',') {
        ++scan.pos;
        continue;
      }
      if (scan.peek() == ':') {
        ++scan.pos;
        break;
      }
      return fail(errc::invalid, "Invalid source route in address");
    }
  }
  std::size_t mailbox_begin = scan.pos;
  auto local = scan.local_part();
  if (!local) return std::unexpected(local.error());
  if (scan.peek() == '>' && rules.allow_postmaster && !source_route &&
      detail::iequals(*local, "postmaster")) {
    // RFC 5321 §4.1.1.3: "<Postmaster>" without a domain.
  } else {
    if (scan.peek() != '@') return fail(errc::invalid, "Missing @domain in address");
    ++scan.pos;
    auto domain = scan.domain_part();
    if (!domain) return std::unexpected(domain.error());
  }
  if (scan.peek() != '>') return fail(errc::invalid, "Invalid address syntax");
  std::size_t mailbox_end = scan.pos;
  ++scan.pos;
  // RFC 5321 §4.5.3.1.3: 256 octets, punctuation and source route included.
  if (scan.pos > max_path_length) return fail(errc::invalid, "Address too long");
  consumed = scan.pos;
  return parsed_path{std::string(text.substr(mailbox_begin, mailbox_end - mailbox_begin)), false};
}

}  // namespace letterhead::smtp::proto
