#pragma once
// IMAP THREAD (RFC 5256): ORDEREDSUBJECT (§2.1 base subjects, §3 algorithm) and
// REFERENCES (§3, after Jamie Zawinski's algorithm) over plain per-message values, and
// the THREAD response body (§4).
//
// Input comes from message headers, so it is untrusted: message ids may repeat or be
// missing, References may loop or be absurdly long. The algorithms never create a
// loop, use at most the first and the last `max_thread_references - 1` references of
// a message, and never recurse on the tree (trees can be as deep as a mailbox is long).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.hpp"

namespace letterhead::mime {

struct thread_input {
  std::uint32_t id = 0;  // UID or sequence number (non-zero); what the response lists
  std::string message_id;               // without angle brackets; empty if none
  std::vector<std::string> references;  // References ids, or else the first In-Reply-To
                                        // id (RFC 5256 §3 REFERENCES step 1), in order
  std::string base_subject;             // extract_base_subject(...).text
  bool reply_or_forward = false;        // extract_base_subject(...).reply_or_forward
  std::int64_t sent_date = 0;           // RFC 5256 §2.2: Date, else INTERNALDATE
};

// A node of a thread tree. id 0 is a dummy (a message that is referenced but not in
// the set, RFC 5256 §3 REFERENCES step 1.A), which only appears at the top level.
// The destructor is iterative, so a degenerate tree 100,000 levels deep is safe.
struct thread_node {
  std::uint32_t id = 0;
  std::vector<thread_node> children;

  thread_node() = default;
  explicit thread_node(std::uint32_t i) : id(i) {}
  thread_node(std::uint32_t i, std::vector<thread_node> c) : id(i), children(std::move(c)) {}
  thread_node(thread_node&&) noexcept = default;
  thread_node& operator=(thread_node&&) noexcept = default;
  thread_node(const thread_node&) = default;  // recursive: for tests and small trees
  thread_node& operator=(const thread_node&) = default;
  ~thread_node();

  [[nodiscard]] bool dummy() const noexcept { return id == 0; }
};

inline constexpr std::size_t max_thread_references = 256;

// The References list threading uses for a message (RFC 5256 §3 REFERENCES step 1):
// the ids of References, or, if it has none, the first id of In-Reply-To.
[[nodiscard]] std::vector<std::string> references_for_threading(
    std::string_view bytes, std::span<const header_field> fields);

// A thread_input from a parsed message's root header: Message-ID, references, base
// subject and sent date (Date, else `internal_date`, RFC 5256 §2.2).
[[nodiscard]] thread_input make_thread_input(std::string_view bytes, const message& m,
                                             std::uint32_t id, std::int64_t internal_date);

// RFC 5256 §3 ORDEREDSUBJECT: messages grouped by base subject; in each group the
// earliest is the root and the others its children, by sent date (ties: input order);
// groups in the order of their roots' sent dates.
[[nodiscard]] std::vector<thread_node> thread_orderedsubject(std::span<const thread_input> msgs);

// RFC 5256 §3 REFERENCES, steps 1-6. Pass messages in ascending sequence (or UID)
// order: the first of several with one Message-ID keeps it, and input order breaks
// ties of sent date.
[[nodiscard]] std::vector<thread_node> thread_references(std::span<const thread_input> msgs);

// RFC 5256 §4: the THREAD response body, e.g. "(2)(3 6 (4 23)(44 7 96))"; a dummy
// root is written as its nested children "((3)(5))". Empty for no threads.
[[nodiscard]] std::string format_threads(const std::vector<thread_node>& threads);

}  // namespace letterhead::mime
