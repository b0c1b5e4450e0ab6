#pragma once
// The larger rules of RFC 9051 §9 that more than one command uses: search keys
// (SEARCH, SORT, THREAD) and fetch attributes. Same contract as scanner: false and the
// first error recorded in the scanner.

#include <string>
#include <vector>

#include "imap/proto/command.hpp"
#include "imap/proto/detail/scanner.hpp"

namespace letterhead::imap::proto::detail {

// search-key *(SP search-key) as an and_ (RFC 9051 §6.4.4: the keys all apply).
[[nodiscard]] bool search_program(scanner& s, search_key& out);
[[nodiscard]] bool one_search_key(scanner& s, search_key& out);

// "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")" (RFC 9051 §6.4.4,
// RFC 4731 §3.1); the scanner is at "RETURN".
[[nodiscard]] bool search_return_options(scanner& s, search_return& out);

// A charset name (astring), upper-cased; anything but US-ASCII and UTF-8 is an
// errc::denied error with badcharset_text.
[[nodiscard]] bool search_charset(scanner& s, std::string& out);

// ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"), macros
// expanded (RFC 9051 §6.4.5).
[[nodiscard]] bool fetch_attributes(scanner& s, std::vector<fetch_att>& out);

}  // namespace letterhead::imap::proto::detail
