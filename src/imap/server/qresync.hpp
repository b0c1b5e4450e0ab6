#pragma once
// QRESYNC (RFC 7162 §3.2) and CHANGEDSINCE (§3.1.4.1) answered from the account's change
// log (store::changes_since) rather than from every message of the mailbox: a client
// coming back to a 100,000-message mailbox after 100 changes costs 100 log entries and
// as many binary searches in the view.
//
// The log is complete (expunges are never pruned), so the seq-match-data a client may
// send with SELECT (QRESYNC ...) is not needed to narrow VANISHED (§3.2.5.2 lets the
// server ignore it).

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "imap/server/selected.hpp"
#include "store/types.hpp"

namespace letterhead::imap::server {

struct resync_answer {
  // UIDs expunged from the mailbox since the MODSEQ and no longer in the view, ascending:
  // the VANISHED (EARLIER) response (§3.2.5.1, §3.2.6).
  std::vector<std::uint32_t> vanished;
  // Indexes into sel.messages of the messages added or changed since the MODSEQ,
  // ascending: a FETCH (UID FLAGS MODSEQ) each.
  std::vector<std::size_t> changed;
};

// `changes`: the account's change log after `modseq` (store::changes_since), any order.
// `wanted(uid)`: the UIDs the client asks about (its known UIDs, or the UID FETCH set).
[[nodiscard]] resync_answer resync_since(const std::vector<store::change>& changes, const selected_mailbox& sel,
                                         std::uint64_t modseq, const std::function<bool(std::uint32_t)>& wanted);

// "VANISHED (EARLIER) 3:5,9" (earlier) or "VANISHED 3:5,9" (RFC 7162 §3.2.10);
// `uids` ascending, not empty.
[[nodiscard]] std::string vanished_response(const std::vector<std::uint32_t>& uids, bool earlier);

}  // namespace letterhead::imap::server
