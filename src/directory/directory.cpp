#include "directory/directory.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <sodium.h>

#include "directory/names.hpp"
#include "directory/org.hpp"
#include "directory/scram.hpp"

namespace letterhead::directory {
namespace {

constexpr int max_alias_depth = 10;
constexpr std::size_t max_alias_targets = 1000;
constexpr std::size_t max_login_cache = 10000;
constexpr auto login_cache_ttl = std::chrono::minutes(5);

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

directory::directory(store::store& store, password_cost cost, security_options security)
    : store_(store), cost_(cost), security_(std::move(security)) {
  if (sodium_init() < 0) std::abort();
  cache_key_.resize(crypto_generichash_KEYBYTES);
  randombytes_buf(cache_key_.data(), cache_key_.size());
  // A real argon2id hash with the same cost, so a login for an unknown user takes
  // as long as one with a wrong password.
  std::string random(32, '\0');
  randombytes_buf(random.data(), random.size());
  auto h = hash_password(random, cost_);
  if (h) dummy_hash_ = std::move(*h);
}

core::result<store::domain> directory::add_domain(std::string_view name, std::string_view actor) {
  auto d = normalize_domain(name);
  if (!d) return std::unexpected(d.error());
  auto added = store_.add_domain(*d);
  if (!added) return added;
  forget_local_domains();
  (void)store_.audit(actor, "domain.add", *d);
  return added;
}

core::result<void> directory::remove_domain(std::string_view name, std::string_view actor) {
  auto d = normalize_domain(name);
  if (!d) return std::unexpected(d.error());
  if (auto groups = store_.list_groups(*d); groups && !groups->empty()) {
    return core::fail(core::errc::denied, fmt::format("domain {} still has {} group(s): remove them first", *d,
                                                      groups->size()));
  }
  if (auto r = store_.remove_domain(*d); !r) return r;
  forget_local_domains();
  (void)store_.audit(actor, "domain.remove", *d);
  return {};
}

core::result<std::vector<store::domain>> directory::list_domains() { return store_.list_domains(); }

core::result<void> directory::set_catch_all(std::string_view domain, std::string_view target,
                                            std::string_view actor) {
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  std::string normalized;
  if (!target.empty()) {
    auto a = parse_address(target);
    if (!a) return std::unexpected(a.error());
    normalized = a->str();
  }
  if (auto r = store_.set_catch_all(*d, normalized); !r) return r;
  (void)store_.audit(actor, "domain.catch_all", fmt::format("{} -> {}", *d, normalized));
  return {};
}

core::result<store::account> directory::add_user(const new_user& user, std::string_view actor) {
  std::string address = user.address;
  if (address.starts_with('@')) {
    auto made = organisation(store_, *this).address_for(user.display_name, address.substr(1));
    if (!made) return std::unexpected(made.error());
    address = std::move(*made);
  }
  if (!user.display_name.empty()) {
    if (auto n = check_display_name(user.display_name); !n) return std::unexpected(n.error());
  }
  if (auto g = store_.find_group(address); g) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already a group", address));
  }
  auto a = parse_address(address);
  if (!a) return std::unexpected(a.error());
  auto dom = store_.find_domain(a->domain);
  if (!dom) {
    if (dom.error().code == core::errc::not_found) {
      return core::fail(core::errc::not_found,
                        fmt::format("domain '{}' is not ours: add it first with "
                                    "'letterhead domain add {}'", a->domain, a->domain));
    }
    return std::unexpected(dom.error());
  }
  if (auto existing = store_.find_alias(a->str()); existing) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already an alias", a->str()));
  }
  store::account acc;
  acc.domain_id = dom->id;
  acc.address = a->str();
  acc.display_name = user.display_name;
  acc.quota_bytes = user.quota_bytes;
  bool must_change = false;
  if (!user.password.empty()) {
    // The domain's policy; SCRAM credentials and the first-login rule follow below.
    auto policy = store_.get_password_policy(dom->id);
    if (!policy) return std::unexpected(policy.error());
    must_change = policy->change_at_first_login;
    if (auto p = check_password_policy(user.password, acc.address, acc.display_name, *policy); !p) {
      return std::unexpected(p.error());
    }
    auto h = hash_password(user.password, cost_);
    if (!h) return std::unexpected(h.error());
    acc.password_hash = std::move(*h);
  }
  auto added = store_.add_account(acc);
  if (!added) return added;
  if (!user.password.empty()) {
    // SCRAM credentials (RFC 5802 §3) and the password's age beside the hash.
    if (auto r = store_.set_password(added->id, added->password_hash, derive_scram_sha256(user.password), must_change,
                                     static_cast<store::unix_time>(::time(nullptr)), 0);
        !r) {
      return std::unexpected(r.error());
    }
  }
  (void)store_.audit(actor, "user.add", acc.address);
  return added;
}

core::result<void> directory::set_password(std::string_view address, std::string_view password,
                                           std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  // An admin-set password is temporary when the domain's policy says so.
  auto policy = store_.get_password_policy(acc->domain_id);
  if (!policy) return std::unexpected(policy.error());
  if (auto r = store_new_password(*acc, password, policy->change_at_first_login); !r) return r;
  // A reset password is how an admin takes a compromised account back: its admin
  // API sessions end with the old password.
  (void)store_.remove_admin_sessions(acc->id);
  (void)store_.audit(actor, "user.passwd", acc->address);
  return {};
}

core::result<void> directory::set_quota(std::string_view address, std::uint64_t bytes, std::string_view actor) {
  auto acc = account_for(address);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = store_.set_quota(acc->id, bytes); !r) return r;
  (void)store_.audit(actor, "user.quota", fmt::format("{} {}", acc->address, bytes));
  return {};
}

core::result<void> directory::remove_user(std::string_view address, std::string_view actor) {
  auto a = parse_address(address);
  if (!a) return std::unexpected(a.error());
  if (auto r = store_.remove_account(a->str()); !r) return r;
  (void)store_.audit(actor, "user.remove", a->str());
  return {};
}

core::result<std::vector<store::account>> directory::list_users(std::string_view domain) {
  if (domain.empty()) return store_.list_accounts("");
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  return store_.list_accounts(*d);
}

core::result<void> directory::add_alias(std::string_view alias,
                                        const std::vector<std::string>& targets,
                                        std::string_view actor) {
  auto a = parse_address(alias);
  if (!a) return std::unexpected(a.error());
  if (targets.empty()) return core::fail(core::errc::invalid, "an alias needs at least one target");
  if (targets.size() > max_alias_targets) {
    return core::fail(core::errc::limit, fmt::format("an alias has at most {} targets",
                                                     max_alias_targets));
  }
  auto dom = store_.find_domain(a->domain);
  if (!dom) {
    return core::fail(core::errc::not_found, fmt::format("domain '{}' is not ours", a->domain));
  }
  if (auto acc = store_.find_account(a->str()); acc) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already an account", a->str()));
  }
  if (auto g = store_.find_group(a->str()); g) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already a group", a->str()));
  }
  store::alias record;
  record.address = a->str();
  for (const auto& t : targets) {
    auto ta = parse_address(t);
    if (!ta) return std::unexpected(ta.error());
    if (std::ranges::find(record.targets, ta->str()) == record.targets.end()) {
      record.targets.push_back(ta->str());
    }
  }
  if (auto r = store_.set_alias(record); !r) return r;
  (void)store_.audit(actor, "alias.set", fmt::format("{} -> {}", record.address, join(record.targets)));
  return {};
}

core::result<void> directory::remove_alias(std::string_view alias, std::string_view actor) {
  auto a = parse_address(alias);
  if (!a) return std::unexpected(a.error());
  if (auto r = store_.remove_alias(a->str()); !r) return r;
  (void)store_.audit(actor, "alias.remove", a->str());
  return {};
}

core::result<std::vector<store::alias>> directory::list_aliases(std::string_view domain) {
  if (domain.empty()) return store_.list_aliases("");
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  return store_.list_aliases(*d);
}

std::string directory::login_cache_key(std::string_view username, std::string_view password) const {
  unsigned char out[32];
  crypto_generichash_state st;
  crypto_generichash_init(&st, reinterpret_cast<const unsigned char*>(cache_key_.data()),
                          cache_key_.size(), sizeof out);
  const auto user = lower_ascii(username);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(user.data()), user.size());
  const unsigned char sep = 0;
  crypto_generichash_update(&st, &sep, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(password.data()),
                            password.size());
  crypto_generichash_final(&st, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool directory::cached_login(const std::string& key, const store::account& account) {
  std::lock_guard lock(cache_mutex_);
  auto it = login_cache_.find(key);
  if (it == login_cache_.end()) return false;
  // A password change or expiry invalidates the entry.
  if (it->second.expires < std::chrono::steady_clock::now() ||
      it->second.password_hash != account.password_hash) {
    login_cache_.erase(it);
    return false;
  }
  return true;
}

void directory::remember_login(const std::string& key, const store::account& account) {
  std::lock_guard lock(cache_mutex_);
  if (login_cache_.size() >= max_login_cache) login_cache_.clear();
  login_cache_[key] = cached{account.password_hash,
                             std::chrono::steady_clock::now() + login_cache_ttl};
}

core::result<store::account> directory::authenticate(std::string_view username,
                                                     std::string_view password) {
  // No protocol session behind it: no client address to count failures under.
  login_context ctx;
  return authenticate(username, password, ctx);
}

core::result<bool> directory::is_local_domain(std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return false;
  const auto now = std::chrono::steady_clock::now();
  {
    std::scoped_lock lock(local_mutex_);
    if (const auto it = local_domains_.find(*d); it != local_domains_.end()) {
      if (now - it->second.asked < (it->second.local ? local_domain_ttl : not_local_ttl)) return it->second.local;
      local_domains_.erase(it);
    }
  }
  auto found = store_.find_domain(*d);
  if (!found && found.error().code != core::errc::not_found) return std::unexpected(found.error());
  std::scoped_lock lock(local_mutex_);
  if (local_domains_.size() >= 4096) local_domains_.clear();  // the names come from mail
  local_domains_.insert_or_assign(std::move(*d), local_answer{found.has_value(), now});
  return found.has_value();
}

void directory::forget_local_domains() {
  std::scoped_lock lock(local_mutex_);
  local_domains_.clear();
}

core::result<void> directory::resolve_into(const std::string& address, int depth,
                                           std::vector<std::string>& seen, resolution& out,
                                           const resolve_options& options) {
  const auto key = lower_ascii(address);
  if (std::ranges::find(seen, key) != seen.end()) return {};  // alias loop: cut here
  seen.push_back(key);
  if (depth > max_alias_depth) {
    return core::fail(core::errc::limit, fmt::format("aliases nested deeper than {} at '{}'",
                                                     max_alias_depth, address));
  }
  auto a = parse_address(address);
  if (!a) return std::unexpected(a.error());
  auto local = is_local_domain(a->domain);
  if (!local) return std::unexpected(local.error());
  if (!*local) {
    if (std::ranges::find(out.external, a->str()) == out.external.end()) out.external.push_back(a->str());
    return {};
  }
  if (auto acc = store_.find_account(a->str()); acc) {
    if (std::ranges::find(out.accounts, acc->id) == out.accounts.end()) out.accounts.push_back(acc->id);
    // An offboarded account with forwarding: its successor gets the mail too.
    if (acc->disabled) {
      if (auto off = store_.get_offboarding(acc->id); off && off->forward) {
        if (std::ranges::find(out.accounts, off->successor_id) == out.accounts.end()) {
          out.accounts.push_back(off->successor_id);
        }
      }
    }
    return {};
  } else if (acc.error().code != core::errc::not_found) {
    return std::unexpected(acc.error());
  }
  if (auto alias = store_.find_alias(a->str()); alias) {
    // A target that no longer exists is skipped: the alias still reaches the others.
    for (const auto& t : alias->targets) {
      auto r = resolve_into(t, depth + 1, seen, out, options);
      if (!r && r.error().code != core::errc::not_found) return r;
    }
    return {};
  } else if (alias.error().code != core::errc::not_found) {
    return std::unexpected(alias.error());
  }
  if (auto group = store_.find_group(a->str()); group) {
    if (std::ranges::find(out.groups, group->id) == out.groups.end()) out.groups.push_back(group->id);
    if (group->moderated && options.hold_moderated) {
      if (std::ranges::find(out.held_groups, group->id) == out.held_groups.end()) out.held_groups.push_back(group->id);
      return {};
    }
    auto members = organisation(store_, *this).expand(*group);
    if (!members) return std::unexpected(members.error());
    for (const auto id : members->accounts) {
      if (std::ranges::find(out.accounts, id) == out.accounts.end()) out.accounts.push_back(id);
    }
    // External members may be our own aliases: resolve them like alias targets.
    for (const auto& e : members->external) {
      auto r = resolve_into(e, depth + 1, seen, out, options);
      if (!r && r.error().code != core::errc::not_found) return r;
    }
    return {};
  } else if (group.error().code != core::errc::not_found) {
    return std::unexpected(group.error());
  }
  // RFC 5321 §4.5.1: postmaster must exist for every domain we accept mail for; if
  // nobody was set up, it goes to the catch-all or fails like any other address.
  auto dom = store_.find_domain(a->domain);
  if (dom && dom->catch_all && depth == 0) {
    return resolve_into(*dom->catch_all, depth + 1, seen, out, options);
  }
  return core::fail(core::errc::not_found, fmt::format("no mailbox '{}'", a->str()));
}

core::result<resolution> directory::resolve(std::string_view address, const resolve_options& options) {
  resolution out;
  std::vector<std::string> seen;
  if (auto r = resolve_into(std::string(address), 0, seen, out, options); !r) return std::unexpected(r.error());
  // A group without members still exists: mail to it is accepted and reaches nobody
  // (like an empty mailing list), rather than bouncing as an unknown address.
  if (out.accounts.empty() && out.external.empty() && out.groups.empty()) {
    return core::fail(core::errc::not_found, fmt::format("no mailbox '{}'", address));
  }
  return out;
}

core::result<bool> directory::may_send_as(const store::account& account, std::string_view from) {
  if (lower_ascii(from) == lower_ascii(account.address)) return true;
  auto alias = store_.find_alias(from);
  if (!alias) {
    if (alias.error().code == core::errc::not_found) return false;
    return std::unexpected(alias.error());
  }
  for (const auto& t : alias->targets) {
    if (lower_ascii(t) == lower_ascii(account.address)) return true;
  }
  return false;
}

}  // namespace letterhead::directory
