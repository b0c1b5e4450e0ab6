// Account security administration (issue 6 part B): password policies and changes,
// TOTP enrolment, app passwords, login history and the ban list. One function per
// operation, called by the CLI now and the admin API later; each audits.

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "directory/common_passwords.hpp"
#include "directory/detail/crypto.hpp"
#include "directory/directory.hpp"
#include "directory/notices.hpp"
#include "directory/scram.hpp"
#include "directory/secret_box.hpp"
#include "directory/totp.hpp"

namespace letterhead::directory {

namespace {

constexpr std::size_t max_app_passwords = 20;
constexpr std::size_t max_app_password_name = 64;
constexpr std::uint32_t max_policy_length = 256;
constexpr std::uint32_t max_history = 24;

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

// What a sealed TOTP seed is bound to (secret_box.hpp): its account.
std::string totp_owner(store::id_t account) { return fmt::format("totp-seed:account:{}", account); }

// 16 lower-case letters in groups of four (about 75 bits), easy to type on a phone.
std::string generate_app_password() {
  constexpr std::string_view letters = "abcdefghijklmnopqrstuvwxyz";
  std::string out;
  for (int group = 0; group < 4; ++group) {
    if (group > 0) out += '-';
    int n = 0;
    while (n < 4) {
      const auto b = static_cast<unsigned char>(detail::random_bytes(1)[0]);
      if (b >= 26 * 9) continue;  // rejection sampling keeps the letters uniform
      out += letters[b % 26];
      ++n;
    }
  }
  return out;
}

}  // namespace

core::result<store::account> directory::account_for(std::string_view address) {
  auto a = parse_address(address);
  if (!a) return std::unexpected(a.error());
  auto acc = store_.find_account(a->str());
  if (!acc && acc.error().code == core::errc::not_found) {
    return core::fail(core::errc::not_found, fmt::format("no account '{}'", a->str()));
  }
  return acc;
}

core::result<void> directory::store_new_password(const store::account& acc, std::string_view password,
                                                 bool must_change) {
  auto policy = store_.get_password_policy(acc.domain_id);
  if (!policy) return std::unexpected(policy.error());
  if (auto p = check_password_policy(password, acc.address, acc.display_name, *policy); !p) return p;
  if (policy->history > 0) {
    auto history = store_.password_history(acc.id);
    if (!history) return std::unexpected(history.error());
    // The current password counts as the newest entry.
    std::vector<std::string> recent;
    if (!acc.password_hash.empty()) recent.push_back(acc.password_hash);
    for (const auto& h : *history) {
      if (recent.size() >= policy->history) break;
      recent.push_back(h);
    }
    for (const auto& h : recent) {
      if (verify_password(h, password)) {
        return core::fail(core::errc::invalid,
                          fmt::format("password was used recently: choose one not among the last {0} / "
                                      "该密码最近使用过：请勿使用最近 {0} 次用过的密码",
                                      policy->history));
      }
    }
  }
  auto hash = hash_password(password, cost_);
  if (!hash) return std::unexpected(hash.error());
  const auto scram = derive_scram_sha256(password);
  if (auto r = store_.set_password(acc.id, *hash, scram, must_change, now(), policy->history); !r) return r;
  store_.notifier().notify(acc.id);
  return {};
}

core::result<store::password_policy> directory::password_policy(std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  auto dom = store_.find_domain(*d);
  if (!dom) return std::unexpected(dom.error());
  return store_.get_password_policy(dom->id);
}

core::result<void> directory::set_password_policy(std::string_view domain, const store::password_policy& p,
                                                  std::string_view actor) {
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  auto dom = store_.find_domain(*d);
  if (!dom) return std::unexpected(dom.error());
  if (p.min_length < 8 || p.min_length > max_policy_length) {
    return core::fail(core::errc::invalid, fmt::format("min_length must be 8 to {}", max_policy_length));
  }
  if (p.min_classes < 1 || p.min_classes > 4) return core::fail(core::errc::invalid, "min_classes must be 1 to 4");
  if (p.history > max_history) return core::fail(core::errc::invalid, fmt::format("history is at most {}", max_history));
  if (p.max_age_days > 3650) return core::fail(core::errc::invalid, "max_age_days is at most 3650");
  if (p.max_age_days > 0 && p.warn_days >= p.max_age_days) {
    return core::fail(core::errc::invalid, "warn_days must be less than max_age_days");
  }
  auto stored = p;
  stored.domain_id = dom->id;
  if (auto r = store_.set_password_policy(stored); !r) return r;
  (void)store_.audit(actor, "policy.password",
                     fmt::format("{}: min_length={} min_classes={} history={} max_age_days={} warn_days={} "
                                 "change_at_first_login={} refuse_common={}",
                                 *d, p.min_length, p.min_classes, p.history, p.max_age_days, p.warn_days,
                                 p.change_at_first_login, p.refuse_common));
  return {};
}

core::result<void> directory::change_own_password(std::string_view address, std::string_view old_password,
                                                  std::string_view new_password) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (acc->disabled || acc->password_hash.empty() || !verify_password(acc->password_hash, old_password)) {
    return core::fail(core::errc::denied, "the current password is wrong / 当前密码错误");
  }
  if (auto r = store_new_password(*acc, new_password, false); !r) return r;
  (void)store_.audit(acc->address, "user.passwd.self", acc->address);
  return {};
}

core::result<void> directory::require_password_change(std::string_view address, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = store_.set_must_change_password(acc->id, true); !r) return r;
  (void)store_.audit(actor, "user.passwd.require_change", acc->address);
  return {};
}

core::result<std::size_t> directory::send_password_expiry_warnings(store::unix_time when) {
  auto accounts = store_.list_accounts("");
  if (!accounts) return std::unexpected(accounts.error());
  std::size_t sent = 0;
  for (const auto& acc : *accounts) {
    if (acc.disabled || acc.password_hash.empty()) continue;
    auto policy = store_.get_password_policy(acc.domain_id);
    if (!policy) return std::unexpected(policy.error());
    if (policy->max_age_days == 0) continue;
    auto sec = store_.get_account_security(acc.id);
    if (!sec) return std::unexpected(sec.error());
    if (sec->password_changed == 0 || sec->expiry_warned >= sec->password_changed) continue;
    const auto expires = sec->password_changed + static_cast<store::unix_time>(policy->max_age_days) * 86400;
    if (when < expires - static_cast<store::unix_time>(policy->warn_days) * 86400) continue;
    notice_headers h;
    h.from = "postmaster@" + acc.address.substr(acc.address.find('@') + 1);
    h.to = acc.address;
    h.subject = "密码即将过期 / Your password expires soon";
    if (auto r = deliver_notice(acc, compose_notice(h, expiry_notice_body(acc.address, expires), when)); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = store_.set_expiry_warned(acc.id, when); !r) return std::unexpected(r.error());
    (void)store_.audit("system", "user.passwd.expiry_warning", acc.address);
    ++sent;
  }
  return sent;
}

// --- TOTP ---

core::result<totp_enrolment> directory::enable_totp(std::string_view address, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  auto sec = store_.get_account_security(acc->id);
  if (!sec) return std::unexpected(sec.error());
  if (!sec->totp_secret.empty()) {
    return core::fail(core::errc::exists, fmt::format("TOTP is already on for {}: disable it first to enrol "
                                                      "a new device",
                                                      acc->address));
  }
  const auto secret = detail::random_bytes(totp_secret_bytes);
  if (auto r = store_.set_totp_secret(acc->id, seal_secret(security_.secret_key, secret, totp_owner(acc->id))); !r) {
    return std::unexpected(r.error());
  }
  store_.notifier().notify(acc->id);
  (void)store_.audit(actor, "user.totp.enable", acc->address);
  return totp_enrolment{detail::base32_encode(secret), otpauth_uri(security_.totp_issuer, acc->address, secret)};
}

core::result<void> directory::disable_totp(std::string_view address, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = store_.set_totp_secret(acc->id, ""); !r) return r;
  (void)store_.remove_admin_sessions(acc->id);
  (void)store_.audit(actor, "user.totp.disable", acc->address);
  return {};
}

core::result<bool> directory::totp_enabled(std::string_view address) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  auto sec = store_.get_account_security(acc->id);
  if (!sec) return std::unexpected(sec.error());
  return !sec->totp_secret.empty();
}

core::result<void> directory::verify_totp(std::string_view address, std::string_view code, store::unix_time when) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  auto sec = store_.get_account_security(acc->id);
  if (!sec) return std::unexpected(sec.error());
  if (sec->totp_secret.empty()) return core::fail(core::errc::invalid, "TOTP is not on for " + acc->address);
  auto secret = open_secret(security_.secret_key, sec->totp_secret, totp_owner(acc->id));
  if (!secret) {
    // The key file was lost or replaced, or the row was copied from another account:
    // no code can ever match, and only an admin can help.
    spdlog::error("TOTP seed of {} cannot be opened: {}", acc->address, secret.error().message);
    (void)store_.audit("totp", "user.totp.unreadable", acc->address);
    return core::fail(core::errc::unavailable,
                      fmt::format("the TOTP seed of {} cannot be opened (the secret key changed?): an admin must reset "
                                  "TOTP for this account ('letterhead user totp disable {}') and the user enrol again / "
                                  "无法读取该账户的动态验证码密钥：请管理员为该账户重置两步验证",
                                  acc->address, acc->address));
  }
  const auto step = totp_match(secret->plain, code, when, sec->totp_last_step);
  if (!step) {
    (void)store_.audit("totp", "user.totp.failed", acc->address);
    return core::fail(core::errc::denied, "wrong or already used code / 验证码错误或已使用");
  }
  // The store decides atomically, so two logins racing with one code cannot both pass.
  auto fresh = store_.use_totp_step(acc->id, *step);
  if (!fresh) return std::unexpected(fresh.error());
  if (!*fresh) return core::fail(core::errc::denied, "wrong or already used code / 验证码错误或已使用");
  return {};
}

core::result<std::size_t> directory::reseal_totp_secrets() {
  if (security_.secret_key.empty()) return 0;
  auto accounts = store_.list_accounts("");
  if (!accounts) return std::unexpected(accounts.error());
  std::size_t resealed = 0;
  for (const auto& acc : *accounts) {
    auto sec = store_.get_account_security(acc.id);
    if (!sec) return std::unexpected(sec.error());
    if (sec->totp_secret.empty()) continue;
    auto opened = open_secret(security_.secret_key, sec->totp_secret, totp_owner(acc.id));
    if (!opened) {
      spdlog::warn("TOTP seed of {} cannot be opened ({}): an admin must reset TOTP for it", acc.address,
                   opened.error().message);
      continue;
    }
    if (!opened->needs_reseal) continue;
    if (auto r = store_.set_totp_secret(acc.id, seal_secret(security_.secret_key, opened->plain, totp_owner(acc.id)));
        !r) {
      return std::unexpected(r.error());
    }
    // The seed is the same one: the last code used stays used (set_totp_secret starts
    // a new seed's count at zero). This runs before any listener opens.
    if (sec->totp_last_step > 0) {
      if (auto r = store_.use_totp_step(acc.id, sec->totp_last_step); !r) return std::unexpected(r.error());
    }
    (void)store_.audit("system", "user.totp.resealed", acc.address);
    ++resealed;
  }
  return resealed;
}

std::string directory::capability_token(std::string_view purpose, std::string_view data) const {
  const auto& key = security_.secret_key.empty() ? cache_key_ : security_.secret_key;
  std::string input(purpose);
  input += '\0';
  input += data;
  // A key of its own, derived, so that nothing else sealed or MACed with the secret
  // key can be passed off as a token.
  auto mac = detail::hmac_sha256(detail::hmac_sha256(key, "letterhead capability tokens v1"), input);
  mac.resize(16);  // 128 bits
  auto text = detail::base32_encode(mac);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool directory::check_capability_token(std::string_view purpose, std::string_view data,
                                       std::string_view token) const {
  return detail::constant_time_equal(capability_token(purpose, data), lower_ascii(token));
}

// --- app passwords ---

core::result<std::string> directory::add_app_password(std::string_view address, std::string_view name,
                                                      const std::vector<std::string>& protocols,
                                                      std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (name.empty() || name.size() > max_app_password_name) {
    return core::fail(core::errc::invalid, fmt::format("an app password's name has 1 to {} characters",
                                                       max_app_password_name));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return core::fail(core::errc::invalid, "control characters in the name");
  }
  if (protocols.empty()) return core::fail(core::errc::invalid, "name at least one protocol: imap, pop3, smtp");
  std::vector<std::string> protos;
  for (const auto& p : protocols) {
    const auto l = lower_ascii(p);
    if (l != "imap" && l != "pop3" && l != "smtp") {
      return core::fail(core::errc::invalid, fmt::format("unknown protocol '{}': use imap, pop3, smtp", p));
    }
    protos.push_back(l);
  }
  auto existing = store_.list_app_passwords(acc->id);
  if (!existing) return std::unexpected(existing.error());
  if (existing->size() >= max_app_passwords) {
    return core::fail(core::errc::limit, fmt::format("at most {} app passwords per account", max_app_passwords));
  }
  const auto password = generate_app_password();
  auto hash = hash_password(password, cost_);
  if (!hash) return std::unexpected(hash.error());
  store::app_password p;
  p.account_id = acc->id;
  p.name = std::string(name);
  p.hash = std::move(*hash);
  p.protocols = protos;
  auto added = store_.add_app_password(p);
  if (!added) return std::unexpected(added.error());
  std::string list;
  for (const auto& x : added->protocols) list += (list.empty() ? "" : ",") + x;
  (void)store_.audit(actor, "user.app_password.add", fmt::format("{} '{}' ({})", acc->address, name, list));
  return password;
}

core::result<std::vector<store::app_password>> directory::list_app_passwords(std::string_view address) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  return store_.list_app_passwords(acc->id);
}

core::result<void> directory::revoke_app_password(std::string_view address, std::string_view name,
                                                  std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = store_.remove_app_password(acc->id, name); !r) return r;
  store_.notifier().notify(acc->id);
  (void)store_.audit(actor, "user.app_password.revoke", fmt::format("{} '{}'", acc->address, name));
  return {};
}

// --- history and bans ---

core::result<std::vector<store::login_event>> directory::login_history(std::string_view address,
                                                                      std::size_t limit) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  return store_.list_login_events(acc->id, limit);
}

core::result<std::vector<store::login_throttle>> directory::list_bans(store::unix_time when) {
  return store_.list_login_blocks(when);
}

core::result<std::size_t> directory::unban(std::string_view ip, std::string_view actor) {
  if (login_network(ip).empty()) return core::fail(core::errc::invalid, fmt::format("'{}' is not an IP address", ip));
  // The IP's own key exactly (a prefix "ip:10.0.0.1" would also take 10.0.0.12), its
  // pairs with accounts by prefix (the '|' ends the address).
  const auto own = store_.get_login_throttles({fmt::format("ip:{}", ip)});
  if (!own) return std::unexpected(own.error());
  if (auto r = store_.clear_login_throttle(fmt::format("ip:{}", ip)); !r) return std::unexpected(r.error());
  auto removed = store_.remove_login_throttles({fmt::format("account:{}|", ip)});
  if (!removed) return removed;
  *removed += own->size();
  (void)store_.audit(actor, "security.unban", std::string(ip));
  return removed;
}

}  // namespace letterhead::directory
