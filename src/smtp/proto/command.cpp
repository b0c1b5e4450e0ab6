#include "smtp/proto/command.hpp"

#include <array>
#include <limits>

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

namespace {

using core::errc;
using core::fail;

struct verb_name {
  verb v;
  std::string_view name;
};

constexpr std::array<verb_name, 15> verb_names{{
    {verb::helo, "HELO"},         // RFC 5321 §4.1.1.1
    {verb::ehlo, "EHLO"},         // RFC 5321 §4.1.1.1
    {verb::lhlo, "LHLO"},         // RFC 2033 §4.1
    {verb::mail, "MAIL"},         // RFC 5321 §4.1.1.2
    {verb::rcpt, "RCPT"},         // RFC 5321 §4.1.1.3
    {verb::data, "DATA"},         // RFC 5321 §4.1.1.4
    {verb::bdat, "BDAT"},         // RFC 3030 §2
    {verb::rset, "RSET"},         // RFC 5321 §4.1.1.5
    {verb::noop, "NOOP"},         // RFC 5321 §4.1.1.9
    {verb::quit, "QUIT"},         // RFC 5321 §4.1.1.10
    {verb::help, "HELP"},         // RFC 5321 §4.1.1.8
    {verb::vrfy, "VRFY"},         // RFC 5321 §4.1.1.6
    {verb::expn, "EXPN"},         // RFC 5321 §4.1.1.7
    {verb::starttls, "STARTTLS"}, // RFC 3207 §4
    {verb::auth, "AUTH"},         // RFC 4954 §4
}};

constexpr std::string_view trim_left(std::string_view s) noexcept {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return s;
}
constexpr std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}
constexpr std::string_view trim(std::string_view s) noexcept { return trim_right(trim_left(s)); }

// The first space-separated word of s (s trimmed on the left), and the rest after it.
constexpr std::string_view first_word(std::string_view s, std::string_view& rest) noexcept {
  s = trim_left(s);
  std::size_t sp = s.find(' ');
  std::string_view word = s.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view{} : s.substr(sp);
  return word;
}

// RFC 5321 §4.1.2 esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_esmtp_keyword(std::string_view s) noexcept {
  if (s.empty() || !detail::is_alnum(s.front())) return false;
  for (char c : s) {
    if (!detail::is_alnum(c) && c != '-') return false;
  }
  return true;
}

// RFC 5321 §4.1.2 esmtp-value = 1*(%d33-60 / %d62-126); RFC 6531 §3.3 adds
// UTF8-non-ascii.
bool is_esmtp_value(std::string_view s, const parse_options& options) noexcept {
  if (s.empty()) return false;
  bool ascii = true;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      ascii = false;
    } else if (u < 33 || u > 126 || c == '=') {
      return false;
    }
  }
  return ascii || (options.smtputf8 && detail::is_valid_utf8(s));
}

// Mail-parameters / Rcpt-parameters = esmtp-param *(SP esmtp-param), after the path.
core::result<void> parse_params(std::string_view rest, command& cmd, const parse_options& options) {
  if (trim_right(rest).empty()) return {};
  if (rest.front() != ' ') return fail(errc::invalid, "Syntax error after the address");
  while (true) {
    std::string_view word = first_word(rest, rest);
    if (word.empty()) return {};
    std::size_t eq = word.find('=');
    std::string_view keyword = word.substr(0, eq);
    if (!is_esmtp_keyword(keyword)) return fail(errc::invalid, "Invalid parameter syntax");
    esmtp_param param{detail::upper(keyword), std::nullopt};
    if (eq != std::string_view::npos) {
      std::string_view value = word.substr(eq + 1);
      if (!is_esmtp_value(value, options)) return fail(errc::invalid, "Invalid parameter value");
      param.value = std::string(value);
    }
    if (find_param(cmd, param.keyword) != nullptr) return fail(errc::invalid, "Duplicate parameter");
    if (cmd.params.size() == max_esmtp_params) return fail(errc::invalid, "Too many parameters");
    cmd.params.push_back(std::move(param));
  }
}

// HELO/EHLO/LHLO argument. RFC 5321 §4.1.1.1 asks for a Domain (HELO) or a Domain or
// address-literal (EHLO); real clients send host names with underscores and other
// small faults, so only the characters are checked, not label structure.
bool is_greeting_domain(std::string_view s, const parse_options& options) {
  if (s.empty() || s.size() > max_domain_length) return false;
  if (s.front() == '[') return is_address_literal(s);
  bool ascii = true;
  bool has_let_dig = false;
  for (char c : s) {
    if (detail::is_8bit(c)) {
      ascii = false;
      has_let_dig = true;
    } else if (detail::is_alnum(c)) {
      has_let_dig = true;
    } else if (c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  if (!has_let_dig) return false;
  return ascii || (options.smtputf8 && detail::is_valid_utf8(s));
}

// RFC 4422 §3.1 sasl-mech = 1*20(UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE), matched
// case-insensitively.
bool is_sasl_mechanism(std::string_view s) noexcept {
  if (s.empty() || s.size() > 20) return false;
  for (char c : s) {
    if (!detail::is_alnum(c) && c != '-' && c != '_') return false;
  }
  return true;
}

// RFC 4954 §4 initial-response = base64 / "="
bool is_initial_response(std::string_view s) noexcept {
  if (s == "=") return true;
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (char c : s) {
    if (c == '=') {
      ++pad;
    } else if (pad > 0 || !(detail::is_alnum(c) || c == '+' || c == '/')) {
      return false;
    }
  }
  return pad <= 2;
}

core::result<void> parse_greeting(std::string_view rest, command& cmd, const parse_options& options) {
  std::string_view domain = trim(rest);
  if (domain.empty()) {
    std::string usage = "Syntax: ";
    usage += to_string(cmd.v);
    usage += " domain";
    return fail(errc::invalid, std::move(usage));
  }
  if (!is_greeting_domain(domain, options)) return fail(errc::invalid, "Invalid domain name");
  cmd.domain = std::string(domain);
  return {};
}

core::result<void> parse_mail_rcpt(std::string_view rest, command& cmd, const parse_options& options) {
  const bool mail = cmd.v == verb::mail;
  // RFC 5321 §4.1.1.2 "MAIL FROM:" Reverse-path; §4.1.1.3 "RCPT TO:" Forward-path.
  const std::string_view keyword = mail ? "FROM:" : "TO:";
  const char* usage = mail ? "Syntax: MAIL FROM:<address> [parameters]"
                           : "Syntax: RCPT TO:<address> [parameters]";
  rest = trim_left(rest);
  if (!detail::istarts_with(rest, keyword)) return fail(errc::invalid, usage);
  // Liberal: "MAIL FROM: <a@b>" is common (RFC 5321 has no space there).
  rest = trim_left(rest.substr(keyword.size()));
  if (rest.empty()) return fail(errc::invalid, usage);
  std::size_t consumed = 0;
  auto path = parse_path(rest, consumed, path_rules{.allow_null = mail, .allow_postmaster = !mail},
                         options);
  if (!path) return std::unexpected(path.error());
  cmd.path = std::move(path->mailbox);
  cmd.null_path = path->null_path;
  return parse_params(rest.substr(consumed), cmd, options);
}

core::result<void> parse_bdat(std::string_view rest, command& cmd) {
  // RFC 3030 §2 bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF
  constexpr const char* usage = "Syntax: BDAT size [LAST]";
  std::string_view size = first_word(rest, rest);
  if (size.empty()) return fail(errc::invalid, usage);
  std::uint64_t value = 0;
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  for (char c : size) {
    if (!detail::is_digit(c)) return fail(errc::invalid, usage);
    auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (max - d) / 10) return fail(errc::invalid, "BDAT chunk size too large");
    value = value * 10 + d;
  }
  std::string_view marker = first_word(rest, rest);
  if (!marker.empty() && !detail::iequals(marker, "LAST")) return fail(errc::invalid, usage);
  if (!trim(rest).empty()) return fail(errc::invalid, usage);
  cmd.chunk_size = value;
  cmd.last_chunk = !marker.empty();
  return {};
}

core::result<void> parse_auth(std::string_view rest, command& cmd) {
  // RFC 4954 §4 "AUTH" SP sasl-mech [SP initial-response]
  constexpr const char* usage = "Syntax: AUTH mechanism [initial-response]";
  std::string_view argument = trim(rest);
  std::string_view mechanism = first_word(argument, rest);
  if (!is_sasl_mechanism(mechanism)) return fail(errc::invalid, usage);
  std::string_view response = first_word(rest, rest);
  if (!trim(rest).empty()) return fail(errc::invalid, usage);
  if (!response.empty()) {
    if (!is_initial_response(response)) return fail(errc::invalid, "Invalid base64 in initial response");
    cmd.auth_initial_response = std::string(response);
  }
  cmd.auth_mechanism = detail::upper(mechanism);
  cmd.argument = std::string(argument);
  return {};
}

}  // namespace

std::string_view to_string(verb v) noexcept {
  for (const auto& n : verb_names) {
    if (n.v == v) return n.name;
  }
  return {};
}

const esmtp_param* find_param(const command& cmd, std::string_view keyword) noexcept {
  for (const auto& p : cmd.params) {
    if (detail::iequals(p.keyword, keyword)) return &p;
  }
  return nullptr;
}

core::result<command> parse_command(std::string_view line, const parse_options& options) {
  // RFC 5321 §2.3.8 and §4.1.1: a command is text ended by CRLF; a NUL, a bare CR or
  // LF, or another control character in it is not something a client can mean, and
  // passing one on invites log and reply injection.
  for (char c : line) {
    if (detail::is_control(c)) return fail(errc::invalid, "Control characters are not allowed in commands");
  }
  command cmd;
  // RFC 5321 §4.1.1: the verb, then SP and arguments; verbs are case-insensitive.
  std::size_t sp = line.find(' ');
  std::string_view word = line.substr(0, sp);
  std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  for (const auto& n : verb_names) {
    if (detail::iequals(word, n.name)) {
      cmd.v = n.v;
      break;
    }
  }

  core::result<void> ok;
  switch (cmd.v) {
    case verb::unknown:
      cmd.argument = std::string(line);
      return cmd;
    case verb::helo:
    case verb::ehlo:
    case verb::lhlo:
      ok = parse_greeting(rest, cmd, options);
      break;
    case verb::mail:
    case verb::rcpt:
      ok = parse_mail_rcpt(rest, cmd, options);
      break;
    case verb::bdat:
      ok = parse_bdat(rest, cmd);
      break;
    case verb::auth:
      ok = parse_auth(rest, cmd);
      break;
    case verb::data:     // RFC 5321 §4.1.1.4 "DATA" CRLF
    case verb::rset:     // RFC 5321 §4.1.1.5 "RSET" CRLF
    case verb::quit:     // RFC 5321 §4.1.1.10 "QUIT" CRLF
    case verb::starttls: // RFC 3207 §4 "STARTTLS" CRLF
      if (!trim(rest).empty()) ok = fail(errc::invalid, "This command takes no parameters");
      break;
    case verb::noop:  // RFC 5321 §4.1.1.9 "NOOP" [ SP String ]
    case verb::help:  // RFC 5321 §4.1.1.8 "HELP" [ SP String ]
      cmd.argument = std::string(rest);
      break;
    case verb::vrfy:  // RFC 5321 §4.1.1.6 "VRFY" SP String
    case verb::expn:  // RFC 5321 §4.1.1.7 "EXPN" SP String
      if (trim(rest).empty()) {
        ok = fail(errc::invalid, cmd.v == verb::vrfy ? "Syntax: VRFY string" : "Syntax: EXPN string");
      }
      cmd.argument = std::string(rest);
      break;
  }
  if (!ok) return std::unexpected(std::move(ok.error()));
  return cmd;
}

}  // namespace letterhead::smtp::proto
