#pragma once
// Message-ID, In-Reply-To and References (RFC 5322 §3.6.4; obsolete forms §4.5.4):
// the identifiers threading needs (RFC 5256 REFERENCES, JMAP threads).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace letterhead::mime {

// Every msg-id in the field body, in order, without angle brackets ("left@right").
// Whitespace and comments inside brackets are removed; phrases and comments between
// ids (obs-in-reply-to) are skipped. A body without any "<" is read as ids separated by
// whitespace or commas, keeping those that contain "@" (mailers that drop brackets).
// At most 10,000 ids: the first and the last 9,999, since threading needs the root and
// the nearest parents (RFC 5322 §3.6.4 trims References in the middle too).
[[nodiscard]] std::vector<std::string> parse_msg_id_list(std::string_view raw_value);

// The first msg-id, for Message-ID and Content-ID.
[[nodiscard]] std::optional<std::string> parse_msg_id(std::string_view raw_value);

}  // namespace letterhead::mime
