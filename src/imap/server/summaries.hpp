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

// Messages per store round trip (and per write-back): bounds the memory a command
// holds for summaries while keeping round trips few.
inline constexpr std::size_t summary_batch = 512;

// How much of a summary a command reads: only its keys (mime::serialize_keys: SEARCH
// of address and subject keys, SORT, THREAD), read per message row in one scan of the
// mailbox, or the whole summary (FETCH ENVELOPE, BODYSTRUCTURE, header sections),
// read per content hash from the parse cache.
enum class summary_depth { keys, whole };

// The summaries of a command's messages, a batch at a time. A message without a usable
// cache entry is parsed by the caller (computed()), and what was computed is written
// back with the next load() or flush(): the next command reads rows instead of
// re-parsing. load() and flush() block: run them on the blocking pool.
class summary_batches {
 public:
  summary_batches(store::store& st, store::id_t mailbox, std::int32_t version, summary_depth depth)
      : st_(st), mailbox_(mailbox), version_(version), depth_(depth) {}

  // Makes `batch` (at most summary_batch messages, in ascending UID order for keys)
  // the current batch: at(i) is then its i-th message's cached summary, or nullopt.
  // An error leaves every entry empty: the caller parses, nothing is lost.
  [[nodiscard]] core::result<void> load(std::vector<const store::message*> batch);
  [[nodiscard]] std::optional<mime::summary>& at(std::size_t i) { return current_[i]; }
  // The summary the caller computed for the current batch's i-th message.
  void computed(std::size_t i, mime::summary s);
  // Writes back what is pending, and reports a write-back that failed since the last
  // flush. Losing it only costs a re-parse later.
  [[nodiscard]] core::result<void> flush();
  // Whether flush() has anything to write or report.
  [[nodiscard]] bool pending() const noexcept { return !metas_.empty() || !keys_.empty() || write_error_; }

 private:
  core::result<void> write_back();

  store::store& st_;
  store::id_t mailbox_;
  std::int32_t version_;
  summary_depth depth_;
  std::vector<const store::message*> batch_;
  std::vector<std::optional<mime::summary>> current_;
  std::vector<store::blob_meta> metas_;    // whole summaries to write back
  std::vector<store::message_keys> keys_;  // keys to write back
  std::optional<core::error> write_error_;
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
