#pragma once
// Writing a search_key back in RFC 9051 §6.4.4 syntax, for logs and tests (evaluation
// is the server's). Parsing it again gives the same key.

#include <string>

#include "imap/proto/command.hpp"

namespace letterhead::imap::proto {

// One search-key; an and_ is written parenthesised. Strings are quoted or literals.
[[nodiscard]] std::string to_string(const search_key& key);

// A search program: the children of a top-level and_ separated by spaces (what follows
// SEARCH [CHARSET x]).
[[nodiscard]] std::string to_search_program(const search_key& key);

// Nesting depth of a key (1 for a key without children).
[[nodiscard]] std::size_t depth(const search_key& key) noexcept;

}  // namespace letterhead::imap::proto
