#pragma once
// IMAP part numbering (RFC 9051 §6.4.5) over a parsed message.
//
// A path is a list of part numbers, each from 1. Children of a multipart are numbered
// in order; a non-multipart message (the root, or one inside message/rfc822) has one
// part, numbered 1, which is the message itself; after a message/rfc822 part, the next
// number indexes the parts of the encapsulated message. The empty path is the root.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.hpp"

namespace letterhead::mime {

using section_path = std::vector<std::uint32_t>;

// The part that `path` names: BODY[path] is its body and BODY[path.MIME] its header.
// nullopt if the message has no such part.
[[nodiscard]] std::optional<std::size_t> find_section(const message& m,
                                                      std::span<const std::uint32_t> path);

// The message that BODY[path.HEADER] and BODY[path.TEXT] refer to: the root for the
// empty path, the encapsulated message for a message/rfc822 part; otherwise nullopt.
[[nodiscard]] std::optional<std::size_t> find_section_message(const message& m,
                                                              std::span<const std::uint32_t> path);

// The path of part `index`: find_section(m, section_of(m, i)) == i for every part except
// a multipart that is an encapsulated message, which has no number of its own (its
// path is that of the message/rfc822 part containing it).
[[nodiscard]] section_path section_of(const message& m, std::size_t index);

// "1.2.3" <-> {1, 2, 3}. Parsing rejects zero, empty numbers and overflow.
[[nodiscard]] std::string to_string(std::span<const std::uint32_t> path);
[[nodiscard]] std::optional<section_path> parse_section_path(std::string_view text);

}  // namespace letterhead::mime
