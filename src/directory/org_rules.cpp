// Roles and mail rules: granting, and what rules are in force for an account.
//
// Combining: the rules of every role the account holds ("user" for everyone,
// "manager" for anyone who manages somebody) are merged to the most restrictive
// (internal-only if any says so; allowed domains pooled; the smallest limits); then
// each field the account's own rule sets overrides the merged value.

#include <algorithm>

#include <fmt/format.h>

#include "directory/org.hpp"

namespace letterhead::directory {
namespace {

constexpr std::size_t max_allowed_domains = 200;

void merge(effective_rules& into, const store::mail_rule& r) {
  if (r.internal_only && *r.internal_only) into.internal_only = true;
  if (r.allowed_domains) {
    for (const auto& d : *r.allowed_domains) {
      if (std::ranges::find(into.allowed_domains, d) == into.allowed_domains.end()) into.allowed_domains.push_back(d);
    }
  }
  if (r.max_recipients && (into.max_recipients == 0 || *r.max_recipients < into.max_recipients)) {
    into.max_recipients = *r.max_recipients;
  }
  if (r.max_message_size && (into.max_message_size == 0 || *r.max_message_size < into.max_message_size)) {
    into.max_message_size = *r.max_message_size;
  }
}

void override_with(effective_rules& into, const store::mail_rule& r) {
  if (r.internal_only) into.internal_only = *r.internal_only;
  if (r.allowed_domains) into.allowed_domains = *r.allowed_domains;
  if (r.max_recipients) into.max_recipients = *r.max_recipients;
  if (r.max_message_size) into.max_message_size = *r.max_message_size;
}

}  // namespace

bool external_allowed(const effective_rules& rules, std::string_view domain) {
  const auto d = lower_ascii(domain);
  for (const auto& a : rules.allowed_domains) {
    // The domain itself or one of its subdomains.
    if (d == a || (d.size() > a.size() && d.ends_with(a) && d[d.size() - a.size() - 1] == '.')) return true;
  }
  return !rules.internal_only && rules.allowed_domains.empty();
}

core::result<rule_book> rule_book::load(store::store& store) {
  rule_book b;
  b.store_ = &store;
  auto rules = store.list_mail_rules();
  if (!rules) return std::unexpected(rules.error());
  b.rules_ = std::move(*rules);
  for (const auto& r : b.rules_) {
    if (r.role == role_manager) b.manager_rule_ = true;
    if ((r.internal_only && *r.internal_only) || (r.allowed_domains && !r.allowed_domains->empty())) {
      b.external_rules_ = true;
    }
  }
  auto grants = store.list_roles(0);
  if (!grants) return std::unexpected(grants.error());
  for (const auto& g : *grants) b.roles_[g.account_id].push_back(g.role);
  return b;
}

core::result<std::vector<std::string>> rule_book::roles_of(store::id_t account) {
  std::vector<std::string> out{std::string(role_user)};
  if (auto it = roles_.find(account); it != roles_.end()) {
    for (const auto& r : it->second) {
      if (std::ranges::find(out, r) == out.end()) out.push_back(r);
    }
  }
  auto manager = store_->is_manager(account);
  if (!manager) return std::unexpected(manager.error());
  if (*manager) out.emplace_back(role_manager);
  return out;
}

core::result<effective_rules> rule_book::rules_for(store::id_t account) {
  effective_rules out;
  if (rules_.empty()) return out;
  std::vector<std::string> roles{std::string(role_user)};
  if (auto it = roles_.find(account); it != roles_.end()) roles.insert(roles.end(), it->second.begin(), it->second.end());
  if (manager_rule_) {
    auto manager = store_->is_manager(account);
    if (!manager) return std::unexpected(manager.error());
    if (*manager) roles.emplace_back(role_manager);
  }
  const store::mail_rule* own = nullptr;
  for (const auto& r : rules_) {
    if (r.account_id == account) own = &r;
    if (!r.role.empty() && std::ranges::find(roles, r.role) != roles.end()) merge(out, r);
  }
  if (own != nullptr) override_with(out, *own);
  return out;
}

core::result<effective_rules> organisation::rules_for(store::id_t account) {
  auto book = rule_book::load(store_);
  if (!book) return std::unexpected(book.error());
  return book->rules_for(account);
}

core::result<void> organisation::grant_role(const actor& who, const store::role_grant& r) {
  if (auto ok = may_manage_organisation(who); !ok) return ok;
  if (r.role == role_domain_admin && r.domain.empty()) {
    return core::fail(core::errc::invalid, "domain-admin needs a domain (--domain)");
  }
  if (r.role == role_department_admin && r.department_id == 0) {
    return core::fail(core::errc::invalid, "department-admin needs a department (--department)");
  }
  if (r.role != role_domain_admin && !r.domain.empty()) {
    return core::fail(core::errc::invalid, "only domain-admin takes a domain");
  }
  if (r.role != role_department_admin && r.department_id != 0) {
    return core::fail(core::errc::invalid, "only department-admin takes a department");
  }
  if (r.role == role_manager) {
    return core::fail(core::errc::invalid, "'manager' is held by everyone who manages somebody (user set --manager)");
  }
  store::role_grant g = r;
  g.domain = lower_ascii(r.domain);
  if (auto ok = store_.grant_role(g); !ok) return ok;
  auto acc = store_.get_account(r.account_id);
  (void)store_.audit(who.name, "role.grant",
                     fmt::format("{} {}{}{}", acc ? acc->address : std::to_string(r.account_id), r.role,
                                 g.domain.empty() ? "" : " domain=" + g.domain,
                                 r.department_id ? fmt::format(" department={}", r.department_id) : ""));
  return {};
}

core::result<void> organisation::revoke_role(const actor& who, const store::role_grant& r) {
  if (auto ok = may_manage_organisation(who); !ok) return ok;
  store::role_grant g = r;
  g.domain = lower_ascii(r.domain);
  if (auto ok = store_.revoke_role(g); !ok) return ok;
  // Rights change at once: the account logs in again with what it still holds.
  (void)store_.remove_admin_sessions(r.account_id);
  auto acc = store_.get_account(r.account_id);
  (void)store_.audit(who.name, "role.revoke",
                     fmt::format("{} {}", acc ? acc->address : std::to_string(r.account_id), r.role));
  return {};
}

core::result<void> organisation::set_rule(const actor& who, const store::mail_rule& r) {
  std::string subject;
  if (r.account_id != 0) {
    auto acc = store_.get_account(r.account_id);
    if (!acc) return std::unexpected(acc.error());
    if (auto ok = may_manage_account(who, *acc); !ok) return ok;
    subject = acc->address;
  } else {
    if (auto ok = may_manage_organisation(who); !ok) return ok;
    subject = "role:" + r.role;
  }
  store::mail_rule rule = r;
  if (rule.allowed_domains) {
    if (rule.allowed_domains->size() > max_allowed_domains) {
      return core::fail(core::errc::limit, fmt::format("at most {} allowed domains", max_allowed_domains));
    }
    for (auto& d : *rule.allowed_domains) {
      auto n = normalize_domain(d);
      if (!n) return std::unexpected(n.error());
      d = *n;
    }
  }
  if (auto ok = store_.set_mail_rule(rule); !ok) return ok;
  std::string domains;
  if (rule.allowed_domains) {
    for (const auto& d : *rule.allowed_domains) domains += (domains.empty() ? "" : ",") + d;
  }
  (void)store_.audit(who.name, "rule.set",
                     fmt::format("{} internal_only={} allowed_domains={} max_recipients={} max_message_size={}",
                                 subject, rule.internal_only ? (*rule.internal_only ? "yes" : "no") : "-",
                                 rule.allowed_domains ? domains : "-",
                                 rule.max_recipients ? std::to_string(*rule.max_recipients) : "-",
                                 rule.max_message_size ? std::to_string(*rule.max_message_size) : "-"));
  return {};
}

core::result<void> organisation::remove_rule(const actor& who, store::id_t account, std::string_view role) {
  std::string subject;
  if (account != 0) {
    auto acc = store_.get_account(account);
    if (!acc) return std::unexpected(acc.error());
    if (auto ok = may_manage_account(who, *acc); !ok) return ok;
    subject = acc->address;
  } else {
    if (auto ok = may_manage_organisation(who); !ok) return ok;
    subject = "role:" + std::string(role);
  }
  if (auto ok = store_.remove_mail_rule(account, role); !ok) return ok;
  (void)store_.audit(who.name, "rule.remove", subject);
  return {};
}

}  // namespace letterhead::directory
