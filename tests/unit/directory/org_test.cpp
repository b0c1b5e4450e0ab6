// The organisation's rules (directory/org.hpp, names.hpp) on a real SQLite store.
#include "directory/org.hpp"

#include <algorithm>
#include <filesystem>

#include <gtest/gtest.h>

#include "directory/names.hpp"

namespace letterhead::directory {
namespace {

constexpr password_cost test_cost{1, 8192};

template <class T>
T ok(core::result<T> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
  return std::move(*r);
}
inline void ok(core::result<void> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
}
template <class T>
::testing::AssertionResult fails_with(const core::result<T>& r, core::errc code) {
  if (r) return ::testing::AssertionFailure() << "succeeded";
  if (r.error().code != code) return ::testing::AssertionFailure() << "failed with: " << r.error().message;
  return ::testing::AssertionSuccess();
}

TEST(names, romanization_keys_and_formats) {
  EXPECT_EQ(romanize("张伟"), "zhang wei");
  EXPECT_EQ(romanize("José Müller"), "jose muller");
  auto k = keys_for("张伟");
  EXPECT_EQ(k.joined, "zhangwei");
  EXPECT_EQ(k.initials, "zw");
  EXPECT_EQ(keys_for("李小龙").initials, "lxl");
  EXPECT_EQ(ok(local_part_for("张伟", "first.last")), "zhang.wei");
  EXPECT_EQ(ok(local_part_for("张伟", "firstlast")), "zhangwei");
  EXPECT_EQ(ok(local_part_for("张伟", "f.last")), "z.wei");
  EXPECT_EQ(ok(local_part_for("李小龙", "first.last")), "li.xiaolong");
  EXPECT_EQ(ok(local_part_for("欧阳修", "first.last")), "ouyang.xiu");  // compound surname
  EXPECT_EQ(ok(local_part_for("Wei Zhang", "first.last")), "wei.zhang");
  EXPECT_EQ(ok(local_part_for("John Ronald Tolkien", "f.last")), "j.tolkien");
  EXPECT_EQ(ok(local_part_for("José Müller", "last.first")), "muller.jose");
  EXPECT_EQ(ok(local_part_for("Madonna", "first.last")), "madonna");
  EXPECT_EQ(ok(local_part_for("Mary-Jane O'Neil", "firstlast")), "maryjaneoneil");
  EXPECT_TRUE(fails_with(local_part_for("张伟", "nonsense"), core::errc::invalid));
  EXPECT_TRUE(fails_with(local_part_for("!!!", "first.last"), core::errc::invalid));
}

TEST(names, display_names_are_checked) {
  EXPECT_TRUE(check_display_name("张伟"));
  EXPECT_TRUE(check_display_name("David 张"));
  EXPECT_TRUE(check_display_name("Иван Петров"));
  EXPECT_TRUE(check_display_name(""));
  EXPECT_FALSE(check_display_name("Ali\x01" "ce"));
  EXPECT_FALSE(check_display_name("line\nbreak"));
  EXPECT_FALSE(check_display_name(std::string(129, 'a')));
  EXPECT_FALSE(check_display_name("\xff\xfe"));
  // Cyrillic 'а' (U+0430) in a Latin name: a homograph.
  EXPECT_FALSE(check_display_name("P\xd0\xb0ypal"));
}

TEST(rules, external_allowed) {
  effective_rules r;
  EXPECT_TRUE(external_allowed(r, "anywhere.example"));
  r.internal_only = true;
  EXPECT_FALSE(external_allowed(r, "anywhere.example"));
  r.allowed_domains = {"partner.example"};
  EXPECT_TRUE(external_allowed(r, "partner.example"));
  EXPECT_TRUE(external_allowed(r, "mx.Partner.example"));
  EXPECT_FALSE(external_allowed(r, "evilpartner.example"));
  r.internal_only = false;  // a list alone also restricts
  EXPECT_FALSE(external_allowed(r, "anywhere.example"));
}

class org_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("letterhead-org-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    store_ = ok(store::open(store::store_options{.backend = "sqlite", .url = "", .data_dir = dir_.string()}));
    directory_ = std::make_unique<directory>(*store_, test_cost);
    org = std::make_unique<organisation>(*store_, *directory_);
    ok(directory_->add_domain("example.com", "test"));
    sales = ok(org->add_department(root, "Sales", 0));
    east = ok(org->add_department(root, "East", sales.id));
    hr = ok(org->add_department(root, "HR", 0));
    alice = user("alice@example.com", "Alice", sales.id);
    bob = user("bob@example.com", "Bob", east.id);
    carol = user("carol@example.com", "Carol", hr.id);
  }
  void TearDown() override {
    org.reset();
    directory_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  store::account user(const std::string& address, const std::string& name, store::id_t department) {
    auto a = ok(directory_->add_user({address, name, "", 0}, "test"));
    auto p = ok(store_->get_profile(a.id));
    p.department_id = department;
    ok(org->set_profile(root, p));
    return a;
  }

  store::group group(const std::string& address, store::send_policy policy = store::send_policy::anyone,
                     std::vector<std::string> allowed = {}) {
    store::group g;
    g.address = address;
    g.policy = policy;
    g.allowed = std::move(allowed);
    return ok(org->add_group(root, g));
  }

  std::vector<store::id_t> sorted(std::vector<store::id_t> v) {
    std::ranges::sort(v);
    return v;
  }

  actor root = actor::operator_cli();
  std::filesystem::path dir_;
  std::unique_ptr<store::store> store_;
  std::unique_ptr<directory> directory_;
  std::unique_ptr<organisation> org;
  store::department sales, east, hr;
  store::account alice, bob, carol;
};

TEST_F(org_test, expansion_follows_the_tree_nesting_and_dedupes) {
  auto s = group("sales-all@example.com");
  ok(org->add_member(root, s.address, "department:Sales"));  // Sales and East
  ok(org->add_member(root, s.address, "bob@example.com"));    // again, through the department
  ok(org->add_member(root, s.address, "partner@other.example"));
  auto e = ok(org->expand(s));
  EXPECT_EQ(sorted(e.accounts), sorted({alice.id, bob.id}));
  EXPECT_EQ(e.external, std::vector<std::string>{"partner@other.example"});

  // Nested groups, with a loop through a third group cut by the store and by expansion.
  auto h = group("hr-all@example.com");
  ok(org->add_member(root, h.address, "department:" + std::to_string(hr.id)));
  auto everyone = group("everyone@example.com");
  ok(org->add_member(root, everyone.address, s.address));
  ok(org->add_member(root, everyone.address, h.address));
  EXPECT_TRUE(fails_with(org->add_member(root, s.address, everyone.address), core::errc::invalid));
  e = ok(org->expand(everyone));
  EXPECT_EQ(sorted(e.accounts), sorted({alice.id, bob.id, carol.id}));

  // A person who moves department moves lists with them.
  auto p = ok(store_->get_profile(carol.id));
  p.department_id = east.id;
  ok(org->set_profile(root, p));
  EXPECT_EQ(sorted(ok(org->expand(s)).accounts), sorted({alice.id, bob.id, carol.id}));

  // "all" is every account of the group's domain, new ones included.
  auto all = group("all@example.com");
  ok(org->add_member(root, all.address, "all"));
  auto dave = user("dave@example.com", "Dave", 0);
  EXPECT_EQ(ok(org->expand(all)).accounts.size(), 4u);
  EXPECT_TRUE(fails_with(org->add_member(root, all.address, "nobody@example.com"), core::errc::not_found));
  (void)dave;
}

TEST_F(org_test, resolve_expands_groups_and_holds_moderated_ones) {
  auto s = group("sales-all@example.com");
  ok(org->add_member(root, s.address, "department:Sales"));
  auto res = ok(directory_->resolve("Sales-All@example.com"));
  EXPECT_EQ(sorted(res.accounts), sorted({alice.id, bob.id}));
  EXPECT_EQ(res.groups, std::vector<store::id_t>{s.id});
  s.moderated = true;
  ok(org->update_group(root, s));
  res = ok(directory_->resolve(s.address, resolve_options{.hold_moderated = true}));
  EXPECT_TRUE(res.accounts.empty());
  EXPECT_EQ(res.held_groups, std::vector<store::id_t>{s.id});
  // An alias to a group reaches it, and its policy applies.
  ok(directory_->add_alias("team@example.com", {s.address}, "test"));
  res = ok(directory_->resolve("team@example.com"));
  EXPECT_EQ(res.groups, std::vector<store::id_t>{s.id});
  EXPECT_EQ(res.accounts.size(), 2u);
  // Addresses are unique across accounts, aliases and groups.
  store::group dup;
  dup.address = "alice@example.com";
  EXPECT_TRUE(fails_with(org->add_group(root, dup), core::errc::exists));
  EXPECT_TRUE(fails_with(directory_->add_alias(s.address, {"bob@example.com"}, "test"), core::errc::exists));
}

TEST_F(org_test, send_policies) {
  const sender outside{"stranger@other.example", 0};
  const sender as_alice{"alice@example.com", alice.id};
  const sender as_carol{"carol@example.com", carol.id};

  auto anyone = group("a@example.com");
  EXPECT_TRUE(org->check_sender(anyone, outside));

  auto internal = group("i@example.com", store::send_policy::internal);
  EXPECT_TRUE(fails_with(org->check_sender(internal, outside), core::errc::denied));
  EXPECT_TRUE(org->check_sender(internal, as_carol));

  auto members = group("m@example.com", store::send_policy::members);
  ok(org->add_member(root, members.address, "department:Sales"));
  ok(org->add_member(root, members.address, "friend@other.example"));
  EXPECT_TRUE(org->check_sender(members, as_alice));
  EXPECT_TRUE(fails_with(org->check_sender(members, as_carol), core::errc::denied));
  EXPECT_TRUE(org->check_sender(members, sender{"Friend@other.example", 0}));
  EXPECT_TRUE(fails_with(org->check_sender(members, outside), core::errc::denied));

  auto senders = group("s@example.com", store::send_policy::senders, {"carol@example.com", "ceo@other.example"});
  EXPECT_TRUE(org->check_sender(senders, as_carol));
  EXPECT_TRUE(fails_with(org->check_sender(senders, as_alice), core::errc::denied));
  EXPECT_TRUE(org->check_sender(senders, sender{"ceo@other.example", 0}));
  // Our own address from the world without AUTH is not trusted.
  EXPECT_TRUE(fails_with(org->check_sender(senders, sender{"carol@example.com", 0}), core::errc::denied));

  auto managers = group("managers@example.com", store::send_policy::roles, {"manager"});
  auto denied = org->check_sender(managers, as_alice);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("managers@example.com"), std::string::npos);
  // Alice becomes somebody's manager: she holds "manager" implicitly.
  auto p = ok(store_->get_profile(bob.id));
  p.manager_id = alice.id;
  ok(org->set_profile(root, p));
  EXPECT_TRUE(org->check_sender(managers, as_alice));
  auto leads = group("leads@example.com", store::send_policy::roles, {"sales-lead"});
  EXPECT_TRUE(fails_with(org->check_sender(leads, as_carol), core::errc::denied));
  ok(org->grant_role(root, store::role_grant{carol.id, "", "sales-lead", "", 0}));
  EXPECT_TRUE(org->check_sender(leads, as_carol));
}

TEST_F(org_test, mail_rules_combine_roles_and_account) {
  ok(org->grant_role(root, store::role_grant{alice.id, "", "intern", "", 0}));
  store::mail_rule intern;
  intern.role = "intern";
  intern.internal_only = true;
  intern.max_recipients = 10;
  ok(org->set_rule(root, intern));
  store::mail_rule everyone;
  everyone.role = "user";
  everyone.max_recipients = 50;
  everyone.max_message_size = 10 * 1024 * 1024;
  ok(org->set_rule(root, everyone));
  auto r = ok(org->rules_for(alice.id));
  EXPECT_TRUE(r.internal_only);
  EXPECT_EQ(r.max_recipients, 10u);  // the smaller of the roles'
  EXPECT_EQ(r.max_message_size, 10u * 1024 * 1024);
  r = ok(org->rules_for(bob.id));
  EXPECT_FALSE(r.internal_only);
  EXPECT_EQ(r.max_recipients, 50u);
  // The account's own rule overrides its roles' field by field.
  store::mail_rule own;
  own.account_id = alice.id;
  own.internal_only = false;
  own.allowed_domains = std::vector<std::string>{"Partner.example"};
  ok(org->set_rule(root, own));
  r = ok(org->rules_for(alice.id));
  EXPECT_FALSE(r.internal_only);
  EXPECT_EQ(r.allowed_domains, std::vector<std::string>{"partner.example"});
  EXPECT_EQ(r.max_recipients, 10u);
  own.allowed_domains = std::vector<std::string>{"not a domain"};
  EXPECT_TRUE(fails_with(org->set_rule(root, own), core::errc::invalid));
}

TEST_F(org_test, department_admins_stay_inside_their_subtree) {
  ok(org->grant_role(root, store::role_grant{alice.id, "", "department-admin", "", sales.id}));
  const actor sub{"alice@example.com", alice.id};
  const actor nobody{"carol@example.com", carol.id};
  // Below its root: yes. Its root itself (move/remove): no. Elsewhere: no.
  auto west = ok(org->add_department(sub, "West", sales.id));
  EXPECT_TRUE(org->may_manage_department(sub, east.id, true));
  EXPECT_TRUE(fails_with(org->may_manage_department(sub, sales.id, true), core::errc::denied));
  EXPECT_TRUE(fails_with(org->add_department(sub, "Payroll", hr.id), core::errc::denied));
  EXPECT_TRUE(fails_with(org->add_department(sub, "Top", 0), core::errc::denied));
  EXPECT_TRUE(fails_with(org->move_department(sub, east.id, hr.id), core::errc::denied));
  ok(org->move_department(sub, east.id, west.id));
  EXPECT_TRUE(fails_with(org->remove_department(sub, sales.id, std::nullopt), core::errc::denied));
  // People: Bob (East, inside) yes; Carol (HR) no; moving Bob out to HR no.
  auto pb = ok(store_->get_profile(bob.id));
  pb.title = "Rep";
  ok(org->set_profile(sub, pb));
  auto pc = ok(store_->get_profile(carol.id));
  pc.title = "Boss";
  EXPECT_TRUE(fails_with(org->set_profile(sub, pc), core::errc::denied));
  pb.department_id = hr.id;
  EXPECT_TRUE(fails_with(org->set_profile(sub, pb), core::errc::denied));
  // Roles and organisation-wide rules are for super admins only.
  EXPECT_TRUE(fails_with(org->grant_role(sub, store::role_grant{bob.id, "", "super-admin", "", 0}), core::errc::denied));
  store::mail_rule rule;
  rule.account_id = bob.id;
  rule.max_recipients = 3;
  ok(org->set_rule(sub, rule));
  rule.account_id = carol.id;
  EXPECT_TRUE(fails_with(org->set_rule(sub, rule), core::errc::denied));
  // Ordinary users: nothing.
  EXPECT_TRUE(fails_with(org->add_department(nobody, "X", east.id), core::errc::denied));
  // Domain admins manage their domain's groups; super admins everything.
  store::group g;
  g.address = "g@example.com";
  EXPECT_TRUE(fails_with(org->add_group(nobody, g), core::errc::denied));
  ok(org->grant_role(root, store::role_grant{carol.id, "", "domain-admin", "example.com", 0}));
  ok(org->add_group(nobody, g));
  EXPECT_TRUE(fails_with(org->grant_role(root, store::role_grant{carol.id, "", "domain-admin", "", 0}),
                         core::errc::invalid));
  // Group owners moderate and manage members of their group only.
  store::group owned;
  owned.address = "owned@example.com";
  owned.owners = {"bob@example.com"};
  ok(org->add_group(root, owned));
  const actor owner{"bob@example.com", bob.id};
  ok(org->add_member(owner, "owned@example.com", "alice@example.com"));
  EXPECT_TRUE(fails_with(org->add_member(owner, "g@example.com", "alice@example.com"), core::errc::denied));
}

TEST_F(org_test, address_format_numbers_collisions) {
  EXPECT_TRUE(fails_with(org->address_for("张伟", "example.com"), core::errc::invalid));  // no format yet
  ok(org->set_address_format(root, "example.com", "first.last"));
  EXPECT_TRUE(fails_with(org->set_address_format(root, "example.com", "weird"), core::errc::invalid));
  auto a = ok(directory_->add_user({"@example.com", "张伟", "", 0}, "test"));
  EXPECT_EQ(a.address, "zhang.wei@example.com");
  auto b = ok(directory_->add_user({"@example.com", "张伟", "", 0}, "test"));
  EXPECT_EQ(b.address, "zhang.wei2@example.com");
  // A group or alias holding the next name is skipped too.
  ok(directory_->add_alias("zhang.wei3@example.com", {"alice@example.com"}, "test"));
  EXPECT_EQ(ok(org->address_for("张伟", "example.com")), "zhang.wei4@example.com");
  EXPECT_TRUE(fails_with(directory_->add_user({"@example.com", "", "", 0}, "test"), core::errc::invalid));
  EXPECT_TRUE(fails_with(directory_->add_user({"x@example.com", "Bad\x07" "Name", "", 0}, "test"), core::errc::invalid));
}

TEST_F(org_test, address_list_search_by_pinyin_and_initials) {
  auto zw = ok(directory_->add_user({"zw@example.com", "张伟", "", 0}, "test"));
  auto p = ok(store_->get_profile(zw.id));
  p.title = "销售经理";
  p.phone = "+86 10 1234 5678";
  ok(org->set_profile(root, p));
  ok(directory_->add_user({"lxl@example.com", "李小龙", "", 0}, "test"));
  auto first = [&](std::string_view q) {
    auto r = ok(org->search(q));
    return r.empty() ? std::string() : r.front().profile.address;
  };
  EXPECT_EQ(first("张伟"), "zw@example.com");
  EXPECT_EQ(first("zhangwei"), "zw@example.com");
  EXPECT_EQ(first("Zhang Wei"), "zw@example.com");
  EXPECT_EQ(first("zw"), "zw@example.com");
  EXPECT_EQ(first("lxl"), "lxl@example.com");
  EXPECT_EQ(first("xiaolong"), "lxl@example.com");
  EXPECT_EQ(first("经理"), "zw@example.com");
  EXPECT_EQ(first("12345678"), "zw@example.com");
  EXPECT_EQ(first("carol"), "carol@example.com");
  EXPECT_TRUE(ok(org->search("qqqqq")).empty());
  auto r = ok(org->search("zw"));
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.front().profile.display_name, "张伟");
}

TEST_F(org_test, audit_records_every_admin_action) {
  auto before = ok(store_->list_audit(1000)).size();
  auto g = group("x@example.com");
  ok(org->add_member(root, g.address, "alice@example.com"));
  ok(org->grant_role(root, store::role_grant{bob.id, "", "sales-lead", "", 0}));
  store::mail_rule r;
  r.role = "sales-lead";
  r.max_recipients = 3;
  ok(org->set_rule(root, r));
  ok(org->move_department(root, east.id, hr.id));
  auto after = ok(store_->list_audit(1000));
  EXPECT_EQ(after.size(), before + 5);
  EXPECT_EQ(after.front().action, "department.move");
}

}  // namespace
}  // namespace letterhead::directory
