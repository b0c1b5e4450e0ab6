#include "store/sql/org_codes.hpp"

namespace letterhead::store::sql {

std::string_view send_policy_name(send_policy p) noexcept {
  switch (p) {
    case send_policy::anyone: return "anyone";
    case send_policy::internal: return "internal";
    case send_policy::members: return "members";
    case send_policy::senders: return "senders";
    case send_policy::roles: return "roles";
  }
  return "anyone";
}

std::optional<send_policy> send_policy_from_name(std::string_view s) noexcept {
  for (auto p : {send_policy::anyone, send_policy::internal, send_policy::members, send_policy::senders,
                 send_policy::roles}) {
    if (send_policy_name(p) == s) return p;
  }
  return std::nullopt;
}

std::string_view member_kind_name(member_kind k) noexcept {
  switch (k) {
    case member_kind::account: return "account";
    case member_kind::department: return "department";
    case member_kind::external: return "external";
    case member_kind::group: return "group";
    case member_kind::all: return "all";
  }
  return "account";
}

std::optional<member_kind> member_kind_from_name(std::string_view s) noexcept {
  for (auto k : {member_kind::account, member_kind::department, member_kind::external, member_kind::group,
                 member_kind::all}) {
    if (member_kind_name(k) == s) return k;
  }
  return std::nullopt;
}

}  // namespace letterhead::store::sql
