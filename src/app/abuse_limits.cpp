#include "app/abuse_limits.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "directory/notices.hpp"
#include "directory/org.hpp"

namespace letterhead::app {

using smtp::server::refusal;

namespace {

bool is_loopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : lower(address.substr(at + 1));
}

// One window of the external-mail counter.
constexpr std::chrono::hours hour{1};

}  // namespace

std::string greylist_network(std::string_view ip) {
  // The per-client key (IPv6 /64, IPv4-mapped unwrapped), widened to /24 for IPv4:
  // a sending farm retries from neighbouring addresses (RFC 6647 §4.1).
  auto key = core::client_rate_key(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, key.c_str(), &v4) == 1) {
    const auto host = ntohl(v4.s_addr) & 0xffffff00u;
    return fmt::format("{}.{}.{}.0/24", host >> 24, (host >> 16) & 0xff, (host >> 8) & 0xff);
  }
  return key;
}

abuse_limits::abuse_limits(const core::config& cfg, directory::directory& dir, delivery::local_delivery& delivery)
    : limits_(cfg.limits),
      greylist_(cfg.greylist),
      trust_loopback_(cfg.auth.trust_loopback),
      directory_(dir),
      delivery_(delivery),
      external_per_hour_(make_rate_counter(cfg, dir.store(), "submission", hour)) {}

core::result<std::optional<refusal>> abuse_limits::check_recipient(const smtp::server::envelope& env,
                                                                  const smtp::server::recipient& r) {
  if (env.kind != smtp::server::listener_kind::mx && env.authenticated && !r.local) return check_submission(env);
  if (env.kind == smtp::server::listener_kind::mx && greylist_.enabled) return check_greylist(env, r);
  return std::nullopt;
}

core::result<std::optional<refusal>> abuse_limits::check_submission(const smtp::server::envelope& env) {
  const auto limit = limits_.submission_external_per_hour;
  if (limit == 0) return std::nullopt;
  const auto& who = *env.authenticated;
  // Outside recipients, not messages: one message to 100 outside addresses sprays as
  // much as 100 messages. Those of this transaction count before it is accepted.
  const auto pending = static_cast<std::size_t>(
      std::ranges::count_if(env.recipients, [](const auto& r) { return !r.local; }));
  const auto n =
      external_per_hour_->count(std::to_string(who.account_id), core::rate_counter::clock::now()) + pending;
  if (n < limit) return std::nullopt;
  limit_reached(who, n);
  if (limits_.freeze_on_limit) {
    return refusal{550, "5.7.1",
                   fmt::format("Account {} sent {} messages to outside recipients within an hour (limit {}) and is "
                               "frozen; please contact your administrator",
                               who.address, n, limit)};
  }
  // RFC 3463 §3.8: 4.7.1, delivery not authorised for now; the client retries later.
  return refusal{451, "4.7.1",
                 fmt::format("Too many messages to outside recipients: account {} may send at most {} an hour; try "
                             "again later",
                             who.address, limit)};
}

void abuse_limits::note_accepted(const smtp::server::envelope& env) {
  if (env.kind == smtp::server::listener_kind::mx || !env.authenticated) return;
  if (limits_.submission_external_per_hour == 0) return;
  const auto outside =
      static_cast<std::size_t>(std::ranges::count_if(env.recipients, [](const auto& r) { return !r.local; }));
  if (outside == 0) return;
  (void)external_per_hour_->add(std::to_string(env.authenticated->account_id), core::rate_counter::clock::now(),
                                outside);
}

void abuse_limits::limit_reached(const smtp::server::identity& who, std::size_t count) {
  {
    std::scoped_lock lock(alerted_mutex_);
    const auto now = std::chrono::steady_clock::now();
    auto it = alerted_.find(who.account_id);
    if (it != alerted_.end() && now - it->second < hour) return;
    // Bounded: entries older than a window mean nothing any more.
    if (alerted_.size() > 10000) std::erase_if(alerted_, [&](const auto& kv) { return now - kv.second >= hour; });
    alerted_[who.account_id] = now;
  }
  const auto limit = limits_.submission_external_per_hour;
  spdlog::warn("submission limit: {} sent {} messages to outside recipients within an hour (limit {})", who.address,
               count, limit);
  auto& store = directory_.store();
  const auto detail = fmt::format("{} reached {} messages to outside recipients per hour{}", who.address, limit,
                                  limits_.freeze_on_limit ? "; account frozen" : "");
  if (auto r = store.audit("system", "submission.limit", detail); !r) {
    spdlog::warn("audit: {}", r.error().message);
  }
  if (limits_.freeze_on_limit) {
    if (auto r = directory_.freeze(who.address, "system"); !r) spdlog::warn("freeze {}: {}", who.address, r.error().message);
  }

  // One alert to the super admins and the postmaster of the sender's domain.
  std::vector<std::string> admins;
  if (auto grants = store.list_roles(0)) {
    for (const auto& g : *grants) {
      if (g.role == directory::role_super_admin && !g.address.empty() &&
          std::ranges::find(admins, g.address) == admins.end()) {
        admins.push_back(g.address);
      }
    }
  }
  const auto postmaster = "postmaster@" + domain_of(who.address);
  if (directory_.resolve(postmaster)) {
    if (std::ranges::find(admins, postmaster) == admins.end()) admins.push_back(postmaster);
  }
  if (admins.empty()) {
    spdlog::warn("submission limit: no super admin or postmaster to alert");
    return;
  }
  const auto body = fmt::format(
      "账户 {0} 在一小时内向外部收件人发送了 {1} 封邮件，已达到上限（每小时 {2} 封）。"
      "{3}此后的外发邮件将被拒绝。该账户可能已被盗用：请检查其登录记录并考虑重置密码。\r\n\r\n"
      "The account {0} sent {1} messages to outside recipients within an hour and reached the limit of {2} an "
      "hour. {4}Further outside mail from it is refused. The account may be compromised: check its logins and "
      "consider resetting its password.\r\n",
      who.address, count, limit, limits_.freeze_on_limit ? "该账户已被冻结。" : "",
      limits_.freeze_on_limit ? "The account has been frozen. " : "");
  for (const auto& to : admins) {
    directory::notice_headers h;
    h.from = postmaster;
    h.to = to;
    h.subject = fmt::format("外发邮件超限 / Outgoing mail limit reached: {}", who.address);
    const auto message = directory::compose_notice(h, body, static_cast<store::unix_time>(std::time(nullptr)));
    delivery::inbound_message in;  // null reverse-path: nobody answers an alert
    in.recipients.push_back({to, "", ""});
    if (auto r = delivery_.deliver(in, message); !r) spdlog::warn("alert to {}: {}", to, r.error().message);
  }
}

core::result<std::optional<refusal>> abuse_limits::check_greylist(const smtp::server::envelope& env,
                                                                 const smtp::server::recipient& r) {
  if (env.authenticated || (trust_loopback_ && is_loopback(env.client_ip))) return std::nullopt;
  // RFC 6647 §2.2: the triplet; addresses compared without case, the network
  // instead of the host because big senders retry from another address of a pool.
  const auto triplet = fmt::format("{}|{}|{}", greylist_network(env.client_ip), lower(env.mail_from), lower(r.address));
  // The store's clock: nodes of a cluster whose clocks disagree judge a triplet alike.
  auto now = directory_.store().clock();
  if (!now) return std::unexpected(now.error());
  auto wait = directory_.store().greylist_check(triplet, *now, greylist_.delay, greylist_.retry_window,
                                                greylist_.expiry);
  if (!wait) return std::unexpected(wait.error());
  if (*wait == 0) return std::nullopt;
  return refusal{451, "4.7.1", fmt::format("Greylisted, please try again in {} seconds", *wait)};
}

}  // namespace letterhead::app
