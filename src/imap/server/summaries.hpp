#pragma once
// Message summaries (mime/summary.hpp) for FETCH, SEARCH, SORT and THREAD: read from
// the store's parse cache (store::blob_meta) a batch at a time, and, for a message
// without a usable entry, computed from its bytes and written back, so the next
// command over a large mailbox reads rows instead of re-parsing every message.
//
// Invariant: what a command answers from a summary is byte for byte what it answers
// from the parsed message (tests/unit/imap/summaries_test.cpp compares both on a
// varied corpus). A cache entry made under other parse limits, or of another format,
// has another version (mime::summary_cache_version) and is ignored.
//
// All functions block (store calls): run them on the blocking pool.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mime/parser.hpp"
#include "mime/sort_keys.hpp"
#include "mime/summary.hpp"
#include "mime/thread.hpp"
#include "store/store.hpp"

namespace letterhead::imap::server {

// Messages per get_blob_meta round trip (and per write-back): bounds the memory a
// command holds for summaries while keeping round trips few.
inline constexpr std::size_t summary_batch = 512;

// For each of `blobs`, in order: its cached summary of `version`, or nullopt (no
// entry, another version, or bytes that do not decode).
[[nodiscard]] core::result<std::vector<std::optional<mime::summary>>> cached_summaries(
    store::store& st, std::span<const std::string> blobs, std::int32_t version);

// Summaries computed by parsing, waiting to be written back in one put_blob_meta.
class summary_writeback {
 public:
  explicit summary_writeback(std::int32_t version) : version_(version) {}
  void add(const std::string& blob, const mime::summary& s);
  [[nodiscard]] bool empty() const noexcept { return pending_.empty(); }
  // Writes and clears what is pending. Losing it only costs a re-parse later.
  [[nodiscard]] core::result<void> flush(store::store& st);

 private:
  std::int32_t version_;
  std::vector<store::blob_meta> pending_;
};

// The root header section BODY[HEADER], BODY[HEADER.FIELDS (...)] or
// BODY[HEADER.FIELDS.NOT (...)] would return (RFC 9051 §6.4.5), from a summary; nullopt
// when the summary holds only part of the header. `section_text` is "HEADER",
// "HEADER.FIELDS" or "HEADER.FIELDS.NOT"; `fields` upper case, as the parser gives them.
[[nodiscard]] std::optional<std::string> summary_header_section(const mime::summary& s,
                                                                std::string_view section_text,
                                                                const std::vector<std::string>& fields,
                                                                const mime::parse_limits& limits);

// The header fields of one part whose (upper-cased) names are, or with `exclude` are
// not, in `names`, then the blank line: HEADER.FIELDS and HEADER.FIELDS.NOT.
[[nodiscard]] std::string filtered_header(std::string_view bytes, const mime::part& p,
                                          const std::vector<std::string>& names, bool exclude);

// SORT keys (RFC 5256 §3) and THREAD input from a summary, as sort_key_values and
// make_thread_input give them from the parsed message; the sent date falls back to
// INTERNALDATE (§2.2). `size` is the stored message's RFC822.SIZE.
[[nodiscard]] mime::sort_keys sort_keys_from(const mime::summary& s, std::int64_t internal_date,
                                             std::uint64_t size);
[[nodiscard]] mime::thread_input thread_input_from(const mime::summary& s, std::uint32_t id,
                                                   std::int64_t internal_date);

// RFC 8474 §5.2 THREADID: the first message a message's References (else In-Reply-To)
// name, else its own Message-ID, else its content hash `blob` (a thread of its own),
// hashed; so a reply shares the thread of the message that started it, and every copy
// of a message has the same THREADID.
[[nodiscard]] std::string thread_objectid(const mime::summary& s, std::string_view blob);

}  // namespace letterhead::imap::server
