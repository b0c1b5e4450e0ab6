// STORE (RFC 9051 §6.4.6, UNCHANGEDSINCE RFC 7162 §3.1.3), COPY (§6.4.7, UIDPLUS
// COPYUID RFC 4315) and MOVE (RFC 6851).
#include <fmt/format.h>

#include "imap/proto/sequence_set.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_store(const command& cmd) {
  const auto* a = std::get_if<proto::store_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "STORE needs a set, an operation and flags");
  if (selected_->examined) co_return co_await no(cmd, "[READ-ONLY] Mailbox is read-only");
  auto parsed = parse_flags(a->flags);
  if (!parsed) co_return co_await bad(cmd, parsed.error().message);
  // RFC 4314 §4: \Seen needs "s", \Deleted "t", other flags and keywords "w". Naming
  // a flag we may not change fails the STORE; a replacement keeps the flags we may
  // not change as they are.
  std::uint32_t changeable = 0;
  if (selected_->may('s')) changeable |= store::flag_seen;
  if (selected_->may('t')) changeable |= store::flag_deleted;
  const bool may_write = selected_->may('w');
  if (may_write) changeable |= store::flag_answered | store::flag_flagged | store::flag_draft;
  if ((parsed->bits & ~changeable) != 0 || (!parsed->keywords.empty() && !may_write)) {
    co_return co_await no(cmd, "[NOPERM] You may not change these flags in this mailbox");
  }
  if (a->unchangedsince) condstore_ = true;
  co_await sync_selected(cmd.uid);
  const auto chosen = resolve_set(a->set, cmd.uid);
  store::flag_change change;
  change.flags = parsed->bits;
  change.keywords = parsed->keywords;
  change.unchanged_since = a->unchangedsince;
  switch (a->how) {
    case proto::store_args::mode::replace:
      change.op = store::flag_op::set;
      change.set_mask = changeable;
      change.set_keywords = may_write;
      break;
    case proto::store_args::mode::add: change.op = store::flag_op::add; break;
    case proto::store_args::mode::remove: change.op = store::flag_op::remove; break;
  }
  std::vector<std::uint32_t> uids;
  uids.reserve(chosen.size());
  for (const auto idx : chosen) uids.push_back(selected_->messages[idx].uid);
  // One write for the whole set, computed from the stored flags (store::update_flags):
  // another session's change made since our view was synced is kept, not overwritten.
  store::flag_update done;
  if (!uids.empty()) {
    auto update = [&st = store_, mb = selected_->mailbox.id, &uids, &change]() {
      return st.update_flags(mb, uids, change);
    };
    auto updated = co_await blocking(update);
    if (!updated) {
      if (updated.error().code == core::errc::not_found) {
        co_return co_await no(cmd, "[NONEXISTENT] Mailbox was deleted");
      }
      log_.error("cannot store flags: {}", updated.error().message);
      co_return co_await no(cmd, "[SERVERBUG] Cannot store flags");
    }
    done = std::move(*updated);
  }
  // Messages expunged meanwhile are not in `done` and get no FETCH (RFC 2180 §4.2.1).
  bool any_changed = false;
  for (const auto& state : done.messages) {
    const auto idx = selected_->index_of_uid(state.uid);
    if (!idx) continue;
    auto& msg = selected_->messages[*idx];
    const auto expected = store::apply_flag_change(change, msg.flags, msg.keywords);
    // RFC 9051 §6.4.6: even with .SILENT, flags that another session changed are sent;
    // RFC 7162 §3.1.3: with CONDSTORE, each changed message's new MODSEQ is sent.
    const bool surprising = !expected.same_as(state.flags, state.keywords);
    any_changed = any_changed || state.changed;
    msg.flags = state.flags;
    msg.keywords = state.keywords;
    msg.modseq = state.modseq;
    const bool send_flags = !a->silent || surprising;
    if (!send_flags && !(condstore_ && state.changed)) continue;
    std::string line = fmt::format("* {} FETCH (", *idx + 1);
    // With QRESYNC a client keys its cache by UID: give it always.
    if (cmd.uid || qresync_) line += fmt::format("UID {} ", msg.uid);
    if (send_flags) line += "FLAGS " + flag_list(msg);
    if (condstore_) line += fmt::format("{}MODSEQ ({})", send_flags ? " " : "", msg.modseq);
    out_ += line + ")\r\n";
    if (!co_await maybe_flush()) co_return outcome::close;
  }
  if (any_changed) store_.notifier().notify(selected_->owner);
  if (!done.modified.empty()) {
    std::vector<std::uint32_t> modified;  // RFC 7162 §3.1.3: failed UNCHANGEDSINCE
    for (const auto uid : done.modified) {
      if (cmd.uid) {
        modified.push_back(uid);
      } else if (const auto idx = selected_->index_of_uid(uid)) {
        modified.push_back(static_cast<std::uint32_t>(*idx + 1));
      }
    }
    co_return co_await ok(cmd, fmt::format("[MODIFIED {}] Conditional STORE failed for some",
                                           proto::format_sequence_set(modified)));
  }
  co_return co_await ok(cmd, fmt::format("{}STORE completed", cmd.uid ? "UID " : ""));
}

// Filing is a verdict (junk_feedback.hpp): into Junk says spam (for the Junk
// mailbox's owner); a MOVE out of Junk into anything but Trash says ham.
void session::report_junk_feedback(const std::vector<store::message>& messages, store::mailbox_role to_role,
                                   store::id_t to_owner, bool move) {
  if (!settings_.junk_feedback || messages.empty()) return;
  const auto from_role = selected_->mailbox.role;
  junk_feedback fb;
  if (to_role == store::mailbox_role::junk && from_role != store::mailbox_role::junk) {
    fb.account = to_owner;
    fb.spam = true;
  } else if (move && from_role == store::mailbox_role::junk && to_role != store::mailbox_role::junk &&
             to_role != store::mailbox_role::trash) {
    fb.account = selected_->owner;
    fb.spam = false;
  } else {
    return;
  }
  for (const auto& m : messages) fb.blobs.push_back(m.blob);
  settings_.junk_feedback(std::move(fb));
}

asio::awaitable<session::outcome> session::cmd_copy(const command& cmd) {
  const auto* a = std::get_if<proto::copy_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "COPY needs a set and a mailbox");
  const bool move = cmd.name == "MOVE";
  if (move && selected_->examined) co_return co_await no(cmd, "[READ-ONLY] Mailbox is read-only");
  // RFC 6851 §3.3 with RFC 4314 §4: MOVE deletes and expunges in the source.
  if (move && !(selected_->may('t') && selected_->may('e'))) {
    co_return co_await no(cmd, "[NOPERM] You may not move messages out of this mailbox");
  }
  co_await sync_selected(cmd.uid);
  const auto chosen = resolve_set(a->set, cmd.uid);
  auto to = co_await resolve_target(a->mailbox);
  if (!to) {
    if (to.error().code == core::errc::not_found) co_return co_await no(cmd, "[TRYCREATE] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open target mailbox");
  }
  // RFC 4314 §4: COPY and MOVE into a mailbox need "i" there.
  if (!to->may('i')) co_return co_await no(cmd, "[NOPERM] You may not add messages to the target mailbox");
  if (chosen.empty()) co_return co_await ok(cmd, fmt::format("{} completed", cmd.name));
  std::vector<std::uint32_t> uids;
  std::vector<store::message> originals;
  std::uint64_t bytes = 0;
  for (const auto idx : chosen) {
    uids.push_back(selected_->messages[idx].uid);
    originals.push_back(selected_->messages[idx]);
    bytes += selected_->messages[idx].size;
  }
  const bool same_account = to->owner == selected_->owner;
  // RFC 9208 §4.2: a copy that takes the target account over its quota fails with
  // [OVERQUOTA]; a MOVE within one account adds nothing in the end.
  if (!(move && same_account)) {
    auto room = co_await check_quota(to->owner, bytes);
    if (!room) {
      if (room.error().code == core::errc::limit) co_return co_await no(cmd, "[OVERQUOTA] Quota exceeded");
      co_return co_await no(cmd, "[SERVERBUG] Cannot read the quota");
    }
  }
  core::result<std::vector<std::uint32_t>> new_uids;
  if (same_account) {
    auto copy = [&st = store_, from = selected_->mailbox.id, uids, to_id = to->box.id]() {
      return st.copy_messages(from, uids, to_id);
    };
    new_uids = co_await blocking(copy);
  } else {
    // Between accounts (a shared mailbox on either side): each message is delivered
    // into the target from its stored blob, the quota checked by the store as for
    // APPEND; on a failure the copies already made are expunged again.
    auto copy = [&st = store_, &originals, owner = to->owner, to_id = to->box.id]()
        -> core::result<std::vector<std::uint32_t>> {
      std::vector<std::uint32_t> made;
      for (const auto& m : originals) {
        store::delivery d;
        d.blob = m.blob;
        d.size = m.size;
        d.internal_date = m.internal_date;
        d.enforce_quota = true;
        store::delivery_target target;
        target.account_id = owner;
        target.role = store::mailbox_role::none;
        target.mailbox_id = to_id;
        target.flags = m.flags;
        target.keywords = m.keywords;
        d.targets.push_back(std::move(target));
        auto done = st.deliver(d);
        if (!done) {
          if (!made.empty()) (void)st.expunge(to_id, made);
          return std::unexpected(done.error());
        }
        made.push_back(done->front().uid);
      }
      return made;
    };
    new_uids = co_await blocking(copy);
  }
  if (!new_uids) {
    if (new_uids.error().code == core::errc::limit) co_return co_await no(cmd, "[OVERQUOTA] Quota exceeded");
    if (new_uids.error().code == core::errc::not_found) {
      // A message this session still lists was expunged by another one (or a
      // mailbox went). Nothing was copied (the store copies all or nothing): RFC
      // 2180 §4.4.1 lets COPY fail, RFC 5530 names why; the client's next NOOP
      // gets the EXPUNGE. The target may be what went: then TRYCREATE.
      auto target = co_await blocking([&st = store_, id = to->box.id] { return st.get_mailbox(id); });
      if (!target && target.error().code == core::errc::not_found) {
        co_return co_await no(cmd, "[TRYCREATE] No such mailbox");
      }
      co_return co_await no(cmd, "[EXPUNGEISSUED] Some of the messages were expunged by another session");
    }
    co_return co_await no(cmd, "[SERVERBUG] Cannot copy");
  }
  store_.notifier().notify(to->owner);
  report_junk_feedback(originals, to->box.role, to->owner, move);
  const std::string copyuid = fmt::format("COPYUID {} {} {}", to->box.uidvalidity, proto::format_sequence_set(uids),
                                          proto::format_sequence_set(*new_uids));
  if (move) {
    // RFC 6851 §3.3: COPYUID goes in an untagged OK before the expunges.
    auto del = [&st = store_, from = selected_->mailbox.id, uids]() { return st.expunge(from, uids); };
    auto done = co_await blocking(del);
    if (!done) co_return co_await no(cmd, "[SERVERBUG] Copied but cannot remove the originals");
    untagged(fmt::format("OK [{}] Moved", copyuid));
    store_.notifier().notify(selected_->owner);
    co_await sync_selected(true);
    co_return co_await ok(cmd, fmt::format("{}MOVE completed", cmd.uid ? "UID " : ""));
  }
  co_return co_await ok(cmd, fmt::format("[{}] {}COPY completed", copyuid, cmd.uid ? "UID " : ""));
}

}  // namespace letterhead::imap::server
