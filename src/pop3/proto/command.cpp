#include "pop3/proto/command.hpp"

#include <array>
#include <utility>
#include <vector>

namespace letterhead::pop3::proto {

namespace {

struct keyword_entry {
  std::string_view name;
  verb v;
};

constexpr std::array keywords{
    keyword_entry{"USER", verb::user}, keyword_entry{"PASS", verb::pass}, keyword_entry{"APOP", verb::apop},
    keyword_entry{"AUTH", verb::auth}, keyword_entry{"STLS", verb::stls}, keyword_entry{"CAPA", verb::capa},
    keyword_entry{"STAT", verb::stat}, keyword_entry{"LIST", verb::list}, keyword_entry{"RETR", verb::retr},
    keyword_entry{"DELE", verb::dele}, keyword_entry{"NOOP", verb::noop}, keyword_entry{"RSET", verb::rset},
    keyword_entry{"TOP", verb::top},   keyword_entry{"UIDL", verb::uidl}, keyword_entry{"QUIT", verb::quit},
};

char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (upper(a[i]) != upper(b[i])) return false;
  }
  return true;
}

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Arguments separated by spaces. RFC 1939 §3 says one space; runs of spaces and a
// trailing space are accepted, since no argument of these commands can hold one.
std::vector<std::string_view> split_args(std::string_view rest) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    if (i == rest.size()) break;
    std::size_t j = rest.find(' ', i);
    if (j == std::string_view::npos) j = rest.size();
    out.push_back(rest.substr(i, j - i));
    i = j;
  }
  return out;
}

// RFC 1939 §3: numeric arguments are decimal. No sign, no overflow.
core::result<std::uint32_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 10) return core::fail(core::errc::invalid, "Invalid number");
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return core::fail(core::errc::invalid, "Invalid number");
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > UINT32_MAX) return core::fail(core::errc::invalid, "Number too large");
  return static_cast<std::uint32_t>(n);
}

bool is_mechanism(std::string_view s) noexcept {
  // RFC 4422 §3.1: sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"); lower case is
  // accepted and upper-cased, mechanism names being case-insensitive in practice.
  if (s.empty() || s.size() > max_mechanism_length) return false;
  for (char c : s) {
    const char u = upper(c);
    if (!((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_')) return false;
  }
  return true;
}

}  // namespace

const char* to_string(verb v) noexcept {
  for (const auto& k : keywords) {
    if (k.v == v) return k.name.data();
  }
  return "unknown";
}

core::result<command> parse_command(std::string_view line) {
  // No control characters anywhere: they have no place in any POP3 argument and
  // would reach logs and replies.
  for (char c : line) {
    if (is_control(c)) return core::fail(core::errc::invalid, "Control character in command");
  }
  const std::size_t sp = line.find(' ');
  const std::string_view keyword = line.substr(0, sp);
  const std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);

  command cmd;
  for (const auto& k : keywords) {
    if (iequals(keyword, k.name)) cmd.v = k.v;
  }
  if (cmd.v == verb::unknown) return cmd;

  auto args = split_args(rest);
  auto want = [&](std::size_t min, std::size_t max) -> core::result<void> {
    if (args.size() < min) return core::fail(core::errc::invalid, "Missing argument");
    if (args.size() > max) return core::fail(core::errc::invalid, "Too many arguments");
    return {};
  };

  switch (cmd.v) {
    case verb::user: {
      // RFC 1939 §7 USER name. RFC 2449 §4 lifts the 40-character argument limit.
      if (auto r = want(1, 1); !r) return std::unexpected(r.error());
      cmd.argument.assign(args[0]);
      break;
    }
    case verb::pass:
      // RFC 1939 §7: PASS has exactly one argument, so a server may take spaces in it
      // as part of the password: everything after "PASS " is the password.
      if (rest.empty()) return core::fail(core::errc::invalid, "Missing argument");
      cmd.argument.assign(rest);
      break;
    case verb::apop:
      // RFC 1939 §7 APOP name digest: parsed only to be refused.
      if (auto r = want(2, 2); !r) return std::unexpected(r.error());
      cmd.argument.assign(args[0]);
      break;
    case verb::auth: {
      // RFC 5034 §4: AUTH mechanism [initial-response]; AUTH alone lists mechanisms
      // (RFC 1734's discovery form, which clients still send).
      if (auto r = want(0, 2); !r) return std::unexpected(r.error());
      if (!args.empty()) {
        if (!is_mechanism(args[0])) return core::fail(core::errc::invalid, "Invalid mechanism name");
        for (char c : args[0]) cmd.mechanism.push_back(upper(c));
      }
      if (args.size() == 2) cmd.initial_response.emplace(args[1]);
      break;
    }
    case verb::list:
    case verb::uidl: {
      // RFC 1939 §5 LIST [msg], §7 UIDL [msg].
      if (auto r = want(0, 1); !r) return std::unexpected(r.error());
      if (!args.empty()) {
        auto n = parse_number(args[0]);
        if (!n) return std::unexpected(n.error());
        cmd.message = *n;
      }
      break;
    }
    case verb::retr:
    case verb::dele: {
      // RFC 1939 §5 RETR msg, DELE msg.
      if (auto r = want(1, 1); !r) return std::unexpected(r.error());
      auto n = parse_number(args[0]);
      if (!n) return std::unexpected(n.error());
      cmd.message = *n;
      break;
    }
    case verb::top: {
      // RFC 1939 §7 TOP msg n: n is a non-negative number of lines.
      if (auto r = want(2, 2); !r) return std::unexpected(r.error());
      auto n = parse_number(args[0]);
      if (!n) return std::unexpected(n.error());
      auto lines = parse_number(args[1]);
      if (!lines) return std::unexpected(lines.error());
      cmd.message = *n;
      cmd.lines = *lines;
      break;
    }
    case verb::stls:
    case verb::capa:
    case verb::stat:
    case verb::noop:
    case verb::rset:
    case verb::quit:
      if (auto r = want(0, 0); !r) return std::unexpected(r.error());
      break;
    case verb::unknown:
      break;
  }
  return cmd;
}

}  // namespace letterhead::pop3::proto
