// The backend-independent Store suite: written against store::store only, run against
// every backend in backends(). A new backend passes this file unchanged; nothing here
// may know SQL, files or a particular backend. Each test has its own data directory.

#include <algorithm>
#include <atomic>
#include <functional>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using testing::fails_with;
using testing::ok;
using core::errc;

struct backend {
  std::string name;
  std::function<core::result<std::unique_ptr<store>>(const std::filesystem::path& data_dir)> open;
};

// The PostgreSQL backend joins this list when it exists (with a factory that gives
// each data_dir a fresh database or schema).
std::vector<backend> backends() {
  return {
      {"sqlite",
       [](const std::filesystem::path& dir) {
         store_options o;
         o.backend = "sqlite";
         o.data_dir = dir.string();
         return open(o);
       }},
  };
}

void PrintTo(const backend& b, std::ostream* os) { *os << b.name; }

class store_suite : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override { reopen(); }
  void TearDown() override { store_.reset(); }

  void reopen() {
    store_.reset();
    store_ = ok(GetParam().open(dir_.path()));
  }

  store& s() { return *store_; }

  account make_account(const std::string& address) {
    auto at = address.rfind('@');
    auto domain_name = address.substr(at + 1);
    if (!s().find_domain(domain_name)) ok(s().add_domain(domain_name));
    account a;
    a.address = address;
    return ok(s().add_account(a));
  }

  std::string put(std::string_view bytes) { return ok(s().blobs().put(bytes)); }

  static delivery delivery_of(const std::string& blob, std::vector<delivery_target> targets) {
    delivery d;
    d.blob = blob;
    d.size = 0;  // the backend takes the stored size
    d.internal_date = 1700000000;
    d.targets = std::move(targets);
    return d;
  }

  delivered deliver_one(id_t account_id, const std::string& blob, mailbox_role role = mailbox_role::inbox) {
    auto out = ok(s().deliver(delivery_of(blob, {delivery_target{account_id, role, 0, {}}})));
    EXPECT_EQ(out.size(), 1u);
    return out.at(0);
  }

  mailbox inbox(id_t account_id) { return ok(s().find_mailbox_by_role(account_id, mailbox_role::inbox)); }

  std::vector<std::uint32_t> uids_of(id_t mailbox_id) {
    std::vector<std::uint32_t> out;
    for (const auto& m : ok(s().list_messages(mailbox_id, 1))) out.push_back(m.uid);
    return out;
  }

  testing::temp_dir dir_;
  std::unique_ptr<store> store_;
};

// --- domains ---

TEST_P(store_suite, domains_add_find_list_remove) {
  auto d = ok(s().add_domain("Example.COM"));
  EXPECT_GT(d.id, 0);
  EXPECT_EQ(d.name, "example.com");
  EXPECT_GT(d.created, 0);
  EXPECT_FALSE(d.catch_all);
  ok(s().add_domain("another.org"));

  EXPECT_EQ(ok(s().find_domain("EXAMPLE.com")).id, d.id);
  auto all = ok(s().list_domains());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "another.org");
  EXPECT_EQ(all[1].name, "example.com");

  EXPECT_TRUE(fails_with(s().add_domain("example.com"), errc::exists));
  EXPECT_TRUE(fails_with(s().add_domain(""), errc::invalid));
  EXPECT_TRUE(fails_with(s().find_domain("nowhere.net"), errc::not_found));

  ok(s().remove_domain("Example.com"));
  EXPECT_TRUE(fails_with(s().find_domain("example.com"), errc::not_found));
  EXPECT_TRUE(fails_with(s().remove_domain("example.com"), errc::not_found));
}

TEST_P(store_suite, remove_domain_refuses_while_accounts_or_aliases_remain) {
  make_account("alice@example.com");
  auto r = s().remove_domain("example.com");
  ASSERT_TRUE(fails_with(r, errc::denied));
  EXPECT_NE(r.error().message.find("example.com"), std::string::npos) << r.error().message;
  EXPECT_TRUE(s().find_domain("example.com").has_value());

  ok(s().remove_account("alice@example.com"));
  ok(s().set_alias(alias{"team@example.com", {"someone@elsewhere.org"}}));
  EXPECT_TRUE(fails_with(s().remove_domain("example.com"), errc::denied));
  ok(s().remove_alias("team@example.com"));
  ok(s().remove_domain("example.com"));
}

TEST_P(store_suite, catch_all) {
  ok(s().add_domain("example.com"));
  ok(s().set_catch_all("EXAMPLE.COM", "postmaster@example.com"));
  EXPECT_EQ(ok(s().find_domain("example.com")).catch_all, std::optional<std::string>("postmaster@example.com"));
  ok(s().set_catch_all("example.com", ""));
  EXPECT_FALSE(ok(s().find_domain("example.com")).catch_all);
  EXPECT_TRUE(fails_with(s().set_catch_all("nowhere.net", "x@nowhere.net"), errc::not_found));
  EXPECT_TRUE(fails_with(s().set_catch_all("example.com", "not-an-address"), errc::invalid));
}

// --- accounts ---

TEST_P(store_suite, add_account_creates_default_mailboxes_with_roles) {
  auto a = make_account("Alice@Example.COM");
  EXPECT_GT(a.id, 0);
  EXPECT_EQ(a.address, "Alice@example.com");  // local part as given, domain lower-case
  EXPECT_EQ(a.domain_id, ok(s().find_domain("example.com")).id);
  EXPECT_GT(a.created, 0);

  auto boxes = ok(s().list_mailboxes(a.id));
  ASSERT_EQ(boxes.size(), 6u);
  std::set<std::uint32_t> uidvalidities;
  for (const auto& m : boxes) {
    EXPECT_EQ(m.account_id, a.id);
    EXPECT_EQ(m.uidnext, 1u);
    EXPECT_EQ(m.messages, 0u);
    EXPECT_NE(m.uidvalidity, 0u);
    uidvalidities.insert(m.uidvalidity);
  }
  EXPECT_EQ(uidvalidities.size(), 6u) << "UIDVALIDITY values are unique in the store";

  const std::pair<const char*, mailbox_role> expected[] = {
      {"INBOX", mailbox_role::inbox}, {"Sent", mailbox_role::sent}, {"Drafts", mailbox_role::drafts},
      {"Trash", mailbox_role::trash}, {"Junk", mailbox_role::junk}, {"Archive", mailbox_role::archive},
  };
  for (const auto& [name, role] : expected) {
    auto by_role = ok(s().find_mailbox_by_role(a.id, role));
    EXPECT_EQ(by_role.name, name);
    EXPECT_EQ(by_role.role, role);
    EXPECT_EQ(ok(s().find_mailbox(a.id, name)).id, by_role.id);
  }
  EXPECT_TRUE(fails_with(s().find_mailbox_by_role(a.id, mailbox_role::none), errc::invalid));
}

TEST_P(store_suite, deliver_into_a_named_mailbox) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  auto projects = ok(s().create_mailbox(a.id, "Projects", mailbox_role::none));
  auto hash = ok(s().blobs().put("Subject: appended\r\n\r\nbody\r\n"));
  delivery d;
  d.blob = hash;
  d.targets.push_back(delivery_target{a.id, mailbox_role::none, 0, {}, projects.id});
  auto done = ok(s().deliver(d));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].mailbox_id, projects.id);
  EXPECT_EQ(ok(s().list_messages(projects.id)).size(), 1u);
  // Another account's mailbox id is not a target.
  d.targets = {delivery_target{b.id, mailbox_role::none, 0, {}, projects.id}};
  EXPECT_TRUE(fails_with(s().deliver(d), errc::not_found));
}

TEST_P(store_suite, subscriptions) {
  auto a = make_account("alice@example.com");
  EXPECT_TRUE(ok(s().find_mailbox(a.id, "Sent")).subscribed);  // default mailboxes start subscribed
  ok(s().set_subscribed(a.id, "Sent", false));
  EXPECT_FALSE(ok(s().find_mailbox(a.id, "Sent")).subscribed);
  ok(s().set_subscribed(a.id, "Sent", true));
  EXPECT_TRUE(ok(s().find_mailbox(a.id, "Sent")).subscribed);
  EXPECT_TRUE(fails_with(s().set_subscribed(a.id, "Nope", true), errc::not_found));
}

TEST_P(store_suite, account_lookups_are_case_insensitive) {
  auto a = make_account("Alice.Smith@example.com");
  EXPECT_EQ(ok(s().find_account("alice.smith@EXAMPLE.com")).id, a.id);
  EXPECT_EQ(ok(s().find_account("ALICE.SMITH@example.com")).address, "Alice.Smith@example.com");
  EXPECT_EQ(ok(s().get_account(a.id)).address, a.address);

  account dup;
  dup.address = "alice.smith@Example.com";
  EXPECT_TRUE(fails_with(s().add_account(dup), errc::exists));
}

TEST_P(store_suite, account_errors_and_updates) {
  account a;
  a.address = "bob@nowhere.net";
  EXPECT_TRUE(fails_with(s().add_account(a), errc::not_found));  // no such domain
  a.address = "no-at-sign";
  EXPECT_TRUE(fails_with(s().add_account(a), errc::invalid));
  EXPECT_TRUE(fails_with(s().find_account("ghost@example.com"), errc::not_found));
  EXPECT_TRUE(fails_with(s().get_account(999999), errc::not_found));

  ok(s().add_domain("example.com"));
  account full;
  full.address = "carol@example.com";
  full.display_name = "Carol Chen 陈";
  full.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$xxxx$yyyy";
  full.quota_bytes = 1024 * 1024;
  full.disabled = true;
  auto added = ok(s().add_account(full));
  auto found = ok(s().find_account("carol@example.com"));
  EXPECT_EQ(found.display_name, full.display_name);
  EXPECT_EQ(found.password_hash, full.password_hash);
  EXPECT_EQ(found.quota_bytes, full.quota_bytes);
  EXPECT_TRUE(found.disabled);
  EXPECT_EQ(found.id, added.id);

  ok(s().set_password_hash("CAROL@example.com", "new-hash"));
  EXPECT_EQ(ok(s().find_account("carol@example.com")).password_hash, "new-hash");
  EXPECT_TRUE(fails_with(s().set_password_hash("ghost@example.com", "x"), errc::not_found));
}

TEST_P(store_suite, list_accounts_by_domain) {
  make_account("b@one.org");
  make_account("a@one.org");
  make_account("c@two.org");
  auto one = ok(s().list_accounts("one.org"));
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].address, "a@one.org");
  EXPECT_EQ(one[1].address, "b@one.org");
  EXPECT_EQ(ok(s().list_accounts("")).size(), 3u);
  EXPECT_TRUE(ok(s().list_accounts("TWO.org")).size() == 1);
  EXPECT_TRUE(fails_with(s().list_accounts("three.org"), errc::not_found));
}

TEST_P(store_suite, remove_account_removes_mailboxes_messages_and_releases_blobs) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  auto shared = put("shared message");
  auto own = put("alice's own message");
  ok(s().deliver(delivery_of(shared, {{a.id, mailbox_role::inbox, 0, {}}, {b.id, mailbox_role::inbox, 0, {}}})));
  deliver_one(a.id, own);
  auto alice_inbox = inbox(a.id);

  ok(s().remove_account("ALICE@example.com"));
  EXPECT_TRUE(fails_with(s().find_account("alice@example.com"), errc::not_found));
  EXPECT_TRUE(fails_with(s().list_mailboxes(a.id), errc::not_found));
  EXPECT_TRUE(fails_with(s().list_messages(alice_inbox.id, 1), errc::not_found));
  EXPECT_TRUE(fails_with(s().changes_since(a.id, 0), errc::not_found));
  EXPECT_FALSE(s().blobs().contains(own)) << "alice's only reference is gone";
  EXPECT_TRUE(s().blobs().contains(shared)) << "bob still has it";
  EXPECT_EQ(ok(s().list_messages(inbox(b.id).id, 1)).size(), 1u);
  EXPECT_TRUE(fails_with(s().remove_account("alice@example.com"), errc::not_found));
}

// --- aliases ---

TEST_P(store_suite, aliases) {
  ok(s().add_domain("example.com"));
  ok(s().add_domain("other.org"));
  ok(s().set_alias(alias{"Sales@Example.com", {"alice@example.com", "bob@elsewhere.net"}}));
  ok(s().set_alias(alias{"info@example.com", {"sales@example.com"}}));
  ok(s().set_alias(alias{"x@other.org", {"y@other.org"}}));

  auto sales = ok(s().find_alias("sales@EXAMPLE.COM"));
  EXPECT_EQ(sales.address, "Sales@example.com");
  EXPECT_EQ(sales.targets, (std::vector<std::string>{"alice@example.com", "bob@elsewhere.net"}));

  // Replacing: exactly the new targets, in the order given.
  ok(s().set_alias(alias{"sales@example.com", {"carol@example.com", "alice@example.com"}}));
  EXPECT_EQ(ok(s().find_alias("sales@example.com")).targets,
            (std::vector<std::string>{"carol@example.com", "alice@example.com"}));

  auto listed = ok(s().list_aliases("example.com"));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].address, "info@example.com");
  EXPECT_EQ(listed[1].targets.size(), 2u);
  EXPECT_EQ(ok(s().list_aliases("")).size(), 3u);

  ok(s().remove_alias("INFO@example.com"));
  EXPECT_TRUE(fails_with(s().find_alias("info@example.com"), errc::not_found));
  EXPECT_TRUE(fails_with(s().remove_alias("info@example.com"), errc::not_found));
  EXPECT_TRUE(fails_with(s().set_alias(alias{"empty@example.com", {}}), errc::invalid));
  EXPECT_TRUE(fails_with(s().set_alias(alias{"a@nowhere.net", {"b@example.com"}}), errc::not_found));
}

// --- mailboxes ---

TEST_P(store_suite, create_mailbox) {
  auto a = make_account("alice@example.com");
  auto before = ok(s().list_mailboxes(a.id));
  auto m = ok(s().create_mailbox(a.id, "Projects", mailbox_role::none));
  EXPECT_GT(m.id, 0);
  EXPECT_EQ(m.account_id, a.id);
  EXPECT_EQ(m.name, "Projects");
  EXPECT_EQ(m.uidnext, 1u);
  EXPECT_NE(m.uidvalidity, 0u);
  for (const auto& other : before) EXPECT_NE(other.uidvalidity, m.uidvalidity);
  EXPECT_EQ(ok(s().find_mailbox(a.id, "Projects")).id, m.id);

  EXPECT_TRUE(fails_with(s().create_mailbox(a.id, "Projects", mailbox_role::none), errc::exists));
  EXPECT_TRUE(fails_with(s().create_mailbox(a.id, "inbox", mailbox_role::none), errc::exists));
  EXPECT_TRUE(fails_with(s().create_mailbox(a.id, "Other Sent", mailbox_role::sent), errc::exists))
      << "a role names one mailbox per account";
  EXPECT_TRUE(fails_with(s().create_mailbox(a.id, "", mailbox_role::none), errc::invalid));
  EXPECT_TRUE(fails_with(s().create_mailbox(a.id, "a//b", mailbox_role::none), errc::invalid));
  EXPECT_TRUE(fails_with(s().create_mailbox(999999, "X", mailbox_role::none), errc::not_found));
  EXPECT_TRUE(fails_with(s().find_mailbox(a.id, "Nope"), errc::not_found));

  // INBOX is case-insensitive (RFC 9051 §5.1); other names are not.
  EXPECT_EQ(ok(s().find_mailbox(a.id, "inbox")).role, mailbox_role::inbox);
  EXPECT_EQ(ok(s().find_mailbox(a.id, "InBoX")).name, "INBOX");
  EXPECT_TRUE(fails_with(s().find_mailbox(a.id, "projects"), errc::not_found));
}

TEST_P(store_suite, create_mailbox_creates_superiors) {
  auto a = make_account("alice@example.com");
  ok(s().create_mailbox(a.id, "Work/2024/Q1", mailbox_role::none));
  EXPECT_TRUE(s().find_mailbox(a.id, "Work").has_value());
  EXPECT_TRUE(s().find_mailbox(a.id, "Work/2024").has_value());
  EXPECT_TRUE(s().find_mailbox(a.id, "Work/2024/Q1").has_value());
  ok(s().create_mailbox(a.id, "Work/2025", mailbox_role::none));
  EXPECT_EQ(ok(s().list_mailboxes(a.id)).size(), 6u + 4u);
}

TEST_P(store_suite, rename_mailbox_takes_inferiors_along) {
  auto a = make_account("alice@example.com");
  auto parent = ok(s().create_mailbox(a.id, "a", mailbox_role::none));
  auto child = ok(s().create_mailbox(a.id, "a/b", mailbox_role::none));
  auto grandchild = ok(s().create_mailbox(a.id, "a/b/c", mailbox_role::none));
  auto lookalike = ok(s().create_mailbox(a.id, "ab", mailbox_role::none));
  auto d = deliver_one(a.id, put("hello"));
  ok(s().copy_messages(d.mailbox_id, {d.uid}, child.id));

  ok(s().rename_mailbox(a.id, "a", "x/y"));
  EXPECT_TRUE(fails_with(s().find_mailbox(a.id, "a"), errc::not_found));
  EXPECT_TRUE(fails_with(s().find_mailbox(a.id, "a/b"), errc::not_found));
  auto moved = ok(s().find_mailbox(a.id, "x/y"));
  EXPECT_EQ(moved.id, parent.id);
  EXPECT_EQ(moved.uidvalidity, parent.uidvalidity);
  EXPECT_EQ(ok(s().find_mailbox(a.id, "x/y/b")).id, child.id);
  EXPECT_EQ(ok(s().find_mailbox(a.id, "x/y/b/c")).id, grandchild.id);
  EXPECT_TRUE(s().find_mailbox(a.id, "x").has_value()) << "superior created (RFC 9051 §6.3.6)";
  EXPECT_EQ(ok(s().find_mailbox(a.id, "ab")).id, lookalike.id) << "\"ab\" is not an inferior of \"a\"";
  EXPECT_EQ(uids_of(child.id), std::vector<std::uint32_t>{1}) << "messages stay with their mailbox";

  EXPECT_TRUE(fails_with(s().rename_mailbox(a.id, "ab", "x/y"), errc::exists));
  EXPECT_TRUE(fails_with(s().rename_mailbox(a.id, "nope", "z"), errc::not_found));
  EXPECT_TRUE(fails_with(s().rename_mailbox(a.id, "ab", "ab/sub"), errc::invalid));

  // A role goes with the mailbox.
  ok(s().rename_mailbox(a.id, "Sent", "Sent Items"));
  EXPECT_EQ(ok(s().find_mailbox_by_role(a.id, mailbox_role::sent)).name, "Sent Items");
}

TEST_P(store_suite, rename_inbox_moves_messages_and_leaves_inbox_empty) {
  auto a = make_account("alice@example.com");
  auto before = inbox(a.id);
  ok(s().create_mailbox(a.id, "INBOX/Child", mailbox_role::none));
  auto b1 = put("first");
  auto b2 = put("second");
  deliver_one(a.id, b1);
  deliver_one(a.id, b2);
  ok(s().set_flags(before.id, 2, flag_seen, {"$Important"}));

  ok(s().rename_mailbox(a.id, "inbox", "Old Mail"));

  // RFC 9051 §6.3.6: INBOX stays, empty, same UIDVALIDITY; its inferiors are unaffected.
  auto after = inbox(a.id);
  EXPECT_EQ(after.id, before.id);
  EXPECT_EQ(after.name, "INBOX");
  EXPECT_EQ(after.uidvalidity, before.uidvalidity);
  EXPECT_EQ(after.messages, 0u);
  EXPECT_EQ(after.uidnext, 3u) << "UIDs 1 and 2 are never reused";
  EXPECT_TRUE(ok(s().list_messages(after.id, 1)).empty());
  EXPECT_TRUE(s().find_mailbox(a.id, "INBOX/Child").has_value());

  auto old = ok(s().find_mailbox(a.id, "Old Mail"));
  EXPECT_EQ(old.role, mailbox_role::none);
  EXPECT_EQ(old.messages, 2u);
  EXPECT_EQ(old.uidnext, 3u);
  auto moved = ok(s().list_messages(old.id, 1));
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].blob, b1);
  EXPECT_EQ(moved[1].blob, b2);
  EXPECT_EQ(moved[1].flags, flag_seen);
  EXPECT_EQ(moved[1].keywords, std::vector<std::string>{"$Important"});
  EXPECT_EQ(moved[0].mailbox_id, old.id);

  auto next = deliver_one(a.id, put("third"));
  EXPECT_EQ(next.mailbox_id, before.id);
  EXPECT_EQ(next.uid, 3u);
}

TEST_P(store_suite, delete_mailbox) {
  auto a = make_account("alice@example.com");
  auto box = ok(s().create_mailbox(a.id, "Old", mailbox_role::none));
  auto only_here = put("only in Old");
  auto d = deliver_one(a.id, only_here);
  ok(s().copy_messages(d.mailbox_id, {d.uid}, box.id));
  ok(s().expunge(d.mailbox_id, {d.uid}));
  ASSERT_TRUE(s().blobs().contains(only_here));

  ok(s().delete_mailbox(a.id, "Old"));
  EXPECT_TRUE(fails_with(s().find_mailbox(a.id, "Old"), errc::not_found));
  EXPECT_FALSE(s().blobs().contains(only_here)) << "its last reference went with the mailbox";
  EXPECT_TRUE(fails_with(s().delete_mailbox(a.id, "Old"), errc::not_found));
  EXPECT_TRUE(fails_with(s().delete_mailbox(a.id, "INBOX"), errc::denied));

  // The same name again is a new mailbox: new UIDVALIDITY (RFC 9051 §2.3.1.1).
  auto again = ok(s().create_mailbox(a.id, "Old", mailbox_role::none));
  EXPECT_NE(again.uidvalidity, box.uidvalidity);
  EXPECT_NE(again.id, box.id);
}

// --- messages ---

TEST_P(store_suite, deliver_to_several_accounts_shares_one_blob) {
  auto a = make_account("a@example.com");
  auto b = make_account("b@example.com");
  auto c = make_account("c@example.com");
  const std::string bytes = "Subject: all hands\r\n\r\nHello everyone\r\n";
  auto blob = put(bytes);
  EXPECT_EQ(blob.size(), 64u);

  auto out = ok(s().deliver(delivery_of(
      blob, {{a.id, mailbox_role::inbox, 0, {}}, {b.id, mailbox_role::inbox, 0, {}}, {c.id, mailbox_role::inbox, 0, {}}})));
  ASSERT_EQ(out.size(), 3u);
  for (const auto& [d, acc] : {std::pair{out[0], a}, std::pair{out[1], b}, std::pair{out[2], c}}) {
    EXPECT_EQ(d.account_id, acc.id);
    EXPECT_EQ(d.mailbox_id, inbox(acc.id).id);
    EXPECT_EQ(d.uid, 1u);
    EXPECT_GT(d.modseq, 0u);
    auto m = ok(s().get_message(d.mailbox_id, d.uid));
    EXPECT_EQ(m.blob, blob);
    EXPECT_EQ(m.size, bytes.size());
    EXPECT_EQ(m.internal_date, 1700000000);
    EXPECT_EQ(m.account_id, acc.id);
  }
  EXPECT_EQ(ok(s().blobs().get(blob)), bytes);

  // The count equals the references: the blob goes with the last of them.
  ok(s().expunge(out[0].mailbox_id, {out[0].uid}));
  EXPECT_TRUE(s().blobs().contains(blob));
  ok(s().expunge(out[1].mailbox_id, {out[1].uid}));
  EXPECT_TRUE(s().blobs().contains(blob));
  ok(s().expunge(out[2].mailbox_id, {out[2].uid}));
  EXPECT_FALSE(s().blobs().contains(blob));

  // Content-addressed: the same bytes get the same name again.
  EXPECT_EQ(put(bytes), blob);
  EXPECT_EQ(ok(s().blobs().get(blob)), bytes);
}

TEST_P(store_suite, deliver_by_role_with_flags_and_keywords) {
  auto a = make_account("a@example.com");
  auto blob = put("spam spam spam");
  auto out = ok(s().deliver(
      delivery_of(blob, {{a.id, mailbox_role::junk, flag_seen | flag_flagged, {"$Junk", "$Phishing", "$Junk"}}})));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].mailbox_id, ok(s().find_mailbox_by_role(a.id, mailbox_role::junk)).id);
  auto m = ok(s().get_message(out[0].mailbox_id, out[0].uid));
  EXPECT_EQ(m.flags, flag_seen | flag_flagged);
  EXPECT_EQ(m.keywords, (std::vector<std::string>{"$Junk", "$Phishing"}));
  EXPECT_EQ(m.modseq, out[0].modseq);
}

TEST_P(store_suite, deliver_errors_and_atomicity) {
  auto a = make_account("a@example.com");
  auto blob = put("message");
  EXPECT_TRUE(fails_with(s().deliver(delivery_of(blob, {})), errc::invalid));
  EXPECT_TRUE(fails_with(s().deliver(delivery_of(std::string(64, 'a'), {{a.id, mailbox_role::inbox, 0, {}}})),
                         errc::not_found))
      << "a blob that was never put";
  EXPECT_TRUE(fails_with(s().deliver(delivery_of("../../etc/passwd", {{a.id, mailbox_role::inbox, 0, {}}})),
                         errc::invalid));
  EXPECT_TRUE(fails_with(s().deliver(delivery_of(blob, {{a.id, mailbox_role::inbox, 0, {"bad keyword"}}})),
                         errc::invalid));

  // All targets or none: the second target does not exist, so the first gets nothing.
  auto before = ok(s().highest_modseq(a.id));
  EXPECT_TRUE(fails_with(
      s().deliver(delivery_of(blob, {{a.id, mailbox_role::inbox, 0, {}}, {999999, mailbox_role::inbox, 0, {}}})),
      errc::not_found));
  auto box = inbox(a.id);
  EXPECT_EQ(box.messages, 0u);
  EXPECT_EQ(box.uidnext, 1u);
  EXPECT_EQ(ok(s().highest_modseq(a.id)), before);
  EXPECT_TRUE(ok(s().changes_since(a.id, before)).empty());

  // The size, when given, must be the blob's.
  auto sized = delivery_of(blob, {{a.id, mailbox_role::inbox, 0, {}}});
  sized.size = 3;
  EXPECT_TRUE(fails_with(s().deliver(sized), errc::invalid));
  sized.size = std::string("message").size();
  EXPECT_EQ(ok(s().deliver(sized)).size(), 1u);

  // A mailbox with the role must exist.
  ok(s().rename_mailbox(a.id, "Archive", "Old Archive"));
  ok(s().delete_mailbox(a.id, "Old Archive"));
  EXPECT_TRUE(fails_with(s().deliver(delivery_of(blob, {{a.id, mailbox_role::archive, 0, {}}})), errc::not_found));
}

TEST_P(store_suite, uids_and_modseqs_increase) {
  auto a = make_account("a@example.com");
  std::uint64_t last_modseq = ok(s().highest_modseq(a.id));
  std::uint64_t total = 0;
  for (std::uint32_t i = 1; i <= 5; ++i) {
    std::string bytes = "message " + std::to_string(i);
    total += bytes.size();
    auto d = deliver_one(a.id, put(bytes));
    EXPECT_EQ(d.uid, i);
    EXPECT_GT(d.modseq, last_modseq);
    last_modseq = d.modseq;
  }
  auto box = inbox(a.id);
  EXPECT_EQ(box.uidnext, 6u);
  EXPECT_EQ(box.messages, 5u);
  EXPECT_EQ(box.size, total);
  EXPECT_EQ(box.highest_modseq, last_modseq);
  EXPECT_EQ(ok(s().highest_modseq(a.id)), last_modseq);
  EXPECT_EQ(uids_of(box.id), (std::vector<std::uint32_t>{1, 2, 3, 4, 5}));

  // Expunged UIDs are never reused.
  ok(s().expunge(box.id, {4, 5}));
  EXPECT_EQ(deliver_one(a.id, put("message 6")).uid, 6u);

  auto from3 = ok(s().list_messages(box.id, 3));
  ASSERT_EQ(from3.size(), 2u);
  EXPECT_EQ(from3[0].uid, 3u);
  EXPECT_EQ(from3[1].uid, 6u);
  EXPECT_TRUE(fails_with(s().list_messages(999999, 1), errc::not_found));
}

TEST_P(store_suite, set_flags) {
  auto a = make_account("a@example.com");
  auto d = deliver_one(a.id, put("flag me"));
  auto modseq = ok(s().set_flags(d.mailbox_id, d.uid, flag_seen | flag_answered, {"$Forwarded", "work"}));
  EXPECT_GT(modseq, d.modseq);
  auto m = ok(s().get_message(d.mailbox_id, d.uid));
  EXPECT_EQ(m.flags, flag_seen | flag_answered);
  EXPECT_EQ(m.keywords, (std::vector<std::string>{"$Forwarded", "work"}));
  EXPECT_EQ(m.modseq, modseq);
  EXPECT_EQ(inbox(a.id).highest_modseq, modseq);

  // Exactly these: keywords not named are dropped.
  auto modseq2 = ok(s().set_flags(d.mailbox_id, d.uid, 0, {}));
  EXPECT_GT(modseq2, modseq);
  m = ok(s().get_message(d.mailbox_id, d.uid));
  EXPECT_EQ(m.flags, 0u);
  EXPECT_TRUE(m.keywords.empty());

  auto changes = ok(s().changes_since(a.id, d.modseq));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, change_kind::message_flags);
  EXPECT_EQ(changes[0].uid, d.uid);
  EXPECT_EQ(changes[0].modseq, modseq);

  EXPECT_TRUE(fails_with(s().set_flags(d.mailbox_id, 99, flag_seen, {}), errc::not_found));
  EXPECT_TRUE(fails_with(s().get_message(d.mailbox_id, 99), errc::not_found));
  EXPECT_TRUE(fails_with(s().set_flags(d.mailbox_id, d.uid, 0, {"two words"}), errc::invalid));
  EXPECT_TRUE(fails_with(s().set_flags(d.mailbox_id, d.uid, 1u << 20, {}), errc::invalid));
  EXPECT_EQ(ok(s().highest_modseq(a.id)), modseq2) << "failed calls change nothing";
}

TEST_P(store_suite, expunge_logs_each_uid_and_frees_blobs) {
  auto a = make_account("a@example.com");
  auto kept = put("kept");
  auto gone = put("gone");
  auto d1 = deliver_one(a.id, gone);
  auto d2 = deliver_one(a.id, kept);
  auto d3 = deliver_one(a.id, gone);
  auto mark = d3.modseq;

  ok(s().expunge(d1.mailbox_id, {d3.uid, d1.uid, 42}));  // 42 never existed: ignored
  EXPECT_FALSE(s().blobs().contains(gone));
  EXPECT_TRUE(s().blobs().contains(kept));
  auto box = inbox(a.id);
  EXPECT_EQ(box.messages, 1u);
  EXPECT_EQ(box.size, std::string("kept").size());
  EXPECT_EQ(uids_of(box.id), std::vector<std::uint32_t>{d2.uid});

  auto changes = ok(s().changes_since(a.id, mark));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, change_kind::message_expunged);
  EXPECT_EQ(changes[0].uid, d1.uid);
  EXPECT_EQ(changes[1].kind, change_kind::message_expunged);
  EXPECT_EQ(changes[1].uid, d3.uid);
  EXPECT_LT(changes[0].modseq, changes[1].modseq);
  EXPECT_EQ(box.highest_modseq, changes[1].modseq);

  ok(s().expunge(box.id, {}));
  ok(s().expunge(box.id, {999}));
  EXPECT_TRUE(ok(s().changes_since(a.id, changes[1].modseq)).empty()) << "nothing expunged, nothing logged";
  EXPECT_TRUE(fails_with(s().expunge(999999, {1}), errc::not_found));
}

TEST_P(store_suite, copy_messages) {
  auto a = make_account("a@example.com");
  auto b = make_account("b@example.com");
  auto b1 = put("one");
  auto b2 = put("two");
  auto d1 = deliver_one(a.id, b1);
  auto d2 = deliver_one(a.id, b2);
  ok(s().set_flags(d2.mailbox_id, d2.uid, flag_flagged, {"project"}));
  auto archive = ok(s().find_mailbox_by_role(a.id, mailbox_role::archive));
  auto mark = ok(s().highest_modseq(a.id));

  auto uids = ok(s().copy_messages(d1.mailbox_id, {d2.uid, d1.uid}, archive.id));
  EXPECT_EQ(uids, (std::vector<std::uint32_t>{1, 2}));
  auto first = ok(s().get_message(archive.id, 1));
  EXPECT_EQ(first.blob, b2);
  EXPECT_EQ(first.flags, flag_flagged);
  EXPECT_EQ(first.keywords, std::vector<std::string>{"project"});
  EXPECT_EQ(first.internal_date, 1700000000);
  EXPECT_EQ(first.mailbox_id, archive.id);
  EXPECT_EQ(ok(s().get_message(archive.id, 2)).blob, b1);
  auto box = ok(s().find_mailbox(a.id, "Archive"));
  EXPECT_EQ(box.messages, 2u);
  EXPECT_EQ(box.uidnext, 3u);

  auto changes = ok(s().changes_since(a.id, mark));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, change_kind::message_added);
  EXPECT_EQ(changes[0].mailbox_id, archive.id);
  EXPECT_EQ(changes[0].uid, 1u);
  EXPECT_EQ(changes[1].uid, 2u);

  // Copies hold their own references.
  ok(s().expunge(d1.mailbox_id, {d1.uid, d2.uid}));
  EXPECT_TRUE(s().blobs().contains(b1));
  EXPECT_TRUE(s().blobs().contains(b2));
  ok(s().expunge(archive.id, {1, 2}));
  EXPECT_FALSE(s().blobs().contains(b1));
  EXPECT_FALSE(s().blobs().contains(b2));

  // Into the same mailbox, then the errors.
  auto d3 = deliver_one(a.id, put("three"));
  EXPECT_EQ(ok(s().copy_messages(d3.mailbox_id, {d3.uid}, d3.mailbox_id)), std::vector<std::uint32_t>{d3.uid + 1});
  EXPECT_TRUE(fails_with(s().copy_messages(d3.mailbox_id, {d3.uid, 77}, archive.id), errc::not_found));
  EXPECT_EQ(ok(s().find_mailbox(a.id, "Archive")).messages, 0u) << "all or nothing";
  EXPECT_TRUE(fails_with(s().copy_messages(d3.mailbox_id, {d3.uid}, inbox(b.id).id), errc::invalid));
  EXPECT_TRUE(ok(s().copy_messages(d3.mailbox_id, {}, archive.id)).empty());
}

TEST_P(store_suite, changes_since_lists_every_change_in_order) {
  auto a = make_account("a@example.com");
  auto start = ok(s().highest_modseq(a.id));
  EXPECT_GT(start, 0u) << "creating the default mailboxes is logged";
  auto initial = ok(s().changes_since(a.id, 0));
  EXPECT_EQ(initial.size(), 6u);
  for (const auto& c : initial) EXPECT_EQ(c.kind, change_kind::mailbox_created);

  auto box = ok(s().create_mailbox(a.id, "Lists", mailbox_role::none));
  auto d = deliver_one(a.id, put("m"));
  ok(s().set_flags(d.mailbox_id, d.uid, flag_seen, {}));
  ok(s().rename_mailbox(a.id, "Lists", "Mailing Lists"));
  ok(s().expunge(d.mailbox_id, {d.uid}));
  ok(s().delete_mailbox(a.id, "Mailing Lists"));

  auto changes = ok(s().changes_since(a.id, start));
  std::vector<change_kind> kinds;
  for (const auto& c : changes) kinds.push_back(c.kind);
  EXPECT_EQ(kinds, (std::vector<change_kind>{change_kind::mailbox_created, change_kind::message_added,
                                             change_kind::message_flags, change_kind::mailbox_renamed,
                                             change_kind::message_expunged, change_kind::mailbox_deleted}));
  for (std::size_t i = 1; i < changes.size(); ++i) EXPECT_LT(changes[i - 1].modseq, changes[i].modseq);
  EXPECT_EQ(changes[0].mailbox_id, box.id);
  EXPECT_EQ(changes[3].mailbox_id, box.id);
  EXPECT_EQ(changes[5].mailbox_id, box.id);
  EXPECT_EQ(changes[1].uid, d.uid);
  EXPECT_GT(changes[1].time, 0);
  EXPECT_EQ(changes.back().modseq, ok(s().highest_modseq(a.id)));

  EXPECT_TRUE(ok(s().changes_since(a.id, changes.back().modseq)).empty());
  auto tail = ok(s().changes_since(a.id, changes[3].modseq));
  EXPECT_EQ(tail.size(), 2u);
  EXPECT_TRUE(fails_with(s().changes_since(999999, 0), errc::not_found));
  EXPECT_TRUE(fails_with(s().highest_modseq(999999), errc::not_found));
}

TEST_P(store_suite, modseqs_are_per_account) {
  auto a = make_account("a@example.com");
  auto b = make_account("b@example.com");
  auto blob = put("both");
  auto out = ok(s().deliver(delivery_of(blob, {{a.id, mailbox_role::inbox, 0, {}}, {b.id, mailbox_role::inbox, 0, {}}})));
  EXPECT_EQ(ok(s().highest_modseq(a.id)), out[0].modseq);
  EXPECT_EQ(ok(s().highest_modseq(b.id)), out[1].modseq);
  ok(s().set_flags(out[0].mailbox_id, out[0].uid, flag_seen, {}));
  EXPECT_EQ(ok(s().highest_modseq(b.id)), out[1].modseq) << "a change to a does not touch b's log";
}

// --- queue ---

TEST_P(store_suite, queue_roundtrip) {
  auto blob = put("From: a@example.com\r\n\r\nout we go\r\n");
  queue_entry e;
  e.blob = blob;
  e.mail_from = "a@example.com";
  e.dsn_ret = "HDRS";
  e.dsn_envid = "env-1";
  e.auth_account = "a@example.com";
  e.created = 1700000000;
  e.next_attempt = 1700000060;
  e.recipients.push_back(queue_recipient{"x@remote.org", "SUCCESS,FAILURE", "rfc822;x@remote.org",
                                         queue_recipient::state::pending, "", "", false});
  e.recipients.push_back(queue_recipient{"y@remote.org", "", "", queue_recipient::state::failed, "550 5.1.1 no", "", false});
  auto id = ok(s().enqueue(e));
  EXPECT_GT(id, 0);

  queue_entry bounce;
  bounce.blob = blob;
  bounce.created = 1700000000;
  bounce.next_attempt = 1700000001;
  bounce.recipients.push_back(queue_recipient{"a@example.com", "", "", queue_recipient::state::pending, "", "", false});
  auto bounce_id = ok(s().enqueue(bounce));

  auto got = ok(s().get_queue_entry(id));
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.blob, blob);
  EXPECT_EQ(got.size, std::string("From: a@example.com\r\n\r\nout we go\r\n").size());
  EXPECT_EQ(got.mail_from, "a@example.com");
  EXPECT_EQ(got.dsn_ret, "HDRS");
  EXPECT_EQ(got.dsn_envid, "env-1");
  EXPECT_EQ(got.auth_account, "a@example.com");
  EXPECT_EQ(got.created, 1700000000);
  EXPECT_EQ(got.next_attempt, 1700000060);
  EXPECT_EQ(got.attempts, 0u);
  EXPECT_FALSE(got.held);
  ASSERT_EQ(got.recipients.size(), 2u);
  EXPECT_EQ(got.recipients[0].address, "x@remote.org");
  EXPECT_EQ(got.recipients[0].dsn_notify, "SUCCESS,FAILURE");
  EXPECT_EQ(got.recipients[0].dsn_orcpt, "rfc822;x@remote.org");
  EXPECT_EQ(got.recipients[0].status, queue_recipient::state::pending);
  EXPECT_EQ(got.recipients[1].status, queue_recipient::state::failed);
  EXPECT_EQ(got.recipients[1].last_reply, "550 5.1.1 no");

  auto all = ok(s().list_queue());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, bounce_id) << "soonest next attempt first";
  EXPECT_EQ(all[0].mail_from, "") << "the null sender <>";
  EXPECT_EQ(all[1].id, id);
  EXPECT_EQ(all[1].recipients.size(), 2u);

  ok(s().remove_queue_entry(id));
  EXPECT_TRUE(s().blobs().contains(blob)) << "the bounce still refers to it";
  ok(s().remove_queue_entry(bounce_id));
  EXPECT_FALSE(s().blobs().contains(blob));
  EXPECT_TRUE(ok(s().list_queue()).empty());
  EXPECT_TRUE(fails_with(s().get_queue_entry(id), errc::not_found));
  EXPECT_TRUE(fails_with(s().remove_queue_entry(id), errc::not_found));

  queue_entry bad = e;
  bad.blob = std::string(64, 'b');
  EXPECT_TRUE(fails_with(s().enqueue(bad), errc::not_found));
  bad = e;
  bad.recipients.clear();
  EXPECT_TRUE(fails_with(s().enqueue(bad), errc::invalid));
}

TEST_P(store_suite, queue_and_mailboxes_share_blob_counts) {
  auto a = make_account("a@example.com");
  auto blob = put("sent to a local and a remote recipient");
  auto d = deliver_one(a.id, blob);
  queue_entry e;
  e.blob = blob;
  e.mail_from = "a@example.com";
  e.recipients.push_back(queue_recipient{"r@remote.org", "", "", queue_recipient::state::pending, "", "", false});
  auto id = ok(s().enqueue(e));
  EXPECT_GT(ok(s().get_queue_entry(id)).created, 0) << "created defaults to now";
  ok(s().expunge(d.mailbox_id, {d.uid}));
  EXPECT_TRUE(s().blobs().contains(blob));
  ok(s().remove_queue_entry(id));
  EXPECT_FALSE(s().blobs().contains(blob));
}

// --- audit ---

TEST_P(store_suite, audit_log_newest_first) {
  ok(s().audit("cli", "domain.add", "example.com"));
  ok(s().audit("admin@example.com", "user.add", "alice@example.com"));
  ok(s().audit("cli", "user.passwd", "alice@example.com"));
  auto two = ok(s().list_audit(2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].action, "user.passwd");
  EXPECT_EQ(two[1].action, "user.add");
  EXPECT_EQ(two[1].actor, "admin@example.com");
  EXPECT_EQ(two[1].detail, "alice@example.com");
  EXPECT_GT(two[0].time, 0);
  EXPECT_GT(two[0].id, two[1].id);
  EXPECT_EQ(ok(s().list_audit(100)).size(), 3u);
  EXPECT_TRUE(ok(s().list_audit(0)).empty());
}

// --- concurrency ---

TEST_P(store_suite, concurrent_deliveries_get_dense_distinct_uids) {
  constexpr int threads = 8;
  constexpr int per_thread = 200;
  constexpr int accounts = 4;
  std::vector<account> accts;
  for (int i = 0; i < accounts; ++i) accts.push_back(make_account("user" + std::to_string(i) + "@example.com"));

  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        // Each thread puts its bytes every time: concurrent puts of the same blob too.
        auto blob = s().blobs().put("message body of thread " + std::to_string(t % 3));
        if (!blob) {
          ++failures;
          continue;
        }
        // Every delivery goes to two accounts, so targets interleave across threads.
        auto first = accts[static_cast<std::size_t>((t + i) % accounts)].id;
        auto second = accts[static_cast<std::size_t>((t + i + 1) % accounts)].id;
        auto r = s().deliver(delivery_of(*blob, {{first, mailbox_role::inbox, 0, {}}, {second, mailbox_role::inbox, 0, {}}}));
        if (!r || r->size() != 2) ++failures;
      }
    });
  }
  // A reader alongside: reads must work (and not block) while writes go on.
  std::thread reader([&] {
    while (!writers_done) {
      if (!s().list_mailboxes(accts[0].id)) ++failures;
    }
  });
  for (auto& th : pool) th.join();
  writers_done = true;
  reader.join();
  EXPECT_EQ(failures.load(), 0);

  std::size_t total = 0;
  for (const auto& a : accts) {
    auto box = inbox(a.id);
    auto uids = uids_of(box.id);
    total += uids.size();
    std::vector<std::uint32_t> dense(uids.size());
    for (std::size_t i = 0; i < dense.size(); ++i) dense[i] = static_cast<std::uint32_t>(i + 1);
    EXPECT_EQ(uids, dense) << a.address;
    EXPECT_EQ(box.messages, uids.size());
    EXPECT_EQ(box.uidnext, uids.size() + 1);
    auto changes = ok(s().changes_since(a.id, 0));
    EXPECT_EQ(changes.size(), 6u + uids.size());
    for (std::size_t i = 1; i < changes.size(); ++i) ASSERT_LT(changes[i - 1].modseq, changes[i].modseq);
  }
  EXPECT_EQ(total, static_cast<std::size_t>(threads * per_thread * 2));
}

TEST_P(store_suite, concurrent_conflicting_writes_fail_alone) {
  auto a = make_account("a@example.com");
  constexpr int threads = 8;
  std::atomic<int> created{0};
  std::atomic<int> existed{0};
  std::atomic<int> other{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      // Everyone races for "Shared"; each also creates its own, which must succeed
      // whatever happens to the others in the same commit group.
      auto r = s().create_mailbox(a.id, "Shared", mailbox_role::none);
      if (r) {
        ++created;
      } else if (r.error().code == errc::exists) {
        ++existed;
      } else {
        ++other;
      }
      if (!s().create_mailbox(a.id, "Own " + std::to_string(t), mailbox_role::none)) ++other;
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(existed.load(), threads - 1);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok(s().list_mailboxes(a.id)).size(), 6u + 1u + threads);
}

// --- durability ---

TEST_P(store_suite, everything_is_there_after_reopen) {
  auto a = make_account("alice@example.com");
  ok(s().set_catch_all("example.com", "alice@example.com"));
  ok(s().set_alias(alias{"team@example.com", {"alice@example.com", "bob@other.org"}}));
  ok(s().set_password_hash("alice@example.com", "hash-1"));
  auto box = ok(s().create_mailbox(a.id, "Projects/Letterhead", mailbox_role::none));
  auto blob = put("durable bytes");
  auto d = deliver_one(a.id, blob);
  ok(s().set_flags(d.mailbox_id, d.uid, flag_seen, {"kept"}));
  ok(s().copy_messages(d.mailbox_id, {d.uid}, box.id));
  queue_entry e;
  e.blob = blob;
  e.mail_from = "alice@example.com";
  e.recipients.push_back(queue_recipient{"r@remote.org", "", "", queue_recipient::state::pending, "", "", false});
  auto qid = ok(s().enqueue(e));
  ok(s().audit("cli", "user.add", "alice@example.com"));
  auto modseq = ok(s().highest_modseq(a.id));
  auto mailboxes = ok(s().list_mailboxes(a.id));
  auto changes = ok(s().changes_since(a.id, 0));

  reopen();

  EXPECT_EQ(ok(s().find_domain("example.com")).catch_all, std::optional<std::string>("alice@example.com"));
  EXPECT_EQ(ok(s().find_account("alice@example.com")).password_hash, "hash-1");
  EXPECT_EQ(ok(s().find_alias("team@example.com")).targets.size(), 2u);
  auto reopened = ok(s().list_mailboxes(a.id));
  ASSERT_EQ(reopened.size(), mailboxes.size());
  for (std::size_t i = 0; i < reopened.size(); ++i) {
    EXPECT_EQ(reopened[i].id, mailboxes[i].id);
    EXPECT_EQ(reopened[i].name, mailboxes[i].name);
    EXPECT_EQ(reopened[i].uidvalidity, mailboxes[i].uidvalidity);
    EXPECT_EQ(reopened[i].uidnext, mailboxes[i].uidnext);
    EXPECT_EQ(reopened[i].highest_modseq, mailboxes[i].highest_modseq);
    EXPECT_EQ(reopened[i].messages, mailboxes[i].messages);
  }
  auto m = ok(s().get_message(d.mailbox_id, d.uid));
  EXPECT_EQ(m.flags, flag_seen);
  EXPECT_EQ(m.keywords, std::vector<std::string>{"kept"});
  EXPECT_EQ(ok(s().blobs().get(m.blob)), "durable bytes");
  EXPECT_EQ(uids_of(box.id), std::vector<std::uint32_t>{1});
  EXPECT_EQ(ok(s().highest_modseq(a.id)), modseq);
  EXPECT_EQ(ok(s().changes_since(a.id, 0)).size(), changes.size());
  EXPECT_EQ(ok(s().get_queue_entry(qid)).recipients.size(), 1u);
  EXPECT_EQ(ok(s().list_audit(10)).size(), 1u);

  // Counters carry on where they were: no UID, MODSEQ or UIDVALIDITY is reused.
  auto next = deliver_one(a.id, put("after reopen"));
  EXPECT_EQ(next.uid, d.uid + 1);
  EXPECT_GT(next.modseq, modseq);
  auto fresh = ok(s().create_mailbox(a.id, "New", mailbox_role::none));
  for (const auto& old : mailboxes) EXPECT_NE(fresh.uidvalidity, old.uidvalidity);

  // And the counts: removing the last references frees the blob, as before.
  ok(s().expunge(d.mailbox_id, {d.uid}));
  ok(s().expunge(box.id, {1}));
  EXPECT_TRUE(s().blobs().contains(blob));
  ok(s().remove_queue_entry(qid));
  EXPECT_FALSE(s().blobs().contains(blob));
}

INSTANTIATE_TEST_SUITE_P(backends, store_suite, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<backend>& info) { return info.param.name; });

}  // namespace
}  // namespace letterhead::store
