#pragma once
// Tag=value lists (RFC 6376 §3.2), the syntax of DKIM-Signature fields and DKIM key
// records (and of ARC-Seal/ARC-Message-Signature, RFC 8617 §4.1). Input comes from
// the network (message headers, DNS TXT records): the parser is linear, copies
// nothing, bounds the number of tags and never reads past the input.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::mailauth {

struct tag {
  std::string_view name;   // tag-name (ALPHA *(ALPHA / DIGIT / "_")), case-sensitive
  std::string_view value;  // tag-value without the FWS around it (inner FWS kept)
  // Offsets into the parsed text of the raw value: from just after "=" up to the ";"
  // that ends the tag-spec (or the end). Deleting [raw_begin, raw_end) is how the b=
  // value is removed before hashing (RFC 6376 §3.7, "including all surrounding
  // whitespace").
  std::size_t raw_begin = 0;
  std::size_t raw_end = 0;
};

struct tag_list {
  std::vector<tag> tags;

  // The tag named `name`, if present.
  [[nodiscard]] const tag* find(std::string_view name) const noexcept;
  [[nodiscard]] std::optional<std::string_view> value(std::string_view name) const noexcept;
};

// Tags beyond this many make the list invalid: a DKIM-Signature has 14 defined tags,
// a key record 7; the slack allows for extensions without allowing a flood.
inline constexpr std::size_t max_tags = 64;

// RFC 6376 §3.2: errc::invalid for a syntax error, a duplicate tag name ("Tags with
// duplicate names MUST NOT occur"), a value with control characters, or more than
// max_tags tags. Empty tag-specs (";;", a trailing ";") are skipped, as deployed key
// records contain them. Folding (CRLF followed by WSP) counts as whitespace.
[[nodiscard]] core::result<tag_list> parse_tag_list(std::string_view text);

// Removes every FWS character (SP, HTAB, CR, LF): for base64 values (b=, bh=, p=)
// where "whitespace is ignored" (RFC 6376 §3.5).
[[nodiscard]] std::string strip_fws(std::string_view value);

// Splits a colon-separated list (h=, s=, the key record's h=) into its elements
// with the FWS around each removed; empty elements are kept so callers can refuse them.
[[nodiscard]] std::vector<std::string_view> split_colon_list(std::string_view value);

}  // namespace letterhead::mailauth
