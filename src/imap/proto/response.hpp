#pragma once
// Writing the pieces of untagged responses (RFC 9051 §7, §9): strings, mailbox names,
// flag lists and sequence sets. Each returns text to put between other tokens; none
// adds CRLF after itself (a literal ends with its own data).

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::proto {

// RFC 9051 §4.3: a quoted string when every byte may appear in one (TEXT-CHAR: no NUL,
// CR or LF; 8-bit only when utf8_ok, i.e. IMAP4rev2/UTF8=ACCEPT, and the text is valid
// UTF-8), with '"' and '\' escaped; otherwise a literal "{n}\r\n" followed by the bytes.
// A NUL cannot be sent in a literal either (RFC 9051 §4.3): callers send such data with
// BINARY (literal8) or not at all.
[[nodiscard]] std::string quoted_or_literal(std::string_view s, bool utf8_ok);

// RFC 9051 §9 nstring: NIL for nullopt.
[[nodiscard]] std::string nstring(const std::optional<std::string>& s, bool utf8_ok);
[[nodiscard]] std::string nstring(std::optional<std::string_view> s, bool utf8_ok);

// RFC 9051 §9 astring: an atom when every byte is an ASTRING-CHAR (and the text is not
// "NIL", which some clients would read as nil), else quoted_or_literal.
[[nodiscard]] std::string astring(std::string_view s, bool utf8_ok);

// A mailbox name (UTF-8, as the server stores it) for LIST, LSUB, STATUS and the like:
// modified UTF-7 (RFC 3501 §5.1.3) unless utf8_accept (RFC 6855 §3, IMAP4rev2), then as
// an astring. Names with "%" or "*" are quoted.
[[nodiscard]] std::string mailbox_name(std::string_view utf8_name, bool utf8_accept);

// RFC 9051 §9 flag-list: "(" flags separated by SP ")", as given.
[[nodiscard]] std::string flag_list(std::span<const std::string> flags);

}  // namespace letterhead::imap::proto
