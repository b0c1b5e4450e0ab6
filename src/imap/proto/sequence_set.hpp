#pragma once
// RFC 9051 §9 sequence-set: parsing one on its own and writing one back.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "imap/proto/command.hpp"

namespace letterhead::imap::proto {

// Parses a whole sequence-set: seq-number = nz-number / "*" (1..4294967295, no leading
// zero; "*" becomes 0), ranges in either order, or "$" alone (RFC 5182 §2.1).
[[nodiscard]] core::result<sequence_set> parse_sequence_set(std::string_view text);

// Writes a set back in the grammar ("*" for 0, "$" for saved): parse_sequence_set of
// the result gives the same set.
[[nodiscard]] std::string to_string(const sequence_set& set);

// Compresses ascending numbers (duplicates allowed) into the shortest form, e.g.
// {1,2,3,5,7,8,9} -> "1:3,5,7:9"; "" for none. For UID lists in responses (COPYUID,
// VANISHED, ESEARCH ALL).
[[nodiscard]] std::string format_sequence_set(std::span<const std::uint32_t> ascending);

}  // namespace letterhead::imap::proto
