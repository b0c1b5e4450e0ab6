#pragma once
// POP3 command lines (RFC 1939 §3, §5-§7; RFC 2449 §4-§5; RFC 2595 §4; RFC 5034 §4),
// taken apart without I/O. What a command means in which state is the session's
// business; this only checks the grammar.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::pop3::proto {

enum class verb {
  user, pass, apop, auth, stls, capa,           // AUTHORIZATION (CAPA in any state)
  stat, list, retr, dele, noop, rset, top, uidl,  // TRANSACTION
  quit,                                          // any state
  unknown,                                       // a keyword we do not implement
};

[[nodiscard]] const char* to_string(verb v) noexcept;

// RFC 5034 §4 mechanism names are SASL names (RFC 4422 §3.1): up to 20 characters.
inline constexpr std::size_t max_mechanism_length = 20;

struct command {
  verb v = verb::unknown;
  // USER name / PASS string / APOP name: the argument as sent (PASS keeps spaces).
  std::string argument;
  // LIST, UIDL: optional; RETR, DELE, TOP: required. Not range-checked (0 is kept and
  // answered "no such message" by the session).
  std::optional<std::uint32_t> message;
  // TOP msg n: how many body lines.
  std::uint32_t lines = 0;
  // AUTH [mechanism [initial-response]], the mechanism upper-cased.
  std::string mechanism;
  std::optional<std::string> initial_response;
};

// Parses one command line (without its CRLF). An unrecognised keyword parses to
// verb::unknown; bad syntax for a known one is errc::invalid with a message that
// never quotes the client. Keywords are case-insensitive (RFC 1939 §3).
[[nodiscard]] core::result<command> parse_command(std::string_view line);

}  // namespace letterhead::pop3::proto
