#pragma once
// Parsers for the RDATA of the record types we look up (RFC 1035 §3.3, RFC 3596,
// RFC 6698 §2.1). The bytes come from the network (through libunbound, which hands
// over each record's RDATA uncompressed, RFC 3597 §4), so every read is bounds-
// checked and anything malformed is refused rather than guessed at. No I/O; fuzzed
// by fuzz/fuzz_dns_rdata.cpp.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dns/resolver.hpp"

namespace letterhead::dns {

// Longest domain name in wire format (RFC 1035 §2.3.4).
inline constexpr std::size_t max_wire_name = 255;

// Reads an uncompressed wire-format name at `pos` and advances `pos` past it.
// Text form: labels joined by '.', ASCII letters lower-cased, no trailing dot, the
// root as "". Bytes other than letters, digits, '-' and '_' are written as \DDD
// (RFC 1035 §5.1), so the text never holds control characters, spaces or a '.' that
// is not a label separator. Compression pointers and extended label types (RFC 6891
// §5) are refused: RDATA handed over by libunbound is never compressed.
[[nodiscard]] std::optional<std::string> parse_name(std::string_view wire, std::size_t& pos);

// Each parser wants the whole RDATA and nothing after the record's last field.
[[nodiscard]] std::optional<mx_record> parse_mx(std::string_view rdata);     // RFC 1035 §3.3.9
[[nodiscard]] std::optional<std::string> parse_txt(std::string_view rdata);  // RFC 1035 §3.3.14
[[nodiscard]] std::optional<tlsa_record> parse_tlsa(std::string_view rdata); // RFC 6698 §2.1
[[nodiscard]] std::optional<std::string> parse_ptr(std::string_view rdata);  // RFC 1035 §3.3.12
[[nodiscard]] std::optional<std::string> parse_a(std::string_view rdata);    // RFC 1035 §3.4.1
[[nodiscard]] std::optional<std::string> parse_aaaa(std::string_view rdata); // RFC 3596 §2.2

}  // namespace letterhead::dns
