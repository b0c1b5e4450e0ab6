#include "delivery/local_delivery.hpp"

#include <algorithm>
#include <ctime>
#include <map>
#include <random>

#include <fmt/format.h>

#include "core/metrics.hpp"
#include "directory/org.hpp"
#include "mime/summary.hpp"

namespace letterhead::delivery {
namespace {

std::string new_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016X}", rng());
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : directory::lower_ascii(address.substr(at + 1));
}

// Where a message judged spam goes in an account: its \Junk mailbox (RFC 6154),
// created as "Junk" when the account has none; a mailbox already named "Junk"
// without the role is used as it is.
core::result<store::delivery_target> junk_target(store::store& store, store::id_t account) {
  store::delivery_target t{account, store::mailbox_role::junk, 0, {}};
  auto box = store.find_mailbox_by_role(account, store::mailbox_role::junk);
  if (box) return t;
  if (box.error().code != core::errc::not_found) return std::unexpected(box.error());
  auto made = store.create_mailbox(account, "Junk", store::mailbox_role::junk);
  if (made) return t;
  if (made.error().code != core::errc::exists) return std::unexpected(made.error());
  // Another delivery created it meanwhile, or "Junk" exists without the role.
  if (store.find_mailbox_by_role(account, store::mailbox_role::junk)) return t;
  auto named = store.find_mailbox(account, "Junk");
  if (!named) return std::unexpected(named.error());
  t.role = store::mailbox_role::none;
  t.mailbox_id = named->id;
  return t;
}

// Issue 6 mail rules at delivery: internal-only accounts get nothing from outside
// (a list reaching them from outside skips them), and an internal-only sender's mail
// reaches no outside address through a list or an alias (the RCPT check refused
// direct ones already).
core::result<void> apply_mail_rules(store::store& store, const inbound_message& msg,
                                    std::vector<store::id_t>& accounts, std::vector<recipient>& remote) {
  auto book = directory::rule_book::load(store);
  if (!book) return std::unexpected(book.error());
  if (book->no_external_rules()) return {};
  if (msg.auth_account.empty()) {
    const auto from = domain_of(msg.mail_from);
    std::vector<store::id_t> kept;
    for (const auto id : accounts) {
      auto rules = book->rules_for(id);
      if (!rules) return std::unexpected(rules.error());
      if (directory::external_allowed(*rules, from)) kept.push_back(id);
    }
    accounts = std::move(kept);
    return {};
  }
  auto sender = store.find_account(msg.auth_account);
  if (!sender) {
    if (sender.error().code == core::errc::not_found) return {};
    return std::unexpected(sender.error());
  }
  auto rules = book->rules_for(sender->id);
  if (!rules) return std::unexpected(rules.error());
  std::erase_if(remote, [&](const recipient& r) { return !directory::external_allowed(*rules, domain_of(r.address)); });
  return {};
}

}  // namespace

local_delivery::local_delivery(store::store& store, directory::directory& directory)
    : store_(store), directory_(directory) {}

core::result<delivery_result> local_delivery::deliver(const inbound_message& msg,
                                                       std::string_view message) {
  static auto& ok = core::metrics::global().counter("letterhead_deliveries_total", {{"result", "ok"}},
                                                    "Messages delivered.");
  static auto& failed = core::metrics::global().counter("letterhead_deliveries_total", {{"result", "failed"}},
                                                        "Messages delivered.");
  auto out = deliver_now(msg, message);
  (out ? ok : failed).inc();
  return out;
}

core::result<delivery_result> local_delivery::deliver_now(const inbound_message& msg,
                                                          std::string_view message) {
  delivery_result out;
  out.id = new_id();

  std::vector<store::id_t> accounts;
  std::vector<recipient> remote;
  std::vector<store::id_t> held_groups;
  bool reached_group = false;
  // The forwarding domain of each remote recipient an alias, forward or list of ours
  // reached ("" for one addressed directly, or a bounce relayed to an SRS address's
  // sender).
  std::map<std::string, std::string> via;
  const auto now = static_cast<store::unix_time>(std::time(nullptr));
  const directory::resolve_options options{.hold_moderated = !msg.moderation_approved};
  for (const auto& r : msg.recipients) {
    if (forwarding_) {
      auto srs = forwarding_->reverse(r.address, now);
      if (!srs) return std::unexpected(srs.error());
      if (srs->status == srs_status::valid) {
        const bool seen = std::ranges::any_of(remote, [&](const recipient& x) { return x.address == srs->address; });
        if (!seen) remote.push_back(recipient{srs->address, r.notify, r.orcpt});
        continue;
      }
      // Refused at RCPT; one that expired since then is dropped like a removed account.
      if (srs->status != srs_status::not_srs) continue;
    }
    auto res = directory_.resolve(r.address, options);
    if (!res) {
      // The session checked every recipient at RCPT time; one gone since then (an
      // account removed meanwhile) must not lose the others' copy.
      if (res.error().code == core::errc::not_found) continue;
      return std::unexpected(res.error());
    }
    for (const auto id : res->accounts) {
      if (std::ranges::find(accounts, id) == accounts.end()) accounts.push_back(id);
    }
    for (const auto& ext : res->external) {
      const bool seen = std::ranges::any_of(remote, [&](const recipient& x) { return x.address == ext; });
      if (seen) continue;
      remote.push_back(recipient{ext, r.notify, ext == r.address ? r.orcpt : "rfc822;" + r.address});
      if (ext != r.address) via[ext] = domain_of(r.address);
    }
    for (const auto id : res->held_groups) {
      if (std::ranges::find(held_groups, id) == held_groups.end()) held_groups.push_back(id);
    }
    if (!res->groups.empty()) reached_group = true;
  }
  if (auto r = apply_mail_rules(store_, msg, accounts, remote); !r) return std::unexpected(r.error());
  if (accounts.empty() && remote.empty() && held_groups.empty()) {
    // A group whose members the rules left out (or an empty group) took the message.
    if (reached_group) return out;
    return core::fail(core::errc::invalid, "no deliverable recipients");
  }
  if (!held_groups.empty()) {
    auto held = hold(msg, message, held_groups);
    if (!held) return std::unexpected(held.error());
    out.held = *held;
  }

  if (!accounts.empty()) {
    // One blob for every local recipient: the Return-Path is the same for all.
    std::string local;
    local.reserve(message.size() + msg.mail_from.size() + 20);
    local += fmt::format("Return-Path: <{}>\r\n", msg.mail_from);
    local += message;
    auto hash = store_.blobs().put_deferred(local);
    if (!hash) return std::unexpected(hash.error());
    store::delivery d;
    d.blob = *hash;
    d.size = local.size();
    d.internal_date = now;
    // The parse cache entry IMAP answers FETCH ENVELOPE, SEARCH FROM, SORT ... from
    // (mime/summary.hpp), stored with the rows: one per blob, however many recipients,
    // and its search keys, one per row.
    d.meta_version = mime::summary_cache_version(parse_limits_);
    const auto summary = mime::summarize(local, mime::parse(local, parse_limits_));
    d.meta = mime::serialize(summary);
    d.keys = mime::serialize_keys(summary);
    for (const auto id : accounts) {
      if (msg.junk) {
        auto t = junk_target(store_, id);
        if (!t) return std::unexpected(t.error());
        d.targets.push_back(std::move(*t));
      } else {
        d.targets.push_back(store::delivery_target{id, store::mailbox_role::inbox, 0, {}});
      }
    }
    auto done = store_.deliver(d);
    if (!done) return std::unexpected(done.error());
    out.local_copies = done->size();
    for (const auto id : accounts) store_.notifier().notify(id);
  }
  if (!remote.empty()) {
    // One queue entry per forwarding domain: its own SRS sender and ARC seal (RFC 8617
    // §5.1: the sealer is the domain that passes the message on).
    std::map<std::string, std::vector<recipient>> groups;
    for (const auto& r : remote) {
      const auto it = via.find(r.address);
      groups[forwarding_ && it != via.end() ? it->second : std::string()].push_back(r);
    }
    for (const auto& [domain, recipients] : groups) {
      if (domain.empty()) {
        if (auto q = enqueue(msg, message, msg.mail_from, recipients, now); !q) return std::unexpected(q.error());
        continue;
      }
      auto sender = forwarding_->envelope_sender(msg.mail_from, domain, now);
      if (!sender) return std::unexpected(sender.error());
      std::string sealed;
      if (msg.auth_account.empty()) {
        // MX mail: sealed once, here, so every retry sends the same set.
        auto set = forwarding_->seal(message, domain, now);
        if (!set) return std::unexpected(set.error());
        if (!set->empty()) sealed = *set + std::string(message);
      }
      const std::string_view body = sealed.empty() ? message : std::string_view(sealed);
      if (auto q = enqueue(msg, body, *sender, recipients, now); !q) return std::unexpected(q.error());
    }
    out.queued = remote.size();
    if (on_enqueued_) on_enqueued_();
  }
  return out;
}

core::result<void> local_delivery::enqueue(const inbound_message& msg, std::string_view message,
                                           std::string_view mail_from, const std::vector<recipient>& recipients,
                                           store::unix_time now) {
  auto hash = store_.blobs().put_deferred(message);
  if (!hash) return std::unexpected(hash.error());
  store::queue_entry e;
  e.blob = *hash;
  e.size = message.size();
  e.mail_from = std::string(mail_from);
  e.dsn_ret = msg.dsn_ret;
  e.dsn_envid = msg.dsn_envid;
  e.auth_account = msg.auth_account;
  e.body_type = msg.body_type;
  e.smtputf8 = msg.smtputf8;
  e.requiretls = msg.requiretls;
  e.created = now;
  e.next_attempt = now;
  for (const auto& r : recipients) {
    store::queue_recipient qr;
    qr.address = r.address;
    qr.dsn_notify = r.notify;
    qr.dsn_orcpt = r.orcpt;
    e.recipients.push_back(std::move(qr));
  }
  auto id = store_.enqueue(e);
  if (!id) return std::unexpected(id.error());
  return {};
}

}  // namespace letterhead::delivery
