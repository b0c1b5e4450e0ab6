#include "imap/server/qresync.hpp"

#include <algorithm>

#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::server {

resync_answer resync_since(const std::vector<store::change>& changes, const selected_mailbox& sel,
                           std::uint64_t modseq, const std::function<bool(std::uint32_t)>& wanted) {
  resync_answer out;
  for (const auto& c : changes) {
    if (c.mailbox_id != sel.mailbox.id || c.modseq <= modseq || c.uid == 0) continue;
    switch (c.kind) {
      case store::change_kind::message_expunged:
        // Still in the view: the expunge happened after the view was read and reaches
        // the client as an ordinary VANISHED later.
        if (!sel.index_of_uid(c.uid) && wanted(c.uid)) out.vanished.push_back(c.uid);
        break;
      case store::change_kind::message_added:
      case store::change_kind::message_flags:
        if (auto idx = sel.index_of_uid(c.uid); idx && sel.messages[*idx].modseq > modseq && wanted(c.uid)) {
          out.changed.push_back(*idx);
        }
        break;
      default:
        break;
    }
  }
  std::sort(out.vanished.begin(), out.vanished.end());
  out.vanished.erase(std::unique(out.vanished.begin(), out.vanished.end()), out.vanished.end());
  std::sort(out.changed.begin(), out.changed.end());
  out.changed.erase(std::unique(out.changed.begin(), out.changed.end()), out.changed.end());
  return out;
}

std::string vanished_response(const std::vector<std::uint32_t>& uids, bool earlier) {
  return std::string(earlier ? "VANISHED (EARLIER) " : "VANISHED ") + proto::format_sequence_set(uids);
}

}  // namespace letterhead::imap::server
