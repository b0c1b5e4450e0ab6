// Departments and employee profiles.

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "directory/names.hpp"
#include "directory/org.hpp"

namespace letterhead::directory {

std::vector<store::id_t> subtree(const std::vector<store::department>& all, store::id_t root) {
  std::vector<store::id_t> out{root};
  // Breadth-first over the flat list; `out` grows while it is walked. Bounded by the
  // list's size, so a corrupt loop cannot run away.
  for (std::size_t i = 0; i < out.size() && out.size() <= all.size() + 1; ++i) {
    for (const auto& d : all) {
      if (d.parent_id == out[i] && std::ranges::find(out, d.id) == out.end()) out.push_back(d.id);
    }
  }
  return out;
}

core::result<store::department> organisation::add_department(const actor& who, std::string_view name,
                                                             store::id_t parent) {
  if (parent == 0) {
    if (auto r = may_manage_organisation(who); !r) return std::unexpected(r.error());
  } else if (auto r = may_manage_department(who, parent, false); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = check_display_name(name); !r) return std::unexpected(r.error());
  auto d = store_.add_department(name, parent);
  if (!d) return d;
  (void)store_.audit(who.name, "department.add", fmt::format("{} '{}' parent {}", d->id, d->name, parent));
  return d;
}

core::result<std::vector<store::department>> organisation::list_departments() { return store_.list_departments(); }

core::result<void> organisation::move_department(const actor& who, store::id_t id, store::id_t new_parent) {
  if (auto r = may_manage_department(who, id, true); !r) return r;
  if (new_parent == 0) {
    if (auto r = may_manage_organisation(who); !r) return r;
  } else if (auto r = may_manage_department(who, new_parent, false); !r) {
    return r;
  }
  if (auto r = store_.move_department(id, new_parent); !r) return r;
  (void)store_.audit(who.name, "department.move", fmt::format("{} -> parent {}", id, new_parent));
  return {};
}

core::result<void> organisation::remove_department(const actor& who, store::id_t id,
                                                   std::optional<store::id_t> reparent_to) {
  if (auto r = may_manage_department(who, id, true); !r) return r;
  if (!reparent_to) {
    // What an admin expects of "remove": the contents go up one level. A top-level
    // department has no parent to take them, so removing it needs an explicit target
    // (the store refuses while it is not empty).
    auto d = store_.get_department(id);
    if (!d) return std::unexpected(d.error());
    if (d->parent_id != 0) reparent_to = d->parent_id;
  }
  if (reparent_to) {
    if (*reparent_to == 0) {
      if (auto r = may_manage_organisation(who); !r) return r;
    } else if (auto r = may_manage_department(who, *reparent_to, false); !r) {
      return r;
    }
  }
  if (auto r = store_.remove_department(id, reparent_to); !r) return r;
  (void)store_.audit(who.name, "department.remove",
                     reparent_to ? fmt::format("{} (contents to {})", id, *reparent_to) : std::to_string(id));
  return {};
}

core::result<store::department> organisation::find_department(std::string_view text) {
  store::id_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec == std::errc{} && ptr == text.data() + text.size()) return store_.get_department(id);
  auto all = store_.list_departments();
  if (!all) return std::unexpected(all.error());
  // A path of names from the top: "Sales/East".
  store::id_t parent = 0;
  std::optional<store::department> found;
  std::size_t i = 0;
  while (i <= text.size()) {
    auto j = text.find('/', i);
    if (j == std::string_view::npos) j = text.size();
    const auto part = lower_ascii(text.substr(i, j - i));
    found.reset();
    for (const auto& d : *all) {
      if (d.parent_id == parent && lower_ascii(d.name) == part) found = d;
    }
    if (!found) return core::fail(core::errc::not_found, fmt::format("no department '{}'", text));
    parent = found->id;
    i = j + 1;
  }
  return *found;
}

core::result<std::string> organisation::department_path(store::id_t id) {
  auto all = store_.list_departments();
  if (!all) return std::unexpected(all.error());
  std::string path;
  for (std::size_t steps = 0; id != 0 && steps <= all->size(); ++steps) {
    auto it = std::ranges::find_if(*all, [&](const auto& d) { return d.id == id; });
    if (it == all->end()) break;
    path = path.empty() ? it->name : it->name + "/" + path;
    id = it->parent_id;
  }
  return path;
}

core::result<void> organisation::set_profile(const actor& who, const store::profile& p) {
  auto acc = store_.get_account(p.account_id);
  if (!acc) return std::unexpected(acc.error());
  if (auto r = may_manage_account(who, *acc); !r) return r;
  auto old = store_.get_profile(p.account_id);
  if (!old) return std::unexpected(old.error());
  // A department admin may move people only within its subtree.
  if (p.department_id != old->department_id && p.department_id != 0) {
    if (auto r = may_manage_department(who, p.department_id, false); !r) return r;
  }
  if (p.manager_id != 0 && p.manager_id != old->manager_id) {
    // The manager is a colleague: an account of the same domain, and one the acting
    // admin can see (anything else is answered as if it did not exist).
    const auto missing = [] { return core::fail(core::errc::not_found, "no such manager account / 上级账户不存在"); };
    auto mgr = store_.get_account(p.manager_id);
    if (!mgr) return mgr.error().code == core::errc::not_found ? missing() : std::unexpected(mgr.error());
    auto visible = may_see_account(who, *mgr);
    if (!visible) return std::unexpected(visible.error());
    if (!*visible) return missing();
    const auto domain = [](std::string_view a) { return lower_ascii(a.substr(a.rfind('@') + 1)); };
    if (domain(mgr->address) != domain(acc->address)) {
      return core::fail(core::errc::invalid, fmt::format("the manager of {} must be an account of the same domain",
                                                         acc->address));
    }
  }
  if (auto r = check_display_name(p.display_name); !r) return r;
  for (const auto* field : {&p.title, &p.phone, &p.employee_id}) {
    if (field->size() > 200) return core::fail(core::errc::invalid, "profile fields have at most 200 bytes");
    for (const unsigned char c : *field) {
      if (c < 0x20 || c == 0x7f) return core::fail(core::errc::invalid, "profile fields have no control characters");
    }
  }
  if (auto r = store_.set_profile(p); !r) return r;
  (void)store_.audit(who.name, "user.profile",
                     fmt::format("{} title='{}' department={} manager={} employee_id='{}'", acc->address, p.title,
                                 p.department_id, p.manager_id, p.employee_id));
  return {};
}

core::result<void> organisation::set_address_format(const actor& who, std::string_view domain,
                                                    std::string_view format) {
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  if (auto r = may_manage_domain(who, *d); !r) return r;
  if (!format.empty() && !is_address_format(format)) {
    return core::fail(core::errc::invalid, fmt::format("unknown address format '{}' (one of first.last, f.last, "
                                                       "firstlast, flast, last.first, first)", format));
  }
  if (auto r = store_.set_address_format(*d, format); !r) return r;
  (void)store_.audit(who.name, "domain.address_format", fmt::format("{} {}", *d, format));
  return {};
}

core::result<void> organisation::check_address_free(std::string_view address) {
  if (auto a = store_.find_account(address); a) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already an account", address));
  } else if (a.error().code != core::errc::not_found) {
    return std::unexpected(a.error());
  }
  if (auto a = store_.find_alias(address); a) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already an alias", address));
  } else if (a.error().code != core::errc::not_found) {
    return std::unexpected(a.error());
  }
  if (auto g = store_.find_group(address); g) {
    return core::fail(core::errc::exists, fmt::format("'{}' is already a group", address));
  } else if (g.error().code != core::errc::not_found) {
    return std::unexpected(g.error());
  }
  return {};
}

core::result<std::string> organisation::address_for(std::string_view name, std::string_view domain) {
  auto d = normalize_domain(domain);
  if (!d) return std::unexpected(d.error());
  auto format = store_.address_format(*d);
  if (!format) return std::unexpected(format.error());
  if (format->empty()) {
    return core::fail(core::errc::invalid,
                      fmt::format("domain {} has no address format: set one with "
                                  "'letterhead domain set {} --address-format first.last'", *d, *d));
  }
  if (auto r = check_display_name(name); !r) return std::unexpected(r.error());
  auto local = local_part_for(name, *format);
  if (!local) return std::unexpected(local.error());
  // zhang.wei, then zhang.wei2, zhang.wei3, ...
  for (int n = 1; n < 10000; ++n) {
    const auto candidate = n == 1 ? fmt::format("{}@{}", *local, *d) : fmt::format("{}{}@{}", *local, n, *d);
    auto free = check_address_free(candidate);
    if (free) return candidate;
    if (free.error().code != core::errc::exists) return std::unexpected(free.error());
  }
  return core::fail(core::errc::limit, fmt::format("no free address for '{}' in {}", name, *d));
}

}  // namespace letterhead::directory
