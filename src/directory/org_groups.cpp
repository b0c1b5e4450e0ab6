// Groups: administration, expansion at delivery and who may send to them.

#include <algorithm>

#include <fmt/format.h>

#include "directory/names.hpp"
#include "directory/org.hpp"

namespace letterhead::directory {
namespace {

constexpr std::size_t max_allowed_entries = 1000;

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : lower_ascii(address.substr(at + 1));
}

template <class T>
void add_once(std::vector<T>& v, const T& x) {
  if (std::ranges::find(v, x) == v.end()) v.push_back(x);
}

}  // namespace

core::result<store::group> organisation::add_group(const actor& who, const store::group& g) {
  auto a = parse_address(g.address);
  if (!a) return std::unexpected(a.error());
  if (auto r = may_manage_domain(who, a->domain); !r) return std::unexpected(r.error());
  if (auto r = check_display_name(g.name); !r) return std::unexpected(r.error());
  if (g.allowed.size() > max_allowed_entries) {
    return core::fail(core::errc::limit, fmt::format("at most {} allowed senders or roles", max_allowed_entries));
  }
  if (auto dom = store_.find_domain(a->domain); !dom) {
    return core::fail(core::errc::not_found, fmt::format("domain '{}' is not ours", a->domain));
  }
  if (auto r = check_address_free(a->str()); !r) return std::unexpected(r.error());
  store::group rec = g;
  rec.address = a->str();
  auto added = store_.add_group(rec);
  if (!added) return added;
  (void)store_.audit(who.name, "group.add", fmt::format("{} policy={} moderated={}", added->address,
                                                        static_cast<int>(added->policy), added->moderated));
  return added;
}

core::result<void> organisation::update_group(const actor& who, const store::group& g) {
  auto old = store_.get_group(g.id);
  if (!old) return std::unexpected(old.error());
  if (auto r = may_manage_domain(who, domain_of(old->address)); !r) return r;
  if (auto r = check_display_name(g.name); !r) return r;
  if (g.allowed.size() > max_allowed_entries) {
    return core::fail(core::errc::limit, fmt::format("at most {} allowed senders or roles", max_allowed_entries));
  }
  if (g.policy == store::send_policy::senders) {
    for (const auto& s : g.allowed) {
      if (auto p = parse_address(s); !p) return std::unexpected(p.error());
    }
  }
  if (auto r = store_.update_group(g); !r) return r;
  std::string allowed;
  for (const auto& s : g.allowed) allowed += (allowed.empty() ? "" : ",") + s;
  std::string owners;
  for (const auto& s : g.owners) owners += (owners.empty() ? "" : ",") + s;
  (void)store_.audit(who.name, "group.update",
                     fmt::format("{} policy={} allowed=[{}] moderated={} owners=[{}]", old->address,
                                 static_cast<int>(g.policy), allowed, g.moderated, owners));
  return {};
}

core::result<void> organisation::remove_group(const actor& who, std::string_view address) {
  auto g = store_.find_group(address);
  if (!g) return std::unexpected(g.error());
  if (auto r = may_manage_domain(who, domain_of(g->address)); !r) return r;
  if (auto r = store_.remove_group(g->id); !r) return r;
  (void)store_.audit(who.name, "group.remove", g->address);
  return {};
}

core::result<store::group_member> organisation::parse_member(std::string_view text) {
  store::group_member m;
  if (text == "all") {
    m.kind = store::member_kind::all;
    return m;
  }
  if (text.starts_with("department:")) {
    auto d = find_department(text.substr(11));
    if (!d) return std::unexpected(d.error());
    m.kind = store::member_kind::department;
    m.ref = d->id;
    m.address = d->name;
    return m;
  }
  auto a = parse_address(text);
  if (!a) return std::unexpected(a.error());
  if (auto acc = store_.find_account(a->str()); acc) {
    m.kind = store::member_kind::account;
    m.ref = acc->id;
    m.address = acc->address;
    return m;
  }
  if (auto g = store_.find_group(a->str()); g) {
    m.kind = store::member_kind::group;
    m.ref = g->id;
    m.address = g->address;
    return m;
  }
  auto local = dir_.is_local_domain(a->domain);
  if (!local) return std::unexpected(local.error());
  if (*local) {
    // Aliases of ours are fine as "external" text only if they exist: a typo in a
    // local address must not silently become a dead member.
    if (auto al = store_.find_alias(a->str()); !al) {
      return core::fail(core::errc::not_found, fmt::format("no account, group or alias '{}'", a->str()));
    }
  }
  m.kind = store::member_kind::external;
  m.address = a->str();
  return m;
}

core::result<void> organisation::add_member(const actor& who, std::string_view group, std::string_view member) {
  auto g = store_.find_group(group);
  if (!g) return std::unexpected(g.error());
  if (auto r = may_moderate(who, *g); !r) return r;
  auto m = parse_member(member);
  if (!m) return std::unexpected(m.error());
  if (auto r = store_.add_group_member(g->id, *m); !r) return r;
  (void)store_.audit(who.name, "group.add_member", fmt::format("{} {}", g->address, member));
  return {};
}

core::result<void> organisation::remove_member(const actor& who, std::string_view group,
                                               std::string_view member) {
  auto g = store_.find_group(group);
  if (!g) return std::unexpected(g.error());
  if (auto r = may_moderate(who, *g); !r) return r;
  store::group_member m;
  // An account or department that is gone can still be named to drop its membership.
  auto parsed = parse_member(member);
  if (parsed) {
    m = *parsed;
  } else {
    m.kind = store::member_kind::external;
    m.address = std::string(member);
  }
  if (auto r = store_.remove_group_member(g->id, m); !r) return r;
  (void)store_.audit(who.name, "group.remove_member", fmt::format("{} {}", g->address, member));
  return {};
}

core::result<expansion> organisation::expand(const store::group& top) {
  expansion out;
  std::vector<store::id_t> seen_groups;
  std::vector<store::id_t> todo{top.id};
  std::optional<std::vector<store::department>> departments;
  std::vector<store::id_t> department_ids;
  while (!todo.empty()) {
    const auto gid = todo.back();
    todo.pop_back();
    if (std::ranges::find(seen_groups, gid) != seen_groups.end()) continue;  // nesting loop: cut
    seen_groups.push_back(gid);
    auto members = store_.list_group_members(gid);
    if (!members) {
      if (members.error().code == core::errc::not_found) continue;  // removed meanwhile
      return std::unexpected(members.error());
    }
    for (const auto& m : *members) {
      switch (m.kind) {
        case store::member_kind::account:
          add_once(out.accounts, m.ref);
          break;
        case store::member_kind::external:
          add_once(out.external, m.address);
          break;
        case store::member_kind::group:
          todo.push_back(m.ref);
          break;
        case store::member_kind::department: {
          if (!departments) {
            auto all = store_.list_departments();
            if (!all) return std::unexpected(all.error());
            departments = std::move(*all);
          }
          for (const auto d : subtree(*departments, m.ref)) add_once(department_ids, d);
          break;
        }
        case store::member_kind::all: {
          auto g = gid == top.id ? core::result<store::group>(top) : store_.get_group(gid);
          if (!g) return std::unexpected(g.error());
          auto accounts = store_.list_accounts(domain_of(g->address));
          if (!accounts) return std::unexpected(accounts.error());
          for (const auto& a : *accounts) add_once(out.accounts, a.id);
          break;
        }
      }
    }
  }
  if (!department_ids.empty()) {
    auto accounts = store_.accounts_in_departments(department_ids);
    if (!accounts) return std::unexpected(accounts.error());
    for (const auto id : *accounts) add_once(out.accounts, id);
  }
  return out;
}

core::result<void> organisation::check_sender(const store::group& g, const sender& s) {
  using store::send_policy;
  const auto refuse = [&](std::string_view why) {
    return core::fail(core::errc::denied, fmt::format("You are not allowed to send to <{}>: {}", g.address, why));
  };
  switch (g.policy) {
    case send_policy::anyone:
      return {};
    case send_policy::internal:
      if (s.account_id != 0) return {};
      return refuse("only senders inside the organisation may send to this list");
    case send_policy::members: {
      auto members = expand(g);
      if (!members) return std::unexpected(members.error());
      if (s.account_id != 0 && std::ranges::find(members->accounts, s.account_id) != members->accounts.end()) {
        return {};
      }
      if (s.account_id == 0 && !s.mail_from.empty()) {
        const auto from = lower_ascii(s.mail_from);
        for (const auto& e : members->external) {
          if (lower_ascii(e) == from) return {};
        }
      }
      return refuse("only members of the list may send to it");
    }
    case send_policy::senders: {
      std::string who;
      if (s.account_id != 0) {
        auto acc = store_.get_account(s.account_id);
        if (!acc) return std::unexpected(acc.error());
        who = lower_ascii(acc->address);
      } else if (!s.mail_from.empty()) {
        // Unauthenticated mail naming one of our own addresses is not trusted as that
        // sender: our people submit with AUTH.
        auto local = dir_.is_local_domain(domain_of(s.mail_from));
        if (!local) return std::unexpected(local.error());
        if (!*local) who = lower_ascii(s.mail_from);
      }
      for (const auto& a : g.allowed) {
        if (!who.empty() && lower_ascii(a) == who) return {};
        // The authenticated user may also send as an address it owns (checked at MAIL).
        if (s.account_id != 0 && !s.mail_from.empty() && lower_ascii(a) == lower_ascii(s.mail_from)) return {};
      }
      return refuse("only named senders may send to this list");
    }
    case send_policy::roles: {
      if (s.account_id != 0) {
        auto book = rule_book::load(store_);
        if (!book) return std::unexpected(book.error());
        auto roles = book->roles_of(s.account_id);
        if (!roles) return std::unexpected(roles.error());
        for (const auto& r : *roles) {
          if (std::ranges::find(g.allowed, r) != g.allowed.end()) return {};
        }
      }
      std::string names;
      for (const auto& r : g.allowed) names += (names.empty() ? "" : ", ") + r;
      return refuse(fmt::format("only holders of the role(s) {} may send to this list", names));
    }
  }
  return refuse("not allowed");
}

}  // namespace letterhead::directory
