// Logins with account security (issue 6 part B): brute-force limits, app passwords,
// TOTP accounts, password change and expiry, login history, the new-network mail, and
// SCRAM-SHA-256 exchanges. See security.hpp for the rules.

#include <arpa/inet.h>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "directory/detail/crypto.hpp"
#include "directory/directory.hpp"
#include "directory/notices.hpp"
#include "directory/scram.hpp"

namespace letterhead::directory {

namespace {

constexpr auto active_cache_ttl = std::chrono::seconds(5);
constexpr std::size_t max_active_cache = 100000;
constexpr std::size_t max_username = 320;
constexpr std::size_t max_password = 1024;

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

std::unexpected<core::error> invalid_credentials() {
  return core::fail(core::errc::denied, std::string(invalid_credentials_message));
}

std::string ip_key(std::string_view ip) { return fmt::format("ip:{}", ip); }
std::string account_key(std::string_view ip, store::id_t id) { return fmt::format("account:{}|{}", ip, id); }

}  // namespace

std::string refusal_text(const core::error& e) {
  if (e.code == core::errc::limit) return e.message;
  if (e.code == core::errc::denied && e.message != invalid_credentials_message) return e.message;
  return {};
}

std::string login_network(std::string_view ip) {
  const std::string s(ip);
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    const auto* b = reinterpret_cast<const unsigned char*>(&v4);
    return fmt::format("{}.{}.{}.0/24", b[0], b[1], b[2]);
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    // An IPv4-mapped address counts as its IPv4 network.
    if (IN6_IS_ADDR_V4MAPPED(&v6)) {
      return fmt::format("{}.{}.{}.0/24", v6.s6_addr[12], v6.s6_addr[13], v6.s6_addr[14]);
    }
    in6_addr net{};
    std::copy(v6.s6_addr, v6.s6_addr + 8, net.s6_addr);
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, &net, buf, sizeof buf) == nullptr) return {};
    return std::string(buf) + "/64";
  }
  return {};
}

core::result<void> directory::check_not_blocked(const login_context& ctx, store::id_t account) {
  if (ctx.remote_ip.empty()) return {};
  std::vector<std::string> keys{ip_key(ctx.remote_ip)};
  if (account != 0) keys.push_back(account_key(ctx.remote_ip, account));
  auto records = store_.get_login_throttles(keys);
  if (!records) return std::unexpected(records.error());
  // Blocks are on the store's clock: in a cluster, the one every node shares.
  const auto t = store_.clock().value_or(now());
  for (const auto& r : *records) {
    if (r.blocked_until > t) {
      return core::fail(core::errc::limit,
                        "Too many failed logins from your address: try again later / "
                        "登录失败次数过多，请稍后再试");
    }
  }
  return {};
}

void directory::note_failure(login_context& ctx, store::id_t account, std::string_view result, bool count) {
  const auto t = store_.clock().value_or(now());
  std::uint32_t failures = 1;
  bool blocked = false;
  if (!ctx.remote_ip.empty() && count) {
    auto ip = store_.record_login_failure(ip_key(ctx.remote_ip), t, security_.failure_window,
                                          security_.max_failures_per_ip, security_.ip_block);
    if (ip) {
      failures = ip->failures;
      if (ip->blocked_until > t) {
        blocked = true;
        (void)store_.audit(fmt::format("ip:{}", ctx.remote_ip), "security.block.ip",
                           fmt::format("{} failed logins within {} s: blocked for {} s",
                                       security_.max_failures_per_ip, security_.failure_window.count(),
                                       security_.ip_block.count()));
      }
    }
    if (account != 0) {
      auto pair = store_.record_login_failure(account_key(ctx.remote_ip, account), t, security_.failure_window,
                                              security_.max_failures_per_account, security_.account_block);
      if (pair && pair->blocked_until > t) {
        blocked = true;
        (void)store_.audit(fmt::format("ip:{}", ctx.remote_ip), "security.block.account",
                           fmt::format("account {}: {} failed logins: blocked from this address for {} s",
                                       account, security_.max_failures_per_account,
                                       security_.account_block.count()));
      }
    }
  }
  // The delay doubles with each failure counted for the IP: 250 ms, 500 ms, 1 s, ...
  auto delay = std::chrono::milliseconds(250) * (1u << std::min<std::uint32_t>(failures > 0 ? failures - 1 : 0, 8));
  if (blocked) delay = security_.max_delay;
  ctx.delay = std::min(delay, security_.max_delay);
  if (account != 0) {
    (void)store_.add_login_event(store::login_event{account, t, ctx.remote_ip, to_string(ctx.protocol),
                                                    std::string(result)},
                                 security_.login_history);
    (void)store_.audit(ctx.remote_ip.empty() ? std::string("login") : fmt::format("ip:{}", ctx.remote_ip),
                       "login.failed", fmt::format("account {} over {}: {}", account, to_string(ctx.protocol),
                                                   result));
  }
}

void directory::complete_login(const login_context& ctx, const store::account& acc) { note_success(ctx, acc); }

void directory::note_second_factor_failure(login_context& ctx, const store::account& acc) {
  note_failure(ctx, acc.id, "second factor failed");
}

void directory::note_success(const login_context& ctx, const store::account& acc) {
  const auto t = now();
  {
    // A fresh login has just read the account: sessions need not read it again soon
    // (and must not act on an older "disabled" of an account restored since).
    std::lock_guard lock(active_mutex_);
    if (active_cache_.size() >= max_active_cache) active_cache_.clear();
    active_cache_[acc.id] = active_entry{true, std::chrono::steady_clock::now()};
  }
  if (!ctx.remote_ip.empty()) (void)store_.clear_login_throttle(account_key(ctx.remote_ip, acc.id));
  (void)store_.add_login_event(store::login_event{acc.id, t, ctx.remote_ip, to_string(ctx.protocol), "ok"},
                               security_.login_history);
  if (ctx.remote_ip.empty() || !security_.new_network_mail) return;
  const auto network = login_network(ctx.remote_ip);
  if (network.empty()) return;
  auto seen = store_.note_login_network(acc.id, network, t);
  // The first network ever is where the account starts: nothing to report.
  if (!seen || *seen != store::network_seen::new_network) return;
  notice_headers h;
  h.from = "postmaster@" + acc.address.substr(acc.address.find('@') + 1);
  h.to = acc.address;
  h.subject = "新网络登录提醒 / Sign-in from a new network";
  (void)deliver_notice(acc, compose_notice(h, new_network_notice_body(acc.address, ctx.remote_ip,
                                                                      to_string(ctx.protocol), t),
                                           t));
}

core::result<void> directory::deliver_notice(const store::account& acc, const std::string& message) {
  auto hash = store_.blobs().put(message);
  if (!hash) return std::unexpected(hash.error());
  store::delivery d;
  d.blob = *hash;
  d.size = message.size();
  d.internal_date = now();
  d.targets.push_back(store::delivery_target{acc.id, store::mailbox_role::inbox, 0, {}});
  auto done = store_.deliver(d);
  if (!done) return std::unexpected(done.error());
  for (const auto& x : *done) store_.notifier().notify(x.account_id);
  return {};
}

core::result<void> directory::check_login_allowed(const store::account& acc, login_protocol protocol,
                                                  bool app_password) {
  if (app_password) return {};  // a device credential: no TOTP, no change or expiry of its own
  auto sec = store_.get_account_security(acc.id);
  if (!sec) return std::unexpected(sec.error());
  // TOTP covers web and admin logins; mail clients cannot ask for a code, so they use
  // app passwords (issue 6).
  if (!sec->totp_secret.empty() && protocol != login_protocol::http) {
    return core::fail(core::errc::denied,
                      "This account uses two-factor authentication: log in with an app password / "
                      "此账户已启用两步验证，请使用应用专用密码登录");
  }
  if (sec->must_change_password) {
    return core::fail(core::errc::denied,
                      "Password change required: set a new password in webmail or ask your administrator / "
                      "需要修改密码：请在网页邮箱中设置新密码或联系管理员");
  }
  auto policy = store_.get_password_policy(acc.domain_id);
  if (!policy) return std::unexpected(policy.error());
  if (policy->max_age_days > 0 && sec->password_changed > 0 &&
      now() >= sec->password_changed + static_cast<store::unix_time>(policy->max_age_days) * 86400) {
    return core::fail(core::errc::denied,
                      "Password expired: set a new password in webmail or ask your administrator / "
                      "密码已过期：请在网页邮箱中设置新密码或联系管理员");
  }
  return {};
}

core::result<store::account> directory::authenticate(std::string_view username, std::string_view password,
                                                     login_context& ctx) {
  ctx.delay = {};
  if (username.empty() || password.empty() || username.size() > max_username || password.size() > max_password) {
    note_failure(ctx, 0, "failed");
    return invalid_credentials();
  }
  // A blocked IP costs us no argon2id.
  if (auto b = check_not_blocked(ctx, 0); !b) return std::unexpected(b.error());
  auto acc = store_.find_account(username);
  if (!acc) {
    if (acc.error().code != core::errc::not_found) return std::unexpected(acc.error());
    (void)verify_password(dummy_hash_, password);
    note_failure(ctx, 0, "failed");
    return invalid_credentials();
  }
  if (auto b = check_not_blocked(ctx, acc->id); !b) {
    (void)store_.add_login_event(store::login_event{acc->id, now(), ctx.remote_ip, to_string(ctx.protocol),
                                                    "blocked"},
                                 security_.login_history);
    return std::unexpected(b.error());
  }
  if (acc->disabled) {
    (void)verify_password(dummy_hash_, password);
    note_failure(ctx, acc->id, "disabled", false);
    return invalid_credentials();
  }
  bool ok = false;
  std::optional<store::app_password> used;
  if (!acc->password_hash.empty()) {
    const auto key = login_cache_key(acc->address, password);
    if (cached_login(key, *acc)) {
      ok = true;
    } else if (verify_password(acc->password_hash, password)) {
      remember_login(key, *acc);
      ok = true;
    }
  } else {
    (void)verify_password(dummy_hash_, password);
  }
  if (!ok) {
    // App passwords allowed for this protocol. todo: each costs one argon2id check, so
    // an account with several takes longer to refuse than an unknown user.
    auto apps = store_.list_app_passwords(acc->id);
    if (!apps) return std::unexpected(apps.error());
    const std::string proto = to_string(ctx.protocol);
    const auto key = login_cache_key(acc->address + '\n' + proto, password);
    for (const auto& app : *apps) {
      if (std::ranges::find(app.protocols, proto) == app.protocols.end()) continue;
      auto as_app = *acc;
      as_app.password_hash = app.hash;
      if (cached_login(key, as_app) || verify_password(app.hash, password)) {
        remember_login(key, as_app);
        used = app;
        break;
      }
    }
  }
  if (!ok && !used) {
    note_failure(ctx, acc->id, "failed");
    return invalid_credentials();
  }
  if (auto allowed = check_login_allowed(*acc, ctx.protocol, used.has_value()); !allowed) {
    (void)store_.add_login_event(store::login_event{acc->id, now(), ctx.remote_ip, to_string(ctx.protocol),
                                                    "refused"},
                                 security_.login_history);
    return std::unexpected(allowed.error());
  }
  if (used) (void)store_.touch_app_password(used->id, now());
  if (!ctx.second_factor_pending) note_success(ctx, *acc);
  return acc;
}

core::result<bool> directory::account_active(store::id_t account) {
  auto acc = store_.get_account(account);
  bool active = true;
  if (!acc) {
    if (acc.error().code != core::errc::not_found) return std::unexpected(acc.error());
    active = false;  // removed
  } else {
    active = !acc->disabled;
  }
  std::lock_guard lock(active_mutex_);
  if (active_cache_.size() >= max_active_cache) active_cache_.clear();
  active_cache_[account] = active_entry{active, std::chrono::steady_clock::now()};
  return active;
}

std::optional<bool> directory::account_active_cached(store::id_t account) {
  std::lock_guard lock(active_mutex_);
  auto it = active_cache_.find(account);
  if (it == active_cache_.end() || std::chrono::steady_clock::now() - it->second.checked > active_cache_ttl) {
    return std::nullopt;
  }
  return it->second.active;
}

// --- SCRAM-SHA-256 ---

class scram_exchange final : public sasl_exchange {
 public:
  scram_exchange(directory& dir, login_context ctx) : dir_(dir), ctx_(std::move(ctx)) {}

  core::result<step> respond(std::string_view response) override {
    switch (stage_) {
      case 0: return first(response);
      case 1: return last(response);
      case 2:
        // The client's empty answer to the server-final challenge.
        if (!response.empty()) return core::fail(core::errc::invalid, "unexpected SCRAM data after success");
        stage_ = 3;
        return step{"", true};
      default: return core::fail(core::errc::invalid, "SCRAM exchange is over");
    }
  }

  const store::account& account() const override { return *account_; }
  std::chrono::milliseconds delay() const override { return ctx_.delay; }

 private:
  core::result<step> first(std::string_view response) {
    auto username = server_.client_first(response);
    if (!username) return std::unexpected(username.error());
    if (auto b = dir_.check_not_blocked(ctx_, 0); !b) return std::unexpected(b.error());
    auto acc = dir_.store_.find_account(*username);
    std::optional<store::scram_credentials> creds;
    if (acc) {
      if (auto b = dir_.check_not_blocked(ctx_, acc->id); !b) return std::unexpected(b.error());
      account_ = *acc;
      if (!acc->disabled) {
        auto sec = dir_.store_.get_account_security(acc->id);
        if (!sec) return std::unexpected(sec.error());
        creds = sec->scram_sha256;
        has_credentials_ = creds.has_value();
      }
    } else if (acc.error().code != core::errc::not_found) {
      return std::unexpected(acc.error());
    }
    if (!creds) {
      // Unknown user, disabled account or a password set before SCRAM: made-up
      // credentials, a salt that stays the same for the name, and a proof that
      // cannot match. The client sees what a wrong password shows.
      store::scram_credentials fake;
      fake.salt = detail::hmac_sha256(dir_.cache_key_, "scram-salt\n" + lower_ascii(*username)).substr(0, 16);
      fake.iterations = scram_iterations;
      fake.stored_key = detail::random_bytes(32);
      fake.server_key = detail::random_bytes(32);
      creds = fake;
    }
    stage_ = 1;
    return step{server_.server_first(*creds), false};
  }

  core::result<step> last(std::string_view response) {
    auto server_final = server_.client_final(response);
    const store::id_t id = account_ ? account_->id : 0;
    if (!server_final || !has_credentials_) {
      if (server_final || server_final.error().code == core::errc::denied) {
        if (account_ && !account_->disabled && !has_credentials_) {
          // Nothing to guess here (it cannot succeed): recorded, not counted.
          (void)dir_.store_.add_login_event(store::login_event{id, now(), ctx_.remote_ip,
                                                               to_string(ctx_.protocol), "no-scram-credentials"},
                                            dir_.security_.login_history);
        } else {
          const bool disabled = account_ && account_->disabled;
          dir_.note_failure(ctx_, id, disabled ? "disabled" : "failed", !disabled);
        }
        return invalid_credentials();
      }
      return std::unexpected(server_final.error());
    }
    if (auto allowed = dir_.check_login_allowed(*account_, ctx_.protocol, false); !allowed) {
      (void)dir_.store_.add_login_event(store::login_event{id, now(), ctx_.remote_ip, to_string(ctx_.protocol),
                                                           "refused"},
                                        dir_.security_.login_history);
      return std::unexpected(allowed.error());
    }
    dir_.note_success(ctx_, *account_);
    stage_ = 2;
    return step{*server_final, false};
  }

  directory& dir_;
  login_context ctx_;
  scram_server server_;
  int stage_ = 0;
  std::optional<store::account> account_;
  bool has_credentials_ = false;
};

std::unique_ptr<sasl_exchange> directory::start_sasl(std::string_view mechanism, const login_context& ctx) {
  if (mechanism == sasl_scram_sha256) return std::make_unique<scram_exchange>(*this, ctx);
  return nullptr;
}

}  // namespace letterhead::directory
