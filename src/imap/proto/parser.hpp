#pragma once
// parse_command: one complete IMAP command (as command_reader assembles it, literals
// inline) into the values of command.hpp. RFC 9051 §6 and §9, RFC 3501 §6 and §9, and
// the extensions listed in README.md.

#include <cstddef>
#include <string_view>

#include "core/error.hpp"
#include "imap/proto/command.hpp"

namespace letterhead::imap::proto {

struct parse_options {
  // ENABLE UTF8=ACCEPT (RFC 6855 §3) or IMAP4rev2 (RFC 9051 §6.3.1): mailbox names are
  // UTF-8 on the wire. Otherwise they are modified UTF-7 (RFC 3501 §5.1.3), decoded here,
  // so that command values always carry UTF-8 names.
  bool utf8_accept = false;
  // Deepest nesting of parentheses, NOT and OR in search keys (and lists elsewhere);
  // deeper is refused before the parser's stack is at risk.
  std::size_t max_depth = 100;
};

// What parse_command's errors mean (core::error::code), so that the session can answer:
//   errc::not_found  the command name is unknown: "TAG BAD unknown command"
//   errc::invalid    bad syntax for a known command: "TAG BAD <message>"
//   errc::denied     a SEARCH/SORT/THREAD CHARSET other than US-ASCII or UTF-8: the
//                    message is a resp-text with its code, "TAG NO <message>"
//                    (RFC 9051 §6.4.4 BADCHARSET).
// Messages are fixed texts: they never contain client bytes.
inline constexpr std::string_view badcharset_text = "[BADCHARSET (US-ASCII UTF-8)] unsupported charset";

// Parses one command. `text` is the command as received, literals inline, with or
// without its final CRLF. A tag, command name and arguments are required as RFC 9051
// §2.2.1 describes; `text` that does not start with a valid tag is errc::invalid.
[[nodiscard]] core::result<command> parse_command(std::string_view text, const parse_options& options = {});

// The tag at the start of `text` (RFC 9051 §9 tag), or "" when there is none: what the
// session puts before BAD when parse_command fails ("*" when empty). A returned tag
// holds only ASTRING-CHARs, so it is safe to echo.
[[nodiscard]] std::string_view command_tag(std::string_view text) noexcept;

}  // namespace letterhead::imap::proto
