// Offboarding (issue 6 part B): when someone leaves, their account stops logging in
// while mail to it keeps arriving, their successor gets their mail (read access
// through ACLs, or the mail moved into the successor's account), optionally a copy of
// new mail and an auto-reply to senders, and their list ownerships. Every step is
// audited and `restore` undoes it. Also freeze/unfreeze (disable without handover).
//
// Steps are separate store transactions (moving mail is a delivery per message), made
// all or nothing by undoing: the offboarding record is written first, a step that
// fails makes offboard() undo the steps before it, and `restore` (which can be run
// again until it completes) finishes the undoing after a crash. Moving mail delivers
// each message into the target and then expunges the source: a crash in between
// leaves a copy in both places, never none.

#include <algorithm>
#include <ctime>
#include <functional>
#include <optional>

#include <fmt/format.h>

#include "directory/directory.hpp"
#include "directory/notices.hpp"

namespace letterhead::directory {

namespace {

// RFC 4314 §2.1: lookup, read, keep seen state; the successor reads, never changes.
constexpr std::string_view successor_rights = "lrs";
constexpr std::string_view offboarded_folder = "Offboarded";
constexpr std::size_t max_auto_reply = 4000;

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

// Moves every message of `from` into `to` (another account's mailbox, or the same
// account's); returns how many.
core::result<std::size_t> move_all(store::store& st, const store::mailbox& from, const store::mailbox& to) {
  auto messages = st.list_messages(from.id);
  if (!messages) return std::unexpected(messages.error());
  std::vector<std::uint32_t> moved;
  for (const auto& m : *messages) {
    store::delivery d;
    d.blob = m.blob;
    d.size = m.size;
    d.internal_date = m.internal_date;
    d.targets.push_back(store::delivery_target{to.account_id, store::mailbox_role::none, m.flags, m.keywords, to.id});
    if (auto r = st.deliver(d); !r) {
      (void)st.expunge(from.id, moved);
      return std::unexpected(r.error());
    }
    moved.push_back(m.uid);
  }
  if (auto r = st.expunge(from.id, moved); !r) return std::unexpected(r.error());
  st.notifier().notify(from.account_id);
  st.notifier().notify(to.account_id);
  return moved.size();
}

core::result<store::mailbox> find_or_create(store::store& st, store::id_t account, const std::string& name) {
  auto box = st.find_mailbox(account, name);
  if (box) return box;
  if (box.error().code != core::errc::not_found) return box;
  return st.create_mailbox(account, name, store::mailbox_role::none);
}

std::string transfer_root(const store::account& old) {
  return fmt::format("{}/{}", offboarded_folder, old.address);
}

}  // namespace

namespace {

using step_hook = std::function<core::result<void>(std::string_view)>;

core::result<void> after(const step_hook& hook, std::string_view step) {
  if (!hook) return {};
  return hook(step);
}

// Takes back what offboard() gave the successor, in the order that keeps the
// record until the end: restore() for an offboarded account, and offboard() itself
// when a step fails. Each step can be run again, so a restore that failed half-way
// (or a crash) is finished by running it again; the record, removed last, says that
// there is something left to do. A successor removed meanwhile took its grants and
// moved mail along: only the old account's side is put back then.
core::result<void> undo_offboarding(store::store& st, const store::account& old, const store::offboarding& rec,
                                    std::string_view actor, const step_hook& hook) {
  std::optional<store::account> successor;
  if (auto s = st.get_account(rec.successor_id); s) {
    successor = *s;
  } else if (s.error().code != core::errc::not_found) {
    return std::unexpected(s.error());
  }
  auto boxes = st.list_mailboxes(old.id);
  if (!boxes) return std::unexpected(boxes.error());
  if (successor) {
    for (const auto& box : *boxes) {
      if (auto r = st.set_acl(box.id, successor->id, ""); !r) return r;
    }
    (void)st.audit(actor, "user.restore.share", fmt::format("{}: access of {} removed", old.address,
                                                            successor->address));
  }
  if (auto r = after(hook, "share"); !r) return r;
  if (rec.transferred && successor) {
    const auto root = transfer_root(old);
    auto theirs = st.list_mailboxes(successor->id);
    if (!theirs) return std::unexpected(theirs.error());
    std::vector<store::mailbox> moved_boxes;
    for (const auto& box : *theirs) {
      if (box.name == root || box.name.starts_with(root + "/")) moved_boxes.push_back(box);
    }
    std::size_t messages = 0;
    for (const auto& box : moved_boxes) {
      if (box.name == root) continue;
      auto target = find_or_create(st, old.id, box.name.substr(root.size() + 1));
      if (!target) return std::unexpected(target.error());
      auto moved = move_all(st, box, *target);
      if (!moved) return std::unexpected(moved.error());
      messages += *moved;
    }
    // Deepest first: deleting a mailbox leaves its inferiors.
    std::ranges::sort(moved_boxes, [](const auto& a, const auto& b) { return a.name.size() > b.name.size(); });
    for (const auto& box : moved_boxes) (void)st.delete_mailbox(successor->id, box.name);
    if (auto top = st.list_mailboxes(successor->id); top) {
      const bool others = std::ranges::any_of(*top, [](const auto& b) {
        return b.name.starts_with(std::string(offboarded_folder) + "/");
      });
      auto folder = st.find_mailbox(successor->id, offboarded_folder);
      if (!others && folder && folder->messages == 0) (void)st.delete_mailbox(successor->id, offboarded_folder);
    }
    (void)st.audit(actor, "user.restore.transfer",
                   fmt::format("{}: {} messages back from {}", old.address, messages, successor->address));
  }
  if (auto r = after(hook, "transfer"); !r) return r;
  for (const auto signed_id : rec.moved_groups) {
    auto g = st.get_group(signed_id < 0 ? -signed_id : signed_id);
    if (!g) continue;  // removed since
    if (signed_id > 0 && successor) std::erase(g->owners, successor->address);
    if (std::ranges::find(g->owners, old.address) == g->owners.end()) g->owners.push_back(old.address);
    if (auto r = st.update_group(*g); !r) return std::unexpected(r.error());
    (void)st.audit(actor, "user.restore.group_owner", fmt::format("{}: owner {} again", g->address, old.address));
  }
  if (auto r = after(hook, "groups"); !r) return r;
  if (!rec.was_disabled) {
    if (auto r = st.set_account_disabled(old.id, false); !r) return r;
  }
  if (auto r = st.remove_offboarding(old.id); !r) return r;
  st.notifier().notify(old.id);
  if (successor) st.notifier().notify(successor->id);
  return {};
}

}  // namespace

// All or nothing: the steps are separate store transactions (moving mail is one
// delivery per message), so a step that fails makes offboard() undo the ones before
// it (undo_offboarding) before it returns the error; nothing irreversible (revoking
// app passwords, ending admin sessions) happens before the last fallible step. If
// the process dies in the middle, the record written first makes `restore` finish
// the undoing.
core::result<offboard_report> directory::offboard(std::string_view address, const offboard_options& o,
                                                  std::string_view actor) {
  auto old = account_for(address);
  if (!old) return std::unexpected(old.error());
  auto successor = account_for(o.successor);
  if (!successor) return std::unexpected(successor.error());
  if (old->id == successor->id) return core::fail(core::errc::invalid, "an account cannot be its own successor");
  if (successor->disabled) {
    return core::fail(core::errc::invalid, fmt::format("the successor {} is disabled", successor->address));
  }
  if (o.auto_reply.size() > max_auto_reply) {
    return core::fail(core::errc::limit, fmt::format("the auto-reply text is at most {} bytes", max_auto_reply));
  }
  if (auto existing = store_.get_offboarding(old->id); existing) {
    return core::fail(core::errc::exists, fmt::format("{} is offboarded already (successor {}): restore it first",
                                                      old->address, existing->successor));
  }
  auto owned = store_.groups_owned_by(old->id);
  if (!owned) return std::unexpected(owned.error());
  offboard_report report;
  std::vector<store::group> movable;
  for (const auto& g : *owned) {
    if (!o.may_move_group || o.may_move_group(g)) {
      movable.push_back(g);
    } else {
      report.groups_kept.push_back(g.address);
    }
  }

  // 1. The record first: whatever happens next, `restore` knows what to undo.
  store::offboarding rec;
  rec.account_id = old->id;
  rec.successor_id = successor->id;
  rec.forward = o.forward;
  rec.auto_reply = o.auto_reply;
  rec.transferred = o.transfer_mail;
  rec.was_disabled = old->disabled;
  rec.created = now();
  for (const auto& g : movable) {
    const bool already = std::ranges::find(g.owners, successor->address) != g.owners.end();
    // Positive: the successor was added as owner; negative: it was an owner already.
    rec.moved_groups.push_back(already ? -g.id : g.id);
  }
  if (auto r = store_.add_offboarding(rec); !r) return std::unexpected(r.error());
  (void)store_.audit(actor, "user.offboard",
                     fmt::format("{} -> {} forward={} auto_reply={} transfer_mail={}", old->address,
                                 successor->address, o.forward, !o.auto_reply.empty(), o.transfer_mail));
  const auto failed = [&](const core::error& e) -> core::result<offboard_report> {
    auto undone = undo_offboarding(store_, *old, rec, actor, {});
    (void)store_.audit(actor, "user.offboard.failed",
                       fmt::format("{}: {}; {}", old->address, e.message,
                                   undone ? std::string("every step undone")
                                          : "undoing failed (" + undone.error().message + "): run restore"));
    return std::unexpected(e);
  };
  if (auto r = after(o.after_step, "record"); !r) return failed(r.error());

  // 2. No more logins; open sessions notice through the notifier or their next check.
  if (auto r = store_.set_account_disabled(old->id, true); !r) return failed(r.error());
  store_.notifier().notify(old->id);
  (void)store_.audit(actor, "user.offboard.disable", old->address);
  if (auto r = after(o.after_step, "disable"); !r) return failed(r.error());

  // 3. The mail: moved into the successor's account, and in any case read access to
  // the old account's mailboxes, where new mail keeps arriving.
  auto boxes = store_.list_mailboxes(old->id);
  if (!boxes) return failed(boxes.error());
  if (o.transfer_mail) {
    for (const auto& box : *boxes) {
      if (box.messages == 0) continue;
      auto target = find_or_create(store_, successor->id, transfer_root(*old) + "/" + box.name);
      if (!target) return failed(target.error());
      auto moved = move_all(store_, box, *target);
      if (!moved) return failed(moved.error());
      report.messages_moved += *moved;
    }
    (void)store_.audit(actor, "user.offboard.transfer",
                       fmt::format("{}: {} messages to {} under {}", old->address, report.messages_moved,
                                   successor->address, transfer_root(*old)));
  }
  if (auto r = after(o.after_step, "transfer"); !r) return failed(r.error());
  for (const auto& box : *boxes) {
    if (auto r = store_.set_acl(box.id, successor->id, successor_rights); !r) return failed(r.error());
    ++report.mailboxes_shared;
  }
  store_.notifier().notify(successor->id);
  (void)store_.audit(actor, "user.offboard.share",
                     fmt::format("{}: {} mailboxes readable by {} ({})", old->address, report.mailboxes_shared,
                                 successor->address, successor_rights));
  if (auto r = after(o.after_step, "share"); !r) return failed(r.error());

  // 4. List ownerships (the groups are issue 6 part A's), of the groups the actor
  // may manage; the others are left to an admin who may.
  for (auto g : movable) {
    std::erase(g.owners, old->address);
    if (std::ranges::find(g.owners, successor->address) == g.owners.end()) g.owners.push_back(successor->address);
    if (auto r = store_.update_group(g); !r) return failed(r.error());
    ++report.groups_moved;
    (void)store_.audit(actor, "user.offboard.group_owner",
                       fmt::format("{}: owner {} -> {}", g.address, old->address, successor->address));
  }
  for (const auto& kept : report.groups_kept) {
    (void)store_.audit(actor, "user.offboard.group_kept",
                       fmt::format("{}: {} stays owner (outside the scope of {})", kept, old->address, actor));
  }
  if (auto r = after(o.after_step, "groups"); !r) return failed(r.error());

  // 5. Last, as they cannot be undone: app passwords revoked, admin sessions ended.
  auto revoked = store_.remove_app_passwords(old->id);
  if (!revoked) return failed(revoked.error());
  report.app_passwords_revoked = *revoked;
  (void)store_.audit(actor, "user.offboard.app_passwords", fmt::format("{}: {} revoked", old->address, *revoked));
  (void)store_.remove_admin_sessions(old->id);
  return report;
}

core::result<void> directory::restore(std::string_view address, std::string_view actor,
                                      const std::function<core::result<void>(std::string_view)>& after_step) {
  auto old = account_for(address);
  if (!old) return std::unexpected(old.error());
  auto rec = store_.get_offboarding(old->id);
  if (!rec) return std::unexpected(rec.error());
  if (auto r = undo_offboarding(store_, *old, *rec, actor, after_step); !r) {
    (void)store_.audit(actor, "user.restore.failed",
                       fmt::format("{}: {} (still offboarded: run restore again)", old->address, r.error().message));
    return r;
  }
  (void)store_.audit(actor, "user.restore", old->address);
  return {};
}

core::result<void> directory::freeze(std::string_view address, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = store_.set_account_disabled(acc->id, true); !r) return r;
  store_.notifier().notify(acc->id);
  (void)store_.remove_admin_sessions(acc->id);
  (void)store_.audit(actor, "user.freeze", acc->address);
  return {};
}

core::result<void> directory::unfreeze(std::string_view address, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto off = store_.get_offboarding(acc->id); off) {
    return core::fail(core::errc::invalid, fmt::format("{} is offboarded: use 'letterhead user restore {}'",
                                                       acc->address, acc->address));
  }
  if (auto r = store_.set_account_disabled(acc->id, false); !r) return r;
  (void)store_.audit(actor, "user.unfreeze", acc->address);
  return {};
}

core::result<std::size_t> directory::send_offboarding_replies(const std::vector<std::string>& recipients,
                                                              std::string_view mail_from, std::string_view message) {
  if (!may_auto_reply(mail_from, message)) return 0;
  std::size_t sent = 0;
  for (const auto& r : recipients) {
    auto acc = store_.find_account(r);
    if (!acc || !acc->disabled) continue;  // only offboarded accounts are disabled and answer
    auto off = store_.get_offboarding(acc->id);
    if (!off || off->auto_reply.empty()) continue;
    // RFC 3834 §3.1.8 (loops): never answer mail that we sent ourselves.
    if (lower_ascii(mail_from) == lower_ascii(acc->address)) continue;
    const auto t = now();
    auto fresh = store_.note_auto_reply(acc->id, mail_from, t, security_.auto_reply_interval);
    if (!fresh) return std::unexpected(fresh.error());
    if (!*fresh) continue;
    notice_headers h;
    h.from = acc->address;
    h.to = std::string(mail_from);
    auto subject = header_value(message, "Subject");
    while (!subject.empty() && (subject.front() == ' ' || subject.front() == '\t')) subject.erase(0, 1);
    // RFC 3834 §3.1.5: "Auto:" and the original subject (kept as it came, encoded words
    // included, since it is already a valid header value).
    h.subject = "Auto: " + (subject.empty() ? std::string("离职自动回复 / Out of office") : subject);
    auto id = header_value(message, "Message-ID");
    while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.erase(0, 1);
    h.in_reply_to = id;
    h.auto_replied = true;
    const auto text = compose_notice(h, off->auto_reply, t);
    auto blob = store_.blobs().put(text);
    if (!blob) return std::unexpected(blob.error());
    store::queue_entry e;
    e.blob = *blob;
    e.size = text.size();
    e.mail_from = "";  // RFC 3834 §3.3: the null reverse-path, so nothing bounces back
    e.created = t;
    e.next_attempt = t;
    e.recipients.push_back(store::queue_recipient{std::string(mail_from), "", "", {}, "", "", false});
    if (auto q = store_.enqueue(e); !q) return std::unexpected(q.error());
    (void)store_.audit("system", "user.offboard.auto_reply", fmt::format("{} -> {}", acc->address, mail_from));
    ++sent;
  }
  return sent;
}

}  // namespace letterhead::directory
