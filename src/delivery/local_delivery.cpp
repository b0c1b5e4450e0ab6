#include "delivery/local_delivery.hpp"

#include <algorithm>
#include <ctime>
#include <random>

#include <fmt/format.h>

#include "core/metrics.hpp"

namespace letterhead::delivery {
namespace {

std::string new_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016X}", rng());
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
  for (const auto& r : msg.recipients) {
    auto res = directory_.resolve(r.address);
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
      if (!seen) remote.push_back(recipient{ext, r.notify, ext == r.address ? r.orcpt : "rfc822;" + r.address});
    }
  }
  if (accounts.empty() && remote.empty()) {
    return core::fail(core::errc::invalid, "no deliverable recipients");
  }

  const auto now = static_cast<store::unix_time>(std::time(nullptr));
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
    for (const auto id : accounts) d.targets.push_back(store::delivery_target{id, store::mailbox_role::inbox, 0, {}});
    auto done = store_.deliver(d);
    if (!done) return std::unexpected(done.error());
    out.local_copies = done->size();
    for (const auto id : accounts) store_.notifier().notify(id);
  }
  if (!remote.empty()) {
    auto hash = store_.blobs().put_deferred(message);
    if (!hash) return std::unexpected(hash.error());
    store::queue_entry e;
    e.blob = *hash;
    e.size = message.size();
    e.mail_from = msg.mail_from;
    e.dsn_ret = msg.dsn_ret;
    e.dsn_envid = msg.dsn_envid;
    e.auth_account = msg.auth_account;
    e.created = now;
    e.next_attempt = now;
    for (const auto& r : remote) {
      store::queue_recipient qr;
      qr.address = r.address;
      qr.dsn_notify = r.notify;
      qr.dsn_orcpt = r.orcpt;
      e.recipients.push_back(std::move(qr));
    }
    auto id = store_.enqueue(e);
    if (!id) return std::unexpected(id.error());
    out.queued = remote.size();
  }
  return out;
}

}  // namespace letterhead::delivery
