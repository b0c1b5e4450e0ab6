#pragma once
// The organisation on top of the Store (issue 6 part A): the department tree,
// employee profiles, the global address list (name, pinyin, pinyin initials),
// addresses made in each domain's format, groups with their expansion and send
// policies, roles with what they permit, and per-account or per-role mail rules.
//
// Every administrative operation lives here once, takes the acting party, checks its
// permission, runs as one store transaction (or refuses before writing) and writes an
// audit record; the CLI calls these now and the admin API will call the same.
//
// Untrusted input: names, addresses and ids from admins (department admins are not
// trusted beyond their subtree) and, at RCPT time, envelope senders from the world.
// Calls block on the store: run them on the blocking pool.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "directory/directory.hpp"
#include "store/store.hpp"

namespace letterhead::directory {

// Built-in roles; any other role name is a label for send policies and mail rules.
inline constexpr std::string_view role_super_admin = "super-admin";
inline constexpr std::string_view role_domain_admin = "domain-admin";
inline constexpr std::string_view role_department_admin = "department-admin";
inline constexpr std::string_view role_user = "user";
// Held implicitly by every account that is some account's manager.
inline constexpr std::string_view role_manager = "manager";

// Who acts. account_id 0 is the local operator (the CLI run by whoever can read the
// config and the data directory): allowed everything.
struct actor {
  std::string name = "cli";      // for the audit log
  store::id_t account_id = 0;
  [[nodiscard]] static actor operator_cli() { return {}; }
};

// One line of the global address list.
struct gal_entry {
  store::profile profile;
  std::string department;  // its name, empty for none
  int score = 0;           // higher is a better match
};

// Everyone a group reaches, each once.
struct expansion {
  std::vector<store::id_t> accounts;
  std::vector<std::string> external;
};

// The sender of a message as far as policies are concerned.
struct sender {
  std::string mail_from;          // envelope sender, empty for <>
  store::id_t account_id = 0;     // authenticated account, 0 for mail from the world
};

// The mail rules in force for one account (after combining its roles' and its own).
struct effective_rules {
  bool internal_only = false;
  std::vector<std::string> allowed_domains;  // external domains allowed (and their subdomains)
  std::uint32_t max_recipients = 0;           // 0 = no rule
  std::uint64_t max_message_size = 0;         // 0 = no rule
};

// May mail go between this account and an external domain under these rules?
[[nodiscard]] bool external_allowed(const effective_rules& rules, std::string_view domain);

// Department tree helpers over a list from store::list_departments().
[[nodiscard]] std::vector<store::id_t> subtree(const std::vector<store::department>& all, store::id_t root);

// All mail rules and role grants, read once: delivery to a 2,000-member list asks for
// every member's rules without 2,000 queries.
class rule_book {
 public:
  [[nodiscard]] static core::result<rule_book> load(store::store& store);
  [[nodiscard]] core::result<effective_rules> rules_for(store::id_t account);
  [[nodiscard]] core::result<std::vector<std::string>> roles_of(store::id_t account);
  // True when no rule restricts anybody's external mail.
  [[nodiscard]] bool no_external_rules() const noexcept { return !external_rules_; }

 private:
  store::store* store_ = nullptr;
  std::vector<store::mail_rule> rules_;
  std::unordered_map<store::id_t, std::vector<std::string>> roles_;
  bool manager_rule_ = false;
  bool external_rules_ = false;
};

class organisation {
 public:
  organisation(store::store& store, directory& dir) : store_(store), dir_(dir) {}

  // --- departments ---
  [[nodiscard]] core::result<store::department> add_department(const actor& who, std::string_view name,
                                                               store::id_t parent);
  [[nodiscard]] core::result<std::vector<store::department>> list_departments();
  [[nodiscard]] core::result<void> move_department(const actor& who, store::id_t id, store::id_t new_parent);
  [[nodiscard]] core::result<void> remove_department(const actor& who, store::id_t id,
                                                     std::optional<store::id_t> reparent_to);
  // A department named by id ("12") or by path ("Sales/East"); errc::not_found.
  [[nodiscard]] core::result<store::department> find_department(std::string_view id_or_path);
  // "Sales/East" for display.
  [[nodiscard]] core::result<std::string> department_path(store::id_t id);

  // --- profiles and the address list ---
  [[nodiscard]] core::result<void> set_profile(const actor& who, const store::profile& p);
  [[nodiscard]] core::result<std::vector<gal_entry>> search(std::string_view text, std::size_t limit = 50);
  // A free local part in the domain for the name in the domain's address format,
  // numbered on collision (zhang.wei, zhang.wei2, zhang.wei3, ...). errc::invalid
  // when the domain has no format set.
  [[nodiscard]] core::result<std::string> address_for(std::string_view name, std::string_view domain);
  [[nodiscard]] core::result<void> set_address_format(const actor& who, std::string_view domain,
                                                      std::string_view format);

  // --- groups ---
  [[nodiscard]] core::result<store::group> add_group(const actor& who, const store::group& g);
  [[nodiscard]] core::result<void> update_group(const actor& who, const store::group& g);
  [[nodiscard]] core::result<void> remove_group(const actor& who, std::string_view address);
  // A member given as text: an account or group address, "department:ID-or-path",
  // "all", or an external address.
  [[nodiscard]] core::result<store::group_member> parse_member(std::string_view text);
  [[nodiscard]] core::result<void> add_member(const actor& who, std::string_view group, std::string_view member);
  [[nodiscard]] core::result<void> remove_member(const actor& who, std::string_view group, std::string_view member);
  // Departments with their sub-departments, nested groups, "all"; each account and
  // external address once; nesting loops are cut.
  [[nodiscard]] core::result<expansion> expand(const store::group& g);
  // errc::denied with an English sentence fit for an SMTP reply.
  [[nodiscard]] core::result<void> check_sender(const store::group& g, const sender& s);

  // --- roles and rules ---
  [[nodiscard]] core::result<void> grant_role(const actor& who, const store::role_grant& r);
  [[nodiscard]] core::result<void> revoke_role(const actor& who, const store::role_grant& r);
  [[nodiscard]] core::result<void> set_rule(const actor& who, const store::mail_rule& r);
  [[nodiscard]] core::result<void> remove_rule(const actor& who, store::id_t account, std::string_view role);
  [[nodiscard]] core::result<effective_rules> rules_for(store::id_t account);

  // --- permissions (errc::denied with the reason) ---
  [[nodiscard]] core::result<void> may_manage_organisation(const actor& who);
  [[nodiscard]] core::result<void> may_manage_domain(const actor& who, std::string_view domain);
  // strict: a department admin may not act on the root of its own subtree (move or
  // remove it), only on what lies below.
  [[nodiscard]] core::result<void> may_manage_department(const actor& who, store::id_t department, bool strict);
  [[nodiscard]] core::result<void> may_manage_account(const actor& who, const store::account& a);
  // Owners of the group, or its domain's admins.
  [[nodiscard]] core::result<void> may_moderate(const actor& who, const store::group& g);
  // Whether `who` may know that the object exists at all (it lies inside their scope,
  // even if rank forbids acting on it). The admin API answers an object outside the
  // scope exactly as a missing one, so existence does not leak across domains or
  // departments.
  [[nodiscard]] core::result<bool> may_see_account(const actor& who, const store::account& a);
  [[nodiscard]] core::result<bool> may_see_department(const actor& who, store::id_t department);
  [[nodiscard]] core::result<bool> may_see_group(const actor& who, const store::group& g);

  [[nodiscard]] store::store& store() noexcept { return store_; }

 private:
  [[nodiscard]] core::result<std::vector<store::role_grant>> grants_of(const actor& who);
  [[nodiscard]] core::result<bool> is_super(const actor& who);
  [[nodiscard]] core::result<void> check_address_free(std::string_view address);

  store::store& store_;
  directory& dir_;
};

}  // namespace letterhead::directory
