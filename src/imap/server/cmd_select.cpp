// SELECT and EXAMINE (RFC 9051 §6.3.2-3, CONDSTORE RFC 7162 §3.1.8, QRESYNC §3.2.5,
// MAILBOXID RFC 8474 §4.2), CLOSE and UNSELECT (§6.4.1-2), EXPUNGE and UID EXPUNGE
// (§6.4.3, RFC 4315 §2.1).
#include <fmt/format.h>

#include "imap/proto/response.hpp"
#include "imap/server/qresync.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_select(const command& cmd) {
  const auto* a = std::get_if<proto::select_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "SELECT needs a mailbox name");
  // RFC 7162 §3.2.5: the QRESYNC parameter needs ENABLE QRESYNC first.
  if (a->qresync && !qresync_) co_return co_await bad(cmd, "ENABLE QRESYNC first");
  // RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected. RFC 7162 §3.2.11:
  // [CLOSED] marks where the old mailbox's responses end.
  if (selected_) {
    selected_.reset();
    watch_owner(0);
    state_ = state::authenticated;
    untagged("OK [CLOSED] Previous mailbox closed");
  }
  if (a->condstore || a->qresync) condstore_ = true;
  auto t = co_await resolve_target(a->mailbox);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
  }
  // RFC 4314 §4: SELECT and EXAMINE need "r".
  if (!t->may('r')) co_return co_await no(cmd, "[NOPERM] You may not read this mailbox");
  struct loaded {
    store::mailbox mb;
    std::vector<store::message> messages;
    std::uint64_t modseq = 0;
    std::optional<std::vector<store::change>> changes;  // since the client's MODSEQ (QRESYNC)
  };
  std::optional<proto::select_args::qresync_params> q = a->qresync;
  // A shared mailbox's MODSEQs and changes are its owner's.
  auto load = [&st = store_, id = t->owner, box = t->box.id, q]() -> core::result<loaded> {
    // The account's MODSEQ first: anything committed after it shows up as a change.
    auto top = st.highest_modseq(id);
    if (!top) return std::unexpected(top.error());
    auto mb = st.get_mailbox(box);
    if (!mb) return std::unexpected(mb.error());
    auto msgs = st.list_messages(mb->id);
    if (!msgs) return std::unexpected(msgs.error());
    loaded l{std::move(*mb), std::move(*msgs), *top, std::nullopt};
    // RFC 7162 §3.2.5.1: with another UIDVALIDITY the client's state is worthless and
    // the rest of the parameter is ignored.
    if (q && q->uidvalidity == l.mb.uidvalidity) {
      auto changes = st.changes_since(id, q->modseq);
      if (!changes) return std::unexpected(changes.error());
      l.changes = std::move(*changes);
    }
    return l;
  };
  auto l = co_await blocking(load);
  if (!l) {
    if (l.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
  }
  selected_mailbox sel;
  sel.mailbox = std::move(l->mb);
  sel.examined = cmd.name == "EXAMINE";
  sel.owner = t->owner;
  sel.name = t->name;
  sel.set_rights(t->rights);
  sel.messages = std::move(l->messages);
  sel.known_modseq = l->modseq;
  selected_ = std::move(sel);
  state_ = state::selected;
  watch_owner(t->owner);
  auto& s = *selected_;
  std::uint64_t highest = 0;
  std::optional<std::size_t> first_unseen;
  for (std::size_t i = 0; i < s.messages.size(); ++i) {
    highest = std::max(highest, s.messages[i].modseq);
    if (!first_unseen && !(s.messages[i].flags & store::flag_seen)) first_unseen = i + 1;
  }
  s.highest_modseq = std::max(highest, s.mailbox.highest_modseq);
  untagged(fmt::format("{} EXISTS", s.messages.size()));
  untagged("FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  // RFC 4314 §4: only the flags our rights let us change are permanent for us.
  std::string permanent;
  if (s.may('w')) permanent += " \\Answered \\Flagged";
  if (s.may('t')) permanent += " \\Deleted";
  if (s.may('s')) permanent += " \\Seen";
  if (s.may('w')) permanent += " \\Draft \\*";
  untagged(fmt::format("OK [PERMANENTFLAGS ({})] Flags permitted", permanent.empty() ? "" : permanent.substr(1)));
  untagged(fmt::format("OK [UIDVALIDITY {}] UIDs valid", s.mailbox.uidvalidity));
  untagged(fmt::format("OK [UIDNEXT {}] Predicted next UID", s.mailbox.uidnext));
  // RFC 3501 clients expect RECENT and UNSEEN; IMAP4rev2 dropped them but allows them.
  untagged("0 RECENT");
  if (first_unseen) untagged(fmt::format("OK [UNSEEN {}] First unseen", *first_unseen));
  untagged(fmt::format("OK [HIGHESTMODSEQ {}] Highest", s.highest_modseq));
  // RFC 8474 §4.2.
  untagged(fmt::format("OK [MAILBOXID ({})] Ok", mailbox_objectid(s.mailbox.id)));
  untagged(fmt::format("LIST () \"/\" {}", encode_mailbox(s.name)));
  if (l->changes) {
    // RFC 7162 §3.2.5.1: expunges, then flag changes, since the client's MODSEQ, for
    // the UIDs it knows (all below UIDNEXT when it names none).
    const auto& known = q->known_uids;
    const std::uint32_t max_uid = s.mailbox.uidnext > 0 ? s.mailbox.uidnext - 1 : 0;
    auto wanted = [&known, max_uid](std::uint32_t uid) {
      return known ? set_contains(*known, uid, max_uid) : uid <= max_uid;
    };
    const auto answer = resync_since(*l->changes, s, q->modseq, wanted);
    if (!answer.vanished.empty()) untagged(vanished_response(answer.vanished, true));
    for (const auto idx : answer.changed) {
      const auto& m = s.messages[idx];
      out_ += fmt::format("* {} FETCH (UID {} FLAGS {} MODSEQ ({}))\r\n", idx + 1, m.uid, flag_list(m), m.modseq);
      if (!co_await maybe_flush()) co_return outcome::close;
    }
  }
  co_return co_await ok(cmd, fmt::format("[{}] {} completed", s.writable() ? "READ-WRITE" : "READ-ONLY", cmd.name));
}

asio::awaitable<session::outcome> session::cmd_close(const command& cmd) {
  // RFC 9051 §6.4.1: CLOSE removes \Deleted messages silently (unless read-only);
  // UNSELECT (RFC 3691) does not.
  // RFC 4314 §4: only with "e" (EXAMINE takes it away).
  if (cmd.name == "CLOSE" && selected_->may('e')) {
    std::vector<std::uint32_t> uids;
    for (const auto& m : selected_->messages) {
      if (m.flags & store::flag_deleted) uids.push_back(m.uid);
    }
    if (!uids.empty()) {
      auto del = [&st = store_, mb = selected_->mailbox.id, uids]() { return st.expunge(mb, uids); };
      auto done = co_await blocking(del);
      if (!done) co_return co_await no(cmd, "[SERVERBUG] Cannot expunge");
      store_.notifier().notify(selected_->owner);
    }
  }
  selected_.reset();
  watch_owner(0);
  state_ = state::authenticated;
  co_return co_await ok(cmd, fmt::format("{} completed", cmd.name));
}

asio::awaitable<session::outcome> session::cmd_expunge(const command& cmd) {
  if (selected_->examined) co_return co_await no(cmd, "[READ-ONLY] Mailbox is read-only");
  // RFC 4314 §4: EXPUNGE needs "e".
  if (!selected_->may('e')) co_return co_await no(cmd, "[NOPERM] You may not expunge in this mailbox");
  // Flags set by other sessions count: bring the view up to date first.
  co_await sync_selected(true);
  std::optional<std::vector<std::size_t>> limit;
  if (cmd.uid) {
    const auto* set = std::get_if<proto::sequence_set>(&cmd.args);
    if (set == nullptr) co_return co_await bad(cmd, "UID EXPUNGE needs a UID set");
    limit = resolve_set(*set, true);
  }
  std::vector<std::uint32_t> uids;
  const auto& msgs = selected_->messages;
  if (limit) {
    for (const auto i : *limit) {
      if (msgs[i].flags & store::flag_deleted) uids.push_back(msgs[i].uid);
    }
  } else {
    for (const auto& m : msgs) {
      if (m.flags & store::flag_deleted) uids.push_back(m.uid);
    }
  }
  if (!uids.empty()) {
    auto del = [&st = store_, mb = selected_->mailbox.id, uids]() { return st.expunge(mb, uids); };
    auto done = co_await blocking(del);
    if (!done) co_return co_await no(cmd, "[SERVERBUG] Cannot expunge");
    store_.notifier().notify(selected_->owner);
  }
  co_await sync_selected(true);
  // RFC 7162 §3.2.7: the tagged OK carries the new HIGHESTMODSEQ, which counts the
  // expunges just reported.
  if (condstore_) {
    co_return co_await ok(cmd, fmt::format("[HIGHESTMODSEQ {}] {}EXPUNGE completed", selected_->highest_modseq,
                                           cmd.uid ? "UID " : ""));
  }
  co_return co_await ok(cmd, "EXPUNGE completed");
}

}  // namespace letterhead::imap::server
