// What each role may do. super-admin: everything. domain-admin: the accounts, groups
// and settings of its domain. department-admin: the accounts in its department's
// subtree and the departments below its root. Everyone else: nothing administrative
// (group owners may moderate and manage the members of their groups).

#include <algorithm>

#include <fmt/format.h>

#include "directory/org.hpp"

namespace letterhead::directory {

core::result<std::vector<store::role_grant>> organisation::grants_of(const actor& who) {
  if (who.account_id == 0) return std::vector<store::role_grant>{};
  return store_.list_roles(who.account_id);
}

core::result<bool> organisation::is_super(const actor& who) {
  if (who.account_id == 0) return true;
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  return std::ranges::any_of(*grants, [](const auto& g) { return g.role == role_super_admin; });
}

core::result<void> organisation::may_manage_organisation(const actor& who) {
  auto super = is_super(who);
  if (!super) return std::unexpected(super.error());
  if (*super) return {};
  return core::fail(core::errc::denied, fmt::format("{} is not a super admin", who.name));
}

core::result<void> organisation::may_manage_domain(const actor& who, std::string_view domain) {
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  if (who.account_id == 0) return {};
  const auto d = lower_ascii(domain);
  for (const auto& g : *grants) {
    if (g.role == role_super_admin) return {};
    if (g.role == role_domain_admin && g.domain == d) return {};
  }
  return core::fail(core::errc::denied, fmt::format("{} is not an admin of domain {}", who.name, d));
}

core::result<void> organisation::may_manage_department(const actor& who, store::id_t department, bool strict) {
  if (who.account_id == 0) return {};
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  auto all = store_.list_departments();
  if (!all) return std::unexpected(all.error());
  for (const auto& g : *grants) {
    if (g.role == role_super_admin) return {};
    if (g.role != role_department_admin || g.department_id == 0 || department == 0) continue;
    if (strict && department == g.department_id) continue;
    const auto below = subtree(*all, g.department_id);
    if (std::ranges::find(below, department) != below.end()) return {};
  }
  return core::fail(core::errc::denied,
                    fmt::format("{} may not manage department {}: it is outside their department", who.name,
                                department));
}

namespace {

// Admin rank, for "an admin acts only on accounts of lower rank": otherwise a
// domain admin could reset a super admin's password or TOTP and become one.
int rank_of(std::string_view role) {
  if (role == role_super_admin) return 3;
  if (role == role_domain_admin) return 2;
  if (role == role_department_admin) return 1;
  return 0;
}

}  // namespace

core::result<void> organisation::may_manage_account(const actor& who, const store::account& a) {
  if (who.account_id == 0) return {};
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  if (std::ranges::any_of(*grants, [](const auto& g) { return g.role == role_super_admin; })) return {};
  const auto refused = [&] {
    return core::fail(core::errc::denied, fmt::format("{} may not manage {}", who.name, a.address));
  };
  // Nobody but a super admin acts on their own account through admin rights (lifting
  // their own mail rules, say); and only on accounts ranked below their role.
  if (a.id == who.account_id) return refused();
  auto target = store_.list_roles(a.id);
  if (!target) return std::unexpected(target.error());
  int target_rank = 0;
  for (const auto& g : *target) target_rank = std::max(target_rank, rank_of(g.role));
  const auto at = a.address.rfind('@');
  const auto domain = lower_ascii(at == std::string::npos ? std::string() : a.address.substr(at + 1));
  std::optional<store::id_t> department;
  for (const auto& g : *grants) {
    if (rank_of(g.role) <= target_rank) continue;
    if (g.role == role_domain_admin && g.domain == domain) return {};
    if (g.role == role_department_admin && g.department_id != 0) {
      if (!department) {
        auto p = store_.get_profile(a.id);
        if (!p) return std::unexpected(p.error());
        department = p->department_id;
      }
      if (*department == 0) continue;
      if (may_manage_department(actor{who.name, who.account_id}, *department, false)) return {};
    }
  }
  return refused();
}

core::result<void> organisation::may_moderate(const actor& who, const store::group& g) {
  if (who.account_id != 0) {
    auto acc = store_.get_account(who.account_id);
    if (!acc) return std::unexpected(acc.error());
    for (const auto& o : g.owners) {
      if (lower_ascii(o) == lower_ascii(acc->address)) return {};
    }
  }
  const auto at = g.address.rfind('@');
  return may_manage_domain(who, at == std::string::npos ? std::string() : g.address.substr(at + 1));
}

core::result<bool> organisation::may_see_account(const actor& who, const store::account& a) {
  if (who.account_id == 0 || who.account_id == a.id) return true;
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  const auto at = a.address.rfind('@');
  const auto domain = lower_ascii(at == std::string::npos ? std::string() : a.address.substr(at + 1));
  std::optional<store::id_t> department;
  for (const auto& g : *grants) {
    if (g.role == role_super_admin) return true;
    if (g.role == role_domain_admin && g.domain == domain) return true;
    if (g.role == role_department_admin && g.department_id != 0) {
      if (!department) {
        auto p = store_.get_profile(a.id);
        if (!p) return std::unexpected(p.error());
        department = p->department_id;
      }
      if (*department == 0) continue;
      auto in = may_see_department(who, *department);
      if (!in) return std::unexpected(in.error());
      if (*in) return true;
    }
  }
  return false;
}

core::result<bool> organisation::may_see_department(const actor& who, store::id_t department) {
  if (who.account_id == 0) return true;
  auto grants = grants_of(who);
  if (!grants) return std::unexpected(grants.error());
  std::optional<std::vector<store::department>> all;
  for (const auto& g : *grants) {
    // Departments span domains: a domain admin places its people in any of them.
    if (g.role == role_super_admin || g.role == role_domain_admin) return true;
    if (g.role != role_department_admin || g.department_id == 0) continue;
    if (!all) {
      auto list = store_.list_departments();
      if (!list) return std::unexpected(list.error());
      all = std::move(*list);
    }
    const auto below = subtree(*all, g.department_id);
    if (std::ranges::find(below, department) != below.end()) return true;
  }
  return false;
}

core::result<bool> organisation::may_see_group(const actor& who, const store::group& g) {
  if (may_moderate(who, g)) return true;
  auto super = is_super(who);
  if (!super) return std::unexpected(super.error());
  return *super;
}

}  // namespace letterhead::directory
