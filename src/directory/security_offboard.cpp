// Offboarding (issue 6 part B): when someone leaves, their account stops logging in
// while mail to it keeps arriving, their successor gets their mail (read access
// through ACLs, or the mail moved into the successor's account), optionally a copy of
// new mail and an auto-reply to senders, and their list ownerships. Every step is
// audited and `restore` undoes it. Also freeze/unfreeze (disable without handover).
//
// Here is the policy (who succeeds, which groups the actor may touch, where the mail
// goes, what the audit says); the store applies it as one transaction
// (store::apply_offboarding): an offboarding or a restore is whole or absent, also
// after a kill -9 (issue 6: "nothing half-applied"). Sessions hear of it after commit.

#include <algorithm>
#include <ctime>
#include <functional>

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

std::string transfer_root(const store::account& old) {
  return fmt::format("{}/{}", offboarded_folder, old.address);
}

core::result<void> after(const std::function<core::result<void>(std::string_view)>& hook, std::string_view step) {
  if (!hook) return {};
  return hook(step);
}

}  // namespace

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

  store::offboarding_plan plan;
  auto& rec = plan.record;
  rec.account_id = old->id;
  rec.successor_id = successor->id;
  rec.forward = o.forward;
  rec.auto_reply = o.auto_reply;
  rec.transferred = o.transfer_mail;
  rec.was_disabled = old->disabled;
  rec.created = now();
  // No more logins: disabled, app passwords revoked, admin sessions ended; open
  // protocol sessions notice through the notifier or their next check.
  plan.set_disabled = true;
  plan.revoke_credentials = true;
  // The mail: moved into the successor's account, and in any case read access to the
  // old account's mailboxes, where new mail keeps arriving.
  if (o.transfer_mail) plan.transfers.push_back(store::mail_transfer{old->id, "", successor->id, transfer_root(*old)});
  plan.acls.push_back(store::acl_change{old->id, successor->id, std::string(successor_rights)});
  // List ownerships of the groups the actor may manage; the others are left to an
  // admin who may.
  std::vector<std::string> moved_names;
  for (const auto& g : movable) {
    const bool already = std::ranges::find(g.owners, successor->address) != g.owners.end();
    // Positive: the successor was added as owner; negative: it was an owner already.
    rec.moved_groups.push_back(already ? -g.id : g.id);
    plan.owners.push_back(store::owner_change{g.id, old->id, already ? 0 : successor->id});
    moved_names.push_back(g.address);
  }
  plan.actor = std::string(actor);
  plan.audit = [&](const store::offboarding_outcome& out) {
    std::vector<store::audit_entry> a;
    a.push_back({"user.offboard", fmt::format("{} -> {} forward={} auto_reply={} transfer_mail={}", old->address,
                                              successor->address, o.forward, !o.auto_reply.empty(),
                                              o.transfer_mail)});
    a.push_back({"user.offboard.disable", old->address});
    a.push_back({"user.offboard.app_passwords",
                 fmt::format("{}: {} revoked, {} admin sessions ended", old->address, out.app_passwords_revoked,
                             out.admin_sessions_ended)});
    if (o.transfer_mail) {
      a.push_back({"user.offboard.transfer", fmt::format("{}: {} messages to {} under {}", old->address,
                                                         out.messages_moved, successor->address,
                                                         transfer_root(*old))});
    }
    a.push_back({"user.offboard.share", fmt::format("{}: {} mailboxes readable by {} ({})", old->address,
                                                    out.mailboxes_shared, successor->address, successor_rights)});
    for (const auto& name : moved_names) {
      a.push_back({"user.offboard.group_owner",
                   fmt::format("{}: owner {} -> {}", name, old->address, successor->address)});
    }
    for (const auto& kept : report.groups_kept) {
      a.push_back({"user.offboard.group_kept",
                   fmt::format("{}: {} stays owner (outside the scope of {})", kept, old->address, actor)});
    }
    return a;
  };
  plan.fault = o.after_step;
  if (auto r = after(o.after_step, "plan"); !r) return std::unexpected(r.error());

  auto out = store_.apply_offboarding(plan);
  if (!out) {
    (void)store_.audit(actor, "user.offboard.failed",
                       fmt::format("{}: {}; nothing changed", old->address, out.error().message));
    return std::unexpected(out.error());
  }
  store_.notifier().notify(old->id);
  store_.notifier().notify(successor->id);
  report.app_passwords_revoked = out->app_passwords_revoked;
  report.mailboxes_shared = out->mailboxes_shared;
  report.messages_moved = out->messages_moved;
  report.groups_moved = out->groups_changed;
  return report;
}

// Takes back what offboard() gave the successor, in one transaction. Revoked app
// passwords stay revoked.
core::result<void> directory::restore(std::string_view address, std::string_view actor,
                                      const std::function<core::result<void>(std::string_view)>& after_step) {
  auto old = account_for(address);
  if (!old) return std::unexpected(old.error());
  auto rec = store_.get_offboarding(old->id);
  if (!rec) return std::unexpected(rec.error());
  auto successor = store_.get_account(rec->successor_id);
  if (!successor) return std::unexpected(successor.error());

  store::offboarding_plan plan;
  plan.restore = true;
  plan.record = *rec;
  if (!rec->was_disabled) plan.set_disabled = false;
  plan.acls.push_back(store::acl_change{old->id, successor->id, ""});
  const auto root = transfer_root(*old);
  if (rec->transferred) {
    plan.transfers.push_back(store::mail_transfer{successor->id, root, old->id, ""});
    plan.cleanups.push_back(store::mailbox_cleanup{successor->id, root, true});
    plan.cleanups.push_back(store::mailbox_cleanup{successor->id, std::string(offboarded_folder), false});
  }
  std::vector<std::string> group_names;
  for (const auto signed_id : rec->moved_groups) {
    const auto id = signed_id < 0 ? -signed_id : signed_id;
    plan.owners.push_back(store::owner_change{id, signed_id > 0 ? successor->id : 0, old->id});
    if (auto g = store_.get_group(id); g) group_names.push_back(g->address);
  }
  plan.actor = std::string(actor);
  plan.audit = [&](const store::offboarding_outcome& out) {
    std::vector<store::audit_entry> a;
    a.push_back({"user.restore.share", fmt::format("{}: access of {} removed", old->address, successor->address)});
    if (rec->transferred) {
      a.push_back({"user.restore.transfer", fmt::format("{}: {} messages back from {}", old->address,
                                                        out.messages_moved, successor->address)});
    }
    for (const auto& name : group_names) {
      a.push_back({"user.restore.group_owner", fmt::format("{}: owner {} again", name, old->address)});
    }
    a.push_back({"user.restore", old->address});
    return a;
  };
  plan.fault = after_step;
  if (auto r = store_.apply_offboarding(plan); !r) {
    (void)store_.audit(actor, "user.restore.failed",
                       fmt::format("{}: {} (still offboarded, nothing changed)", old->address, r.error().message));
    return std::unexpected(r.error());
  }
  store_.notifier().notify(old->id);
  store_.notifier().notify(successor->id);
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
