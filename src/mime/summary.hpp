#pragma once
// What IMAP needs of a message without reading it again: ENVELOPE, BODYSTRUCTURE,
// the root header, the decoded address and subject fields SEARCH looks at, and the
// SORT and THREAD keys (RFC 5256). Computed once per blob (summarize) and cached by
// the store as opaque bytes (store::blob_meta), so that FETCH ENVELOPE or SEARCH FROM
// over a 100,000-message mailbox never re-parses 100,000 files.
//
// The serialised form is versioned (summary_version): a reader that finds another
// version, or bytes that do not decode, recomputes from the message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mime/parser.hpp"

namespace letterhead::mime {

inline constexpr std::int32_t summary_version = 1;

struct summary {
  std::string envelope;         // IMAP ENVELOPE for a client without UTF8=ACCEPT
  std::string envelope_utf8;    // the UTF8=ACCEPT form; empty when identical
  std::string bodystructure;    // BODYSTRUCTURE (extensible form)
  std::string body;             // BODY (non-extensible form)
  std::string header;           // the root header section (RFC822.HEADER), at most
                                // max_summary_header bytes
  bool header_complete = true;  // false when `header` was cut
  std::uint64_t header_size = 0;  // size of the whole root header section

  // Decoded (RFC 2047, raw 8-bit by the part's charset) texts of the root header's
  // fields, every occurrence joined with "\n": what SEARCH SUBJECT/FROM/... match.
  std::string subject, from, to, cc, bcc;

  // SORT keys (RFC 5256 §3, RFC 5957) except ARRIVAL and SIZE, which belong to the
  // stored copy, not the bytes. sent_date is the Date field in UTC when present and
  // valid; otherwise the caller uses the copy's INTERNALDATE (RFC 5256 §2.2).
  std::optional<std::int64_t> sent_date;
  std::string sort_from, sort_to, sort_cc, sort_subject, display_from, display_to;

  // THREAD input (RFC 5256 §3), id and sent date filled in by the caller.
  std::string message_id;
  std::vector<std::string> references;
  bool reply_or_forward = false;
};

inline constexpr std::size_t max_summary_header = 16 * 1024;

// From the message's bytes and its parse result.
[[nodiscard]] summary summarize(std::string_view bytes, const message& m);

// The store::blob_meta version under which a summary made with `limits` is cached:
// summary_version in the low 8 bits, a digest of the limits above, because a parse
// under other limits may cut a message elsewhere and so summarise it differently.
// Always positive.
[[nodiscard]] std::int32_t summary_cache_version(const parse_limits& limits);

[[nodiscard]] std::string serialize(const summary& s);
// nullopt when the bytes are not a summary of summary_version.
[[nodiscard]] std::optional<summary> deserialize_summary(std::string_view bytes);

// The keys of a summary: what SEARCH's address and subject keys, THREADID, SORT and
// THREAD read (the decoded fields, sort keys and thread input), without the envelope,
// body structures and header, about a fifth of the whole. Cached per message row
// (store::message_keys), where a scan in UID order reads them without a lookup by
// content hash per message.
[[nodiscard]] std::string serialize_keys(const summary& s);
// A summary holding only the keys (envelope, bodystructure, body and header empty,
// header_complete false); nullopt when the bytes are not keys of summary_version.
[[nodiscard]] std::optional<summary> deserialize_keys(std::string_view bytes);

}  // namespace letterhead::mime
