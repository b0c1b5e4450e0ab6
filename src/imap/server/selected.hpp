#pragma once
// The selected mailbox as one session sees it (RFC 9051 §2.3.1): messages in UID
// order, where the index + 1 is the message sequence number. It changes only at
// moments the protocol allows, by applying a delta read from the store's change
// log, so that sequence numbers stay what the client was told.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "imap/proto/command.hpp"
#include "store/store.hpp"

namespace letterhead::imap::server {

// What changed in one mailbox since a MODSEQ, read from the store.
struct mailbox_delta {
  std::uint64_t modseq = 0;                  // the account's MODSEQ this delta brings us to
  std::vector<store::message> added;         // new messages, UID order
  std::vector<store::message> changed;       // flags/keywords changed
  std::vector<std::uint32_t> expunged;       // UIDs removed
  bool mailbox_gone = false;                 // deleted or renamed away
  std::uint64_t mailbox_modseq = 0;          // highest MODSEQ of a change in this mailbox
};

struct selected_mailbox {
  store::mailbox mailbox;
  // No "s" right, EXAMINE included: FETCH sets no \Seen (RFC 4314 §4). What else may
  // change follows `rights`.
  bool read_only = false;
  // The account the mailbox belongs to: ours, or the owner of a shared mailbox, whose
  // change log and notifications the view follows.
  store::id_t owner = 0;
  // Our RFC 4314 rights on it (all for our own), re-read before commands; EXAMINE
  // takes away those that change the mailbox's messages.
  std::string rights;
  bool examined = false;
  std::string name;  // as the client names it ("Other Users/<owner>/<name>" when shared)
  [[nodiscard]] bool may(char right) const { return rights.find(right) != std::string::npos; }
  void set_rights(std::string_view granted) {
    rights.clear();
    for (const char c : granted) {
      if (!examined || (c != 'w' && c != 's' && c != 't' && c != 'e')) rights += c;
    }
    read_only = !may('s');
  }
  // RFC 4314 §4: SELECT answers READ-ONLY without any of "w", "s", "t".
  [[nodiscard]] bool writable() const { return may('w') || may('s') || may('t'); }
  std::vector<store::message> messages;
  std::uint64_t known_modseq = 0;               // the account's MODSEQ the view is at
  // The mailbox's HIGHESTMODSEQ as told to the client and raised by every change
  // applied since (expunges included, RFC 7162 §3.2).
  std::uint64_t highest_modseq = 0;
  std::vector<std::uint32_t> pending_expunges;  // removed elsewhere, not yet reported

  [[nodiscard]] std::optional<std::size_t> index_of_uid(std::uint32_t uid) const {
    auto it = std::lower_bound(messages.begin(), messages.end(), uid,
                               [](const store::message& m, std::uint32_t u) { return m.uid < u; });
    if (it == messages.end() || it->uid != uid) return std::nullopt;
    return static_cast<std::size_t>(it - messages.begin());
  }
  [[nodiscard]] std::uint32_t last_uid() const { return messages.empty() ? 0 : messages.back().uid; }
};

// Reads the delta of `sel`'s mailbox since sel.known_modseq (blocking: run on the pool).
[[nodiscard]] core::result<mailbox_delta> read_delta(store::store& st, store::id_t account,
                                                     const selected_mailbox& sel);

// The stored bytes of the message with `uid` and content hash `blob` in `mailbox`
// (blocking: run on the pool). nullopt when another session expunged it meanwhile:
// its row is gone, and with it perhaps the last reference to its blob, while this
// session still lists it (RFC 2180 §4.1). A message still stored whose bytes cannot
// be read is an error.
[[nodiscard]] core::result<std::optional<std::string>> read_message_bytes(store::store& st, store::id_t mailbox,
                                                                         std::uint32_t uid, const std::string& blob);

// RFC 8474 object identifiers: MAILBOXID is "M" and the store's mailbox id (kept by
// RENAME, new for a re-created name); EMAILID is "M" and the first 24 hex digits of the
// content hash, so COPY and MOVE keep it (§5.1) and it needs no extra column.
[[nodiscard]] std::string mailbox_objectid(store::id_t mailbox);
[[nodiscard]] std::string email_objectid(const store::message& m);

// Whether `value` is in a sequence set whose "*" stands for `star` (RFC 9051 §9).
// The saved result "$" is the caller's to resolve.
[[nodiscard]] bool set_contains(const proto::sequence_set& set, std::uint32_t value, std::uint32_t star);

// "(\Seen \Flagged $Label)"
[[nodiscard]] std::string flag_list(const store::message& m);

// Parses client flags into bits and keywords; errc::invalid for \Recent or unknown
// system flags (RFC 9051 §2.3.2).
struct parsed_flags {
  std::uint32_t bits = 0;
  std::vector<std::string> keywords;
};
[[nodiscard]] core::result<parsed_flags> parse_flags(const std::vector<std::string>& flags);

// "17-Jul-1996 02:44:25 +0000" (RFC 9051 §9 date-time), UTC.
[[nodiscard]] std::string imap_date_time(store::unix_time t);

}  // namespace letterhead::imap::server
