#pragma once
// DKIM canonicalization and hashing (RFC 6376 §3.4, §3.7, §5.4.2), kept apart from
// the DKIM-Signature logic so that ARC (RFC 8617 §5.1.1, §5.1.2: ARC-Message-
// Signature uses DKIM's algorithm, ARC-Seal relaxed header canonicalization) reuses
// the same code: split a message, select header instances bottom-up, canonicalize
// fields and the body, build the header hash input.
//
// Input is a whole message from the network. Every function is linear in its input
// (header selection uses an index, not a scan per name) and copies only what it hashes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace letterhead::mailauth {

enum class canon { simple, relaxed };

[[nodiscard]] constexpr const char* to_string(canon c) noexcept {
  return c == canon::simple ? "simple" : "relaxed";
}

struct canonicalization {
  canon header = canon::simple;
  canon body = canon::simple;
};

// The c= tag (RFC 6376 §3.5): "header/body", "header" alone means body simple;
// errc::invalid for anything else.
[[nodiscard]] core::result<canonicalization> parse_canonicalization(std::string_view c);

// True when the message has a LF not preceded by CR. DKIM is defined on the CRLF form
// of a message (RFC 6376 §5.3): such messages are converted with to_crlf first.
[[nodiscard]] bool has_bare_lf(std::string_view message) noexcept;
// Every LF not preceded by CR becomes CRLF; nothing else changes.
[[nodiscard]] std::string to_crlf(std::string_view message);

struct header_field {
  std::string_view name;  // without whitespace before the colon
  std::string_view raw;   // the whole field from its name through its final CRLF
};

struct message_parts {
  std::vector<header_field> fields;  // in message order
  std::string_view body;             // after the empty line that ends the header
  bool truncated = false;            // more fields than the limit: the rest are unknown
};

// Splits a message in CRLF form (fields per RFC 5322 §2.2; lines that are not fields
// are skipped). At most `max_fields` fields are recorded.
[[nodiscard]] message_parts split_message(std::string_view crlf_message, std::size_t max_fields = 1000);

// One field canonicalized (RFC 6376 §3.4.1 simple: unchanged; §3.4.2 relaxed: name
// lower-cased, unfolded, WSP runs to one SP, WSP around the colon and at the end of
// the value removed), ending in CRLF.
[[nodiscard]] std::string canonicalize_header(const header_field& f, canon c);

// RFC 6376 §5.4.2: for each name (case-insensitive), the bottom-most instance not yet
// selected; nullptr where none is left (a name listed more often than it occurs, as
// when over-signing, contributes nothing to the hash).
[[nodiscard]] std::vector<const header_field*> select_headers(const message_parts& m,
                                                              std::span<const std::string_view> names);

// The signature field as it is hashed (RFC 6376 §3.7 step 2): the value of its b= tag
// deleted, canonicalized, without the trailing CRLF. errc::invalid when the field's
// value is not a valid tag-list or has no b= tag.
[[nodiscard]] core::result<std::string> canonicalize_signature_field(const header_field& f, canon c);

// RFC 6376 §3.7: the canonicalized selected fields in h= order followed by the
// canonicalized signature field (from canonicalize_signature_field).
[[nodiscard]] std::string header_hash_input(std::span<const header_field* const> selected, canon c,
                                            std::string_view canonical_signature_field);

struct body_hash {
  std::array<unsigned char, 32> sha256{};
  std::uint64_t canonical_length = 0;  // of the whole canonicalized body
  std::uint64_t hashed_length = 0;     // bytes hashed: min(canonical_length, limit)
};

// SHA-256 of the canonicalized body (RFC 6376 §3.4.3, §3.4.4, §3.7), hashing at most
// `limit` canonical bytes (the l= tag, §3.5). Simple: trailing empty lines removed,
// an empty body is one CRLF. Relaxed: WSP at line ends removed, WSP runs to one SP,
// trailing empty lines removed, an empty body stays empty. A last line without CRLF
// gets one (and, relaxed, loses its trailing WSP like any other line).
[[nodiscard]] body_hash hash_body(std::string_view body, canon c,
                                  std::optional<std::uint64_t> limit = std::nullopt);

// The canonicalized body itself (tests and diagnostics; hash_body does not build it).
[[nodiscard]] std::string canonicalize_body(std::string_view body, canon c);

}  // namespace letterhead::mailauth
