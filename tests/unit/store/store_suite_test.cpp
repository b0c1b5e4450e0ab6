// The backend-independent Store suite: written against store::store only, run against
// every backend in backends(). A new backend passes this file unchanged; nothing here
// may know SQL, files or a particular backend. Each test has its own data directory.

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "pg_server.hpp"
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

// A database with the schema in place, made once: each test's database is a copy
// (CREATE DATABASE ... TEMPLATE), which costs far less than running every schema
// script again for each of the cases of two PostgreSQL backends.
std::string migrated_template() {
  static const std::string name = [] {
    auto& server = testing::pg_server::instance();
    auto db = server.create_database();
    testing::temp_dir dir;
    store_options o;
    o.backend = "postgres";
    o.url = server.conninfo(db);
    o.data_dir = dir.path().string();
    ok(open(o));  // migrates, and closes every connection again
    return db;
  }();
  return name;
}

// PostgreSQL: a real server (pg_server.hpp); each data_dir gets a fresh database,
// made on the first open of that directory and reused when a test reopens it.
// "postgres_db_blobs" is the same server with [store] blobs = "database".
backend postgres_backend(std::string name, std::string blobs) {
  return {std::move(name), [blobs](const std::filesystem::path& dir) {
            static std::mutex mutex;
            static std::map<std::filesystem::path, std::string> databases;
            auto& server = testing::pg_server::instance();
            store_options o;
            o.backend = "postgres";
            o.blobs = blobs;
            o.data_dir = dir.string();
            {
              std::lock_guard lock(mutex);
              auto [it, fresh] = databases.try_emplace(dir);
              if (fresh) it->second = server.create_database(migrated_template());
              o.url = server.conninfo(it->second);
            }
            return open(o);
          }};
}

std::vector<backend> backends() {
  return {
      {"sqlite",
       [](const std::filesystem::path& dir) {
         store_options o;
         o.backend = "sqlite";
         o.data_dir = dir.string();
         return open(o);
       }},
      postgres_backend("postgres", "directory"),
      postgres_backend("postgres_db_blobs", "database"),
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

  // `n` copies of one blob in the account's INBOX; their UIDs.
  std::vector<std::uint32_t> deliver_copies(id_t account_id, const std::string& blob, int n) {
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < n; ++i) uids.push_back(deliver_one(account_id, blob).uid);
    return uids;
  }

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

flag_change flag_op_of(flag_op op, std::uint32_t flags, std::vector<std::string> keywords = {}) {
  flag_change c;
  c.op = op;
  c.flags = flags;
  c.keywords = std::move(keywords);
  return c;
}

TEST_P(store_suite, update_flags_adds_removes_and_replaces_from_stored_flags) {
  auto a = make_account("a@example.com");
  auto d1 = deliver_one(a.id, put("one"));
  auto d2 = deliver_one(a.id, put("two"));
  ok(s().set_flags(d2.mailbox_id, d2.uid, flag_answered, {"old"}));
  const auto box = d1.mailbox_id;
  auto mark = ok(s().highest_modseq(a.id));

  // +FLAGS: UIDs in any order, repeated, or not in the mailbox (42: skipped).
  const std::vector<std::uint32_t> both{d2.uid, 42, d1.uid, d2.uid};
  auto r = ok(s().update_flags(box, both, flag_op_of(flag_op::add, flag_seen, {"new", "old"})));
  EXPECT_TRUE(r.modified.empty());
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].uid, d1.uid);
  EXPECT_TRUE(r.messages[0].changed);
  EXPECT_EQ(r.messages[0].flags, flag_seen);
  EXPECT_EQ(r.messages[0].keywords, (std::vector<std::string>{"new", "old"}));
  EXPECT_EQ(r.messages[1].uid, d2.uid);
  EXPECT_EQ(r.messages[1].flags, flag_seen | flag_answered) << "added to what was stored";
  EXPECT_EQ(r.messages[1].keywords, (std::vector<std::string>{"old", "new"}));
  EXPECT_EQ(r.messages[0].modseq, mark + 1);
  EXPECT_EQ(r.messages[1].modseq, mark + 2);
  auto m2 = ok(s().get_message(box, d2.uid));
  EXPECT_EQ(m2.flags, flag_seen | flag_answered);
  EXPECT_EQ(m2.keywords, (std::vector<std::string>{"old", "new"}));
  EXPECT_EQ(m2.modseq, mark + 2);
  EXPECT_EQ(inbox(a.id).highest_modseq, mark + 2);
  auto changes = ok(s().changes_since(a.id, mark));
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].kind, change_kind::message_flags);
  EXPECT_EQ(changes[0].uid, d1.uid);
  EXPECT_EQ(changes[1].uid, d2.uid);

  // The same again changes nothing: no MODSEQ, no change-log row; the stored flags come back.
  mark = ok(s().highest_modseq(a.id));
  r = ok(s().update_flags(box, both, flag_op_of(flag_op::add, flag_seen, {"new"})));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_FALSE(r.messages[0].changed);
  EXPECT_FALSE(r.messages[1].changed);
  EXPECT_EQ(r.messages[1].flags, flag_seen | flag_answered);
  EXPECT_EQ(r.messages[1].modseq, mark);
  EXPECT_EQ(ok(s().highest_modseq(a.id)), mark);
  EXPECT_TRUE(ok(s().changes_since(a.id, mark)).empty());

  // -FLAGS of what one of them lacks changes only the other.
  const std::vector<std::uint32_t> one{d1.uid};
  r = ok(s().update_flags(box, both, flag_op_of(flag_op::remove, flag_answered, {"old", "absent"})));
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_TRUE(r.messages[0].changed) << "\"old\" went";
  EXPECT_EQ(r.messages[0].flags, flag_seen);
  EXPECT_EQ(r.messages[0].keywords, std::vector<std::string>{"new"});
  EXPECT_TRUE(r.messages[1].changed);
  EXPECT_EQ(r.messages[1].flags, flag_seen);
  EXPECT_EQ(r.messages[1].keywords, std::vector<std::string>{"new"});
  EXPECT_EQ(ok(s().changes_since(a.id, mark)).size(), 2u);

  // FLAGS replaces only the flags of set_mask, and the keywords only with set_keywords.
  mark = ok(s().highest_modseq(a.id));
  auto replace = flag_op_of(flag_op::set, flag_flagged, {"x"});
  replace.set_mask = flag_flagged | flag_draft;
  replace.set_keywords = false;
  r = ok(s().update_flags(box, one, replace));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].flags, flag_seen | flag_flagged);
  EXPECT_EQ(r.messages[0].keywords, std::vector<std::string>{"new"});
  r = ok(s().update_flags(box, one, flag_op_of(flag_op::set, flag_draft, {"b", "a"})));
  EXPECT_EQ(r.messages[0].flags, flag_draft);
  EXPECT_EQ(ok(s().get_message(box, d1.uid)).keywords, (std::vector<std::string>{"b", "a"}));
  mark = ok(s().highest_modseq(a.id));
  r = ok(s().update_flags(box, one, flag_op_of(flag_op::set, flag_draft, {"a", "b", "a"})));
  EXPECT_FALSE(r.messages[0].changed) << "the same keywords in another order";
  EXPECT_EQ(ok(s().highest_modseq(a.id)), mark);

  // Refused whole, changing nothing.
  EXPECT_TRUE(fails_with(s().update_flags(box, one, flag_op_of(flag_op::add, 1u << 20)), errc::invalid));
  EXPECT_TRUE(fails_with(s().update_flags(box, one, flag_op_of(flag_op::add, 0, {"two words"})), errc::invalid));
  replace.flags = flag_seen;  // outside its set_mask
  EXPECT_TRUE(fails_with(s().update_flags(box, one, replace), errc::invalid));
  EXPECT_TRUE(fails_with(s().update_flags(999999, one, flag_op_of(flag_op::add, flag_seen)), errc::not_found));
  EXPECT_EQ(ok(s().highest_modseq(a.id)), mark);
  EXPECT_TRUE(ok(s().update_flags(box, {}, flag_op_of(flag_op::add, flag_seen))).messages.empty());
}

TEST_P(store_suite, update_flags_unchanged_since) {
  auto a = make_account("a@example.com");
  auto d1 = deliver_one(a.id, put("one"));
  auto d2 = deliver_one(a.id, put("two"));
  auto d3 = deliver_one(a.id, put("three"));
  const auto box = d1.mailbox_id;
  const auto since = d3.modseq;
  auto later = ok(s().set_flags(box, d2.uid, flag_answered, {}));

  // RFC 7162 §3.1.3: message 2 changed after `since`; it is left alone and reported.
  auto c = flag_op_of(flag_op::add, flag_deleted);
  c.unchanged_since = since;
  const std::vector<std::uint32_t> all{d1.uid, d2.uid, d3.uid};
  auto r = ok(s().update_flags(box, all, c));
  EXPECT_EQ(r.modified, std::vector<std::uint32_t>{d2.uid});
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].uid, d1.uid);
  EXPECT_EQ(r.messages[1].uid, d3.uid);
  EXPECT_EQ(r.messages[1].flags, flag_deleted);
  auto m2 = ok(s().get_message(box, d2.uid));
  EXPECT_EQ(m2.flags, flag_answered);
  EXPECT_EQ(m2.modseq, later);

  // A message that passes but whose flags stay the same is not "modified" either.
  c.unchanged_since = ok(s().highest_modseq(a.id));
  r = ok(s().update_flags(box, all, c));
  EXPECT_TRUE(r.modified.empty());
  EXPECT_EQ(r.messages.size(), 3u);
  // UNCHANGEDSINCE 0 fails for every message (every MODSEQ is above 0).
  c.unchanged_since = 0;
  r = ok(s().update_flags(box, all, c));
  EXPECT_EQ(r.modified, all);
  EXPECT_TRUE(r.messages.empty());
}

TEST_P(store_suite, update_flags_sparse_and_dense_sets) {
  auto a = make_account("a@example.com");
  ASSERT_EQ(deliver_copies(a.id, put("same bytes"), 300).back(), 300u);
  const auto box = inbox(a.id).id;
  std::vector<std::uint32_t> holes;
  for (std::uint32_t u = 10; u < 300; u += 7) holes.push_back(u);
  ok(s().expunge(box, holes));
  // Far apart, close together, at both ends, and the expunged holes asked for too.
  const std::vector<std::uint32_t> wanted{1, 2, 3, 100, 170, 171, 172, 173, 174, 175, 176, 177, 299, 300};
  auto r = ok(s().update_flags(box, wanted, flag_op_of(flag_op::add, flag_flagged)));
  std::set<std::uint32_t> expected;
  for (auto u : wanted) {
    if (!std::binary_search(holes.begin(), holes.end(), u)) expected.insert(u);
  }
  ASSERT_EQ(r.messages.size(), expected.size());
  for (const auto& m : ok(s().list_messages(box, 1))) {
    EXPECT_EQ((m.flags & flag_flagged) != 0, expected.contains(m.uid)) << m.uid;
  }
  // "1:*" as a session sees it: every UID it lists, one statement however many holes.
  std::vector<std::uint32_t> listed;
  for (const auto& m : ok(s().list_messages(box, 1))) listed.push_back(m.uid);
  r = ok(s().update_flags(box, listed, flag_op_of(flag_op::add, flag_seen)));
  EXPECT_EQ(r.messages.size(), listed.size());
  for (const auto& m : ok(s().list_messages(box, 1))) EXPECT_TRUE(m.flags & flag_seen) << m.uid;
}

// The lost update found by bench/imap_mix: sessions adding and removing different
// flags of the same messages at the same time each keep theirs.
TEST_P(store_suite, update_flags_concurrent_changes_lose_nothing) {
  auto a = make_account("a@example.com");
  const auto uids = deliver_copies(a.id, put("shared"), 20);
  const auto box = inbox(a.id).id;
  const auto mark = ok(s().highest_modseq(a.id));
  struct worker {
    std::uint32_t flag;
    std::string keyword;
  };
  const std::vector<worker> workers{{flag_seen, ""}, {flag_flagged, ""}, {flag_deleted, ""}, {0, "$label"}};
  std::atomic<std::size_t> changed{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> pool;
  for (const auto& w : workers) {
    pool.emplace_back([&, w] {
      std::vector<std::string> kw;
      if (!w.keyword.empty()) kw.push_back(w.keyword);
      for (int round = 0; round < 15 && !failed; ++round) {
        // A message at a time, then all at once: removals and adds of our own flag
        // only, ending with it added.
        for (const auto uid : uids) {
          const std::vector<std::uint32_t> one{uid};
          auto r = s().update_flags(box, one, flag_op_of(round % 2 ? flag_op::remove : flag_op::add, w.flag, kw));
          if (!r) failed = true;
          else for (const auto& m : r->messages) changed += m.changed ? 1 : 0;
        }
        auto r = s().update_flags(box, uids, flag_op_of(flag_op::add, w.flag, kw));
        if (!r) failed = true;
        else for (const auto& m : r->messages) changed += m.changed ? 1 : 0;
      }
    });
  }
  for (auto& t : pool) t.join();
  ASSERT_FALSE(failed);
  for (const auto& m : ok(s().list_messages(box, 1))) {
    EXPECT_EQ(m.flags, flag_seen | flag_flagged | flag_deleted) << m.uid;
    EXPECT_EQ(m.keywords, std::vector<std::string>{"$label"}) << m.uid;
  }
  // One MODSEQ and one change-log row per change reported, strictly increasing.
  auto changes = ok(s().changes_since(a.id, mark));
  EXPECT_EQ(changes.size(), changed.load());
  for (std::size_t i = 1; i < changes.size(); ++i) EXPECT_LT(changes[i - 1].modseq, changes[i].modseq);
  EXPECT_EQ(ok(s().highest_modseq(a.id)), mark + changed.load());
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

// --- get_mailbox, ACL (RFC 4314) ---

TEST_P(store_suite, get_mailbox_by_id) {
  auto a = make_account("alice@example.com");
  auto box = ok(s().create_mailbox(a.id, "Projects", mailbox_role::none));
  auto got = ok(s().get_mailbox(box.id));
  EXPECT_EQ(got.id, box.id);
  EXPECT_EQ(got.account_id, a.id);
  EXPECT_EQ(got.name, "Projects");
  EXPECT_EQ(got.uidvalidity, box.uidvalidity);
  EXPECT_TRUE(fails_with(s().get_mailbox(box.id + 1000), errc::not_found));
}

TEST_P(store_suite, acl_grant_replace_remove) {
  auto alice = make_account("alice@example.com");
  auto bob = make_account("Bob@example.com");
  auto carol = make_account("carol@other.org");
  auto box = ok(s().create_mailbox(alice.id, "Team", mailbox_role::none));
  EXPECT_TRUE(ok(s().list_acl(box.id)).empty());

  // Any order in, canonical order out; repeated letters count once.
  ok(s().set_acl(box.id, bob.id, "rlsl"));
  ok(s().set_acl(box.id, carol.id, "aetxkpiwsrl"));
  auto acl = ok(s().list_acl(box.id));
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].grantee, bob.id) << "ordered by grantee address";
  EXPECT_EQ(acl[0].grantee_address, "Bob@example.com");
  EXPECT_EQ(acl[0].mailbox_id, box.id);
  EXPECT_EQ(acl[0].rights, "lrs");
  EXPECT_EQ(acl[1].grantee, carol.id);
  EXPECT_EQ(acl[1].rights, "lrswipkxtea");

  // Replacing, not merging.
  ok(s().set_acl(box.id, bob.id, "w"));
  acl = ok(s().list_acl(box.id));
  ASSERT_EQ(acl.size(), 2u);
  EXPECT_EQ(acl[0].rights, "w");

  // Empty rights remove; removing what is not there is no error.
  ok(s().set_acl(box.id, bob.id, ""));
  ok(s().set_acl(box.id, bob.id, ""));
  acl = ok(s().list_acl(box.id));
  ASSERT_EQ(acl.size(), 1u);
  EXPECT_EQ(acl[0].grantee, carol.id);

  EXPECT_TRUE(fails_with(s().set_acl(box.id, bob.id, "lrz"), errc::invalid));
  EXPECT_TRUE(fails_with(s().set_acl(box.id, bob.id, "LR"), errc::invalid));
  EXPECT_TRUE(fails_with(s().set_acl(box.id, alice.id, "lr"), errc::invalid)) << "the owner";
  EXPECT_TRUE(fails_with(s().set_acl(box.id, bob.id + 1000, "lr"), errc::not_found));
  EXPECT_TRUE(fails_with(s().set_acl(box.id + 1000, bob.id, "lr"), errc::not_found));
  EXPECT_TRUE(fails_with(s().list_acl(box.id + 1000), errc::not_found));
  EXPECT_EQ(ok(s().list_acl(box.id)).size(), 1u) << "failed calls changed nothing";
}

TEST_P(store_suite, list_shared_with_names_owner_and_rights) {
  auto alice = make_account("alice@example.com");
  auto bob = make_account("bob@example.com");
  auto carol = make_account("carol@example.com");
  auto team = ok(s().create_mailbox(alice.id, "Team", mailbox_role::none));
  auto alice_inbox = inbox(alice.id);
  auto carol_box = ok(s().create_mailbox(carol.id, "Shared/Plans", mailbox_role::none));
  ok(s().deliver(delivery_of(put("shared message"), {delivery_target{alice.id, mailbox_role::none, 0, {}, team.id}})));
  ok(s().set_acl(team.id, bob.id, "lrs"));
  ok(s().set_acl(alice_inbox.id, bob.id, "lr"));
  ok(s().set_acl(carol_box.id, bob.id, "lrswi"));
  ok(s().set_acl(team.id, carol.id, "l"));

  auto shared = ok(s().list_shared_with(bob.id));
  ASSERT_EQ(shared.size(), 3u);
  EXPECT_EQ(shared[0].owner, "alice@example.com");
  EXPECT_EQ(shared[0].box.name, "INBOX");
  EXPECT_EQ(shared[0].rights, "lr");
  EXPECT_EQ(shared[1].owner, "alice@example.com");
  EXPECT_EQ(shared[1].box.name, "Team");
  EXPECT_EQ(shared[1].box.id, team.id);
  EXPECT_EQ(shared[1].box.account_id, alice.id);
  EXPECT_EQ(shared[1].box.messages, 1u);
  EXPECT_EQ(shared[1].box.uidvalidity, team.uidvalidity);
  EXPECT_EQ(shared[1].rights, "lrs");
  EXPECT_EQ(shared[2].owner, "carol@example.com");
  EXPECT_EQ(shared[2].box.name, "Shared/Plans");
  EXPECT_EQ(shared[2].rights, "lrswi");

  EXPECT_TRUE(ok(s().list_shared_with(alice.id)).empty()) << "own mailboxes are not shared with oneself";
  EXPECT_EQ(ok(s().list_shared_with(carol.id)).size(), 1u);
  EXPECT_TRUE(fails_with(s().list_shared_with(carol.id + 1000), errc::not_found));

  // A renamed mailbox keeps its entries.
  ok(s().rename_mailbox(alice.id, "Team", "Crew"));
  shared = ok(s().list_shared_with(carol.id));
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_EQ(shared[0].box.name, "Crew");
}

TEST_P(store_suite, acl_entries_go_with_mailbox_and_accounts) {
  auto alice = make_account("alice@example.com");
  auto bob = make_account("bob@example.com");
  auto carol = make_account("carol@example.com");
  auto team = ok(s().create_mailbox(alice.id, "Team", mailbox_role::none));
  auto other = ok(s().create_mailbox(alice.id, "Other", mailbox_role::none));
  auto carol_box = ok(s().create_mailbox(carol.id, "Carol's", mailbox_role::none));
  ok(s().set_acl(team.id, bob.id, "lr"));
  ok(s().set_acl(other.id, bob.id, "lr"));
  ok(s().set_acl(other.id, carol.id, "lr"));
  ok(s().set_acl(carol_box.id, bob.id, "lr"));
  ok(s().set_acl(carol_box.id, alice.id, "lr"));

  ok(s().delete_mailbox(alice.id, "Team"));
  EXPECT_EQ(ok(s().list_shared_with(bob.id)).size(), 2u);
  // A new mailbox of the same name starts without entries.
  auto again = ok(s().create_mailbox(alice.id, "Team", mailbox_role::none));
  EXPECT_TRUE(ok(s().list_acl(again.id)).empty());

  // The grantee goes: its entries on others' mailboxes go.
  ok(s().remove_account("bob@example.com"));
  EXPECT_EQ(ok(s().list_acl(other.id)).size(), 1u);
  EXPECT_EQ(ok(s().list_acl(carol_box.id)).size(), 1u);

  // The owner goes: the entries on its mailboxes go.
  ok(s().remove_account("alice@example.com"));
  EXPECT_TRUE(ok(s().list_shared_with(carol.id)).empty());
  EXPECT_TRUE(ok(s().list_acl(carol_box.id)).empty()) << "alice was a grantee there";
}

// --- quota (RFC 9208) ---

TEST_P(store_suite, usage_follows_deliver_copy_expunge_and_delete) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  EXPECT_EQ(ok(s().account_usage(a.id)).bytes, 0u);
  EXPECT_EQ(ok(s().account_usage(a.id)).messages, 0u);
  std::string ten(10, 'x');
  std::string hundred(100, 'y');
  auto d1 = deliver_one(a.id, put(ten));
  auto d2 = deliver_one(a.id, put(hundred), mailbox_role::archive);
  deliver_one(b.id, put(hundred));
  auto u = ok(s().account_usage(a.id));
  EXPECT_EQ(u.bytes, 110u);
  EXPECT_EQ(u.messages, 2u);
  EXPECT_EQ(ok(s().account_usage(b.id)).bytes, 100u) << "per account";

  auto box = ok(s().create_mailbox(a.id, "Copies", mailbox_role::none));
  ok(s().copy_messages(d1.mailbox_id, {d1.uid}, box.id));
  ok(s().copy_messages(d2.mailbox_id, {d2.uid}, box.id));
  u = ok(s().account_usage(a.id));
  EXPECT_EQ(u.bytes, 220u) << "a copy counts again (RFC 9208 §5.1)";
  EXPECT_EQ(u.messages, 4u);

  ok(s().expunge(d1.mailbox_id, {d1.uid}));
  u = ok(s().account_usage(a.id));
  EXPECT_EQ(u.bytes, 210u);
  EXPECT_EQ(u.messages, 3u);

  ok(s().delete_mailbox(a.id, "Copies"));
  u = ok(s().account_usage(a.id));
  EXPECT_EQ(u.bytes, 100u);
  EXPECT_EQ(u.messages, 1u);
  EXPECT_TRUE(fails_with(s().account_usage(a.id + 1000), errc::not_found));
}

TEST_P(store_suite, set_quota) {
  auto a = make_account("alice@example.com");
  EXPECT_EQ(ok(s().get_account(a.id)).quota_bytes, 0u);
  ok(s().set_quota(a.id, 500ull * 1024 * 1024));
  EXPECT_EQ(ok(s().find_account("alice@example.com")).quota_bytes, 500ull * 1024 * 1024);
  ok(s().set_quota(a.id, 0));
  EXPECT_EQ(ok(s().get_account(a.id)).quota_bytes, 0u);
  EXPECT_TRUE(fails_with(s().set_quota(a.id + 1000, 1), errc::not_found));
}

TEST_P(store_suite, quota_enforcement_is_all_or_nothing) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  ok(s().set_quota(a.id, 250));
  auto hundred = put(std::string(100, 'h'));

  auto enforced = [&](std::vector<delivery_target> targets) {
    auto d = delivery_of(hundred, std::move(targets));
    d.enforce_quota = true;
    return s().deliver(d);
  };
  auto to_inbox = [](id_t id) { return delivery_target{id, mailbox_role::inbox, 0, {}}; };

  ok(enforced({to_inbox(a.id)}));
  ok(enforced({to_inbox(a.id)}));
  EXPECT_EQ(ok(s().account_usage(a.id)).bytes, 200u);
  // Exactly at the quota is allowed; one byte over is not.
  ok(s().set_quota(a.id, 300));
  ok(enforced({to_inbox(a.id)}));
  ok(s().set_quota(a.id, 399));

  // Bob is unlimited, but Alice's copy fails the whole delivery.
  auto r = enforced({to_inbox(b.id), to_inbox(a.id)});
  ASSERT_TRUE(fails_with(r, errc::limit));
  EXPECT_EQ(r.error().message.rfind("quota", 0), 0u) << r.error().message;
  EXPECT_EQ(ok(s().account_usage(b.id)).messages, 0u) << "nobody got it";
  EXPECT_EQ(ok(s().account_usage(a.id)).messages, 3u);

  // Two copies to one account count twice.
  ok(s().set_quota(a.id, 450));
  EXPECT_TRUE(fails_with(enforced({to_inbox(a.id), delivery_target{a.id, mailbox_role::archive, 0, {}}}),
                         errc::limit));
  EXPECT_EQ(ok(s().account_usage(a.id)).messages, 3u);
  ok(enforced({to_inbox(a.id)}));

  // Without enforce_quota the store delivers (SMTP decided per recipient already).
  ok(s().deliver(delivery_of(hundred, {to_inbox(a.id)})));
  EXPECT_EQ(ok(s().account_usage(a.id)).bytes, 500u);
  // Freeing space makes room again (the last reference went with the blob: put it again).
  auto box = inbox(a.id);
  ok(s().expunge(box.id, uids_of(box.id)));
  EXPECT_EQ(put(std::string(100, 'h')), hundred);
  ok(enforced({to_inbox(a.id)}));
  EXPECT_EQ(ok(s().account_usage(a.id)).bytes, 100u);
}

TEST_P(store_suite, concurrent_enforced_deliveries_never_exceed_the_quota) {
  auto a = make_account("alice@example.com");
  ok(s().set_quota(a.id, 1000));
  auto blob = put(std::string(100, 'c'));
  std::atomic<int> delivered_count{0}, refused{0}, other{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 4; ++i) {
        auto d = delivery_of(blob, {delivery_target{a.id, mailbox_role::inbox, 0, {}}});
        d.enforce_quota = true;
        auto r = s().deliver(d);
        if (r) {
          ++delivered_count;
        } else if (r.error().code == errc::limit) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(delivered_count.load(), 10);
  EXPECT_EQ(refused.load(), 22);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok(s().account_usage(a.id)).bytes, 1000u);
}

// --- DKIM keys ---

TEST_P(store_suite, dkim_keys_add_list_retire) {
  ok(s().add_domain("example.com"));
  ok(s().add_domain("other.org"));
  dkim_key k;
  k.domain = "Example.COM";
  k.selector = "LH2026a";
  k.algorithm = "rsa-sha256";
  k.private_key_pem = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n";
  k.public_key = "MIIBIjANBgkqh";
  k.created = 1700000000;
  auto added = ok(s().add_dkim_key(k));
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.domain, "example.com");
  EXPECT_EQ(added.selector, "lh2026a");
  EXPECT_EQ(added.status, dkim_key::state::active);
  EXPECT_EQ(added.retired, 0);

  dkim_key ed = k;
  ed.selector = "ed.2026";
  ed.algorithm = "ed25519-sha256";
  ed.created = 1700000100;
  ed.public_key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
  auto ed_added = ok(s().add_dkim_key(ed));
  dkim_key other = k;
  other.domain = "other.org";
  other.created = 1600000000;
  auto other_added = ok(s().add_dkim_key(other));
  EXPECT_EQ(other_added.selector, "lh2026a") << "the same selector in another domain";

  // Duplicate selector (case-insensitive), bad input.
  dkim_key dup = k;
  dup.selector = "lh2026A";
  EXPECT_TRUE(fails_with(s().add_dkim_key(dup), errc::exists));
  dkim_key bad = k;
  bad.selector = "x";
  bad.algorithm = "rsa-sha1";
  EXPECT_TRUE(fails_with(s().add_dkim_key(bad), errc::invalid));
  bad = k;
  bad.selector = "bad selector";
  EXPECT_TRUE(fails_with(s().add_dkim_key(bad), errc::invalid));
  bad = k;
  bad.selector = "";
  EXPECT_TRUE(fails_with(s().add_dkim_key(bad), errc::invalid));
  bad = k;
  bad.selector = "y";
  bad.private_key_pem.clear();
  EXPECT_TRUE(fails_with(s().add_dkim_key(bad), errc::invalid));
  bad = k;
  bad.selector = "y";
  bad.domain = "not-ours.example";
  EXPECT_TRUE(fails_with(s().add_dkim_key(bad), errc::not_found));

  auto keys = ok(s().list_dkim_keys("EXAMPLE.com"));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].id, added.id) << "oldest first";
  EXPECT_EQ(keys[0].private_key_pem, k.private_key_pem);
  EXPECT_EQ(keys[0].public_key, k.public_key);
  EXPECT_EQ(keys[0].algorithm, "rsa-sha256");
  EXPECT_EQ(keys[0].created, 1700000000);
  EXPECT_EQ(keys[1].id, ed_added.id);
  EXPECT_EQ(keys[1].selector, "ed.2026");
  EXPECT_EQ(keys[1].algorithm, "ed25519-sha256");
  auto all = ok(s().list_dkim_keys(""));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].id, other_added.id);
  EXPECT_EQ(all[0].domain, "other.org");
  EXPECT_TRUE(fails_with(s().list_dkim_keys("not-ours.example"), errc::not_found));

  ok(s().retire_dkim_key(added.id, 1800000000));
  ok(s().retire_dkim_key(added.id, 1900000000));  // the first time stands
  keys = ok(s().list_dkim_keys("example.com"));
  ASSERT_EQ(keys.size(), 2u) << "retired keys are still listed";
  EXPECT_EQ(keys[0].status, dkim_key::state::retired);
  EXPECT_EQ(keys[0].retired, 1800000000);
  EXPECT_EQ(keys[1].status, dkim_key::state::active);
  EXPECT_TRUE(fails_with(s().retire_dkim_key(added.id + 1000, 1), errc::not_found));
  // A retired selector is still taken: its record may still be published.
  EXPECT_TRUE(fails_with(s().add_dkim_key(k), errc::exists));

  // Keys go with their domain.
  ok(s().remove_domain("other.org"));
  EXPECT_EQ(ok(s().list_dkim_keys("")).size(), 2u);
  reopen();
  EXPECT_EQ(ok(s().list_dkim_keys("example.com")).size(), 2u);
}

// --- parse cache ---

TEST_P(store_suite, blob_meta_round_trip_and_removal_with_last_reference) {
  auto a = make_account("alice@example.com");
  auto one = put("message one");
  auto two = put("message two");
  auto d1 = deliver_one(a.id, one);
  auto box = ok(s().create_mailbox(a.id, "Copies", mailbox_role::none));
  ok(s().copy_messages(d1.mailbox_id, {d1.uid}, box.id));
  auto d2 = deliver_one(a.id, two);
  EXPECT_TRUE(ok(s().get_blob_meta({one, two})).empty());

  std::string binary("\0\xff\x01 summary\n\0", 12);
  ok(s().put_blob_meta({blob_meta{one, 3, binary}, blob_meta{two, 1, ""}}));
  auto got = ok(s().get_blob_meta({two, one, one, std::string(64, 'a')}));
  ASSERT_EQ(got.size(), 2u) << "each blob once; unknown blobs left out";
  std::sort(got.begin(), got.end(), [](const blob_meta& x, const blob_meta& y) { return x.blob < y.blob; });
  auto& m1 = got[0].blob == one ? got[0] : got[1];
  auto& m2 = got[0].blob == one ? got[1] : got[0];
  EXPECT_EQ(m1.version, 3);
  EXPECT_EQ(m1.data, binary) << "bytes kept exactly, NULs included";
  EXPECT_EQ(m2.version, 1);
  EXPECT_EQ(m2.data, "");

  // Replaces.
  ok(s().put_blob_meta({blob_meta{one, 4, "v4"}}));
  got = ok(s().get_blob_meta({one}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].version, 4);
  EXPECT_EQ(got[0].data, "v4");

  // Goes with the last reference, not before.
  ok(s().expunge(d1.mailbox_id, {d1.uid}));
  EXPECT_EQ(ok(s().get_blob_meta({one})).size(), 1u) << "the copy still refers to it";
  ok(s().expunge(box.id, {1}));
  EXPECT_TRUE(ok(s().get_blob_meta({one})).empty());
  // The same bytes stored again start without an entry.
  EXPECT_EQ(put("message one"), one);
  deliver_one(a.id, one);
  EXPECT_TRUE(ok(s().get_blob_meta({one})).empty());

  // An entry for a blob that is gone is dropped, the others of the call are kept.
  ok(s().expunge(d2.mailbox_id, {d2.uid}));
  ok(s().put_blob_meta({blob_meta{two, 1, "late"}, blob_meta{one, 5, "five"}}));
  got = ok(s().get_blob_meta({one, two}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].blob, one);
  EXPECT_EQ(got[0].data, "five");

  EXPECT_TRUE(fails_with(s().put_blob_meta({blob_meta{"../etc/passwd", 1, ""}}), errc::invalid));
  EXPECT_TRUE(ok(s().get_blob_meta({})).empty());
  ok(s().put_blob_meta({}));
}

TEST_P(store_suite, blob_meta_for_many_blobs_in_one_call) {
  auto a = make_account("alice@example.com");
  // More than a backend is likely to look up in one statement, few enough to keep the
  // test quick; stored and delivered from several threads so that commits are shared.
  constexpr int count = 300;
  std::vector<std::string> blobs(count);
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&, t] {
      for (int i = t; i < count; i += 8) {
        auto b = s().blobs().put("message number " + std::to_string(i));
        if (!b || !s().deliver(delivery_of(*b, {delivery_target{a.id, mailbox_role::inbox, 0, {}}}))) {
          ++failures;
          continue;
        }
        blobs[static_cast<std::size_t>(i)] = *b;
      }
    });
  }
  for (auto& th : pool) th.join();
  ASSERT_EQ(failures.load(), 0);
  std::vector<blob_meta> metas;
  for (int i = 0; i < count; ++i) {
    if (i % 3 != 0) metas.push_back(blob_meta{blobs[static_cast<std::size_t>(i)], 1, "meta " + std::to_string(i)});
  }
  ok(s().put_blob_meta(metas));
  auto got = ok(s().get_blob_meta(blobs));
  ASSERT_EQ(got.size(), metas.size());
  std::set<std::string> seen;
  for (const auto& m : got) seen.insert(m.blob + "=" + m.data);
  for (const auto& m : metas) EXPECT_TRUE(seen.count(m.blob + "=" + m.data)) << m.data;
}

TEST_P(store_suite, message_keys_follow_their_rows) {
  auto a = make_account("alice@example.com");
  auto one = put("message one");
  auto two = put("message two");
  // Delivered with keys: every row it makes gets them, in the same transaction.
  auto d = delivery_of(one, {delivery_target{a.id, mailbox_role::inbox, 0, {}}});
  d.meta_version = 7;
  d.meta = "whole";
  d.keys = std::string("k\0one", 5);
  auto d1 = ok(s().deliver(d)).front();
  auto d2 = deliver_one(a.id, two);  // no keys
  const auto inbox = d1.mailbox_id;
  auto got = ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{d1.uid, d2.uid}));
  ASSERT_EQ(got.size(), 1u) << "only the row that has keys";
  EXPECT_EQ(got[0].uid, d1.uid);
  EXPECT_EQ(got[0].version, 7);
  EXPECT_EQ(got[0].data, std::string("k\0one", 5)) << "bytes kept exactly";

  ok(s().put_message_keys(inbox, {message_keys{d2.uid, 7, "two"}, message_keys{999, 7, "nobody"}}));
  got = ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{d1.uid, d2.uid, 999}));
  ASSERT_EQ(got.size(), 2u) << "a UID without a message gets no entry";
  EXPECT_EQ(got[1].uid, d2.uid);
  EXPECT_EQ(got[1].data, "two");
  // Only the UIDs asked for, even when the range between them holds others.
  got = ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{d2.uid}));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].uid, d2.uid);
  ok(s().put_message_keys(inbox, {message_keys{d2.uid, 8, "two again"}}));
  EXPECT_EQ(ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{d2.uid})).front().data, "two again");

  // A copy has its original's keys; an expunged row's keys go with it.
  auto box = ok(s().create_mailbox(a.id, "Copies", mailbox_role::none));
  auto copies = ok(s().copy_messages(inbox, {d1.uid, d2.uid}, box.id));
  got = ok(s().get_message_keys(box.id, copies));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data, std::string("k\0one", 5));
  EXPECT_EQ(got[1].version, 8);
  ok(s().expunge(inbox, {d1.uid}));
  EXPECT_TRUE(ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{d1.uid})).empty());
  EXPECT_EQ(ok(s().get_message_keys(box.id, copies)).size(), 2u) << "the copy keeps its own";

  EXPECT_TRUE(fails_with(s().get_message_keys(inbox, std::vector<std::uint32_t>{3, 1}), errc::invalid));
  EXPECT_TRUE(ok(s().get_message_keys(inbox, std::vector<std::uint32_t>{})).empty());
  ok(s().put_message_keys(inbox, {}));
}

// --- queue: new fields, leases, admin actions ---

namespace {
queue_entry queued(const std::string& blob, unix_time next_attempt, std::vector<std::string> to = {"r@remote.org"}) {
  queue_entry e;
  e.blob = blob;
  e.mail_from = "a@example.com";
  e.created = 1700000000;
  e.next_attempt = next_attempt;
  for (auto& address : to) {
    queue_recipient r;
    r.address = std::move(address);
    e.recipients.push_back(std::move(r));
  }
  return e;
}
}  // namespace

TEST_P(store_suite, queue_keeps_sender_declarations_and_recipient_state) {
  auto blob = put("8bit body");
  auto e = queued(blob, 1700000000, {"x@remote.org", "y@remote.org"});
  e.body_type = "8BITMIME";
  e.smtputf8 = true;
  e.requiretls = true;
  e.delay_warned = true;
  e.last_attempt = 1700000500;
  e.recipients[1].remote_mta = "mx.remote.org";
  e.recipients[1].dsn_sent = true;
  auto id = ok(s().enqueue(e));
  for (const auto& got : {ok(s().get_queue_entry(id)), ok(s().list_queue()).at(0)}) {
    EXPECT_EQ(got.body_type, "8BITMIME");
    EXPECT_TRUE(got.smtputf8);
    EXPECT_TRUE(got.requiretls);
    EXPECT_TRUE(got.delay_warned);
    EXPECT_EQ(got.last_attempt, 1700000500);
    EXPECT_EQ(got.lease_owner, "");
    EXPECT_EQ(got.lease_until, 0);
    ASSERT_EQ(got.recipients.size(), 2u);
    EXPECT_EQ(got.recipients[0].remote_mta, "");
    EXPECT_FALSE(got.recipients[0].dsn_sent);
    EXPECT_EQ(got.recipients[1].remote_mta, "mx.remote.org");
    EXPECT_TRUE(got.recipients[1].dsn_sent);
  }
  auto plain = ok(s().get_queue_entry(ok(s().enqueue(queued(blob, 1)))));
  EXPECT_EQ(plain.body_type, "");
  EXPECT_FALSE(plain.smtputf8);
  EXPECT_FALSE(plain.requiretls);
  e.body_type = "binarymime";
  EXPECT_EQ(ok(s().get_queue_entry(ok(s().enqueue(e)))).body_type, "BINARYMIME") << "ESMTP values ignore case";
  e.body_type = "9BIT";
  EXPECT_TRUE(fails_with(s().enqueue(e), errc::invalid));
}

TEST_P(store_suite, claim_queue_leases_due_entries_in_order) {
  auto blob = put("queued");
  auto late = ok(s().enqueue(queued(blob, 2000)));
  auto first = ok(s().enqueue(queued(blob, 1000)));
  auto second = ok(s().enqueue(queued(blob, 1500, {"p@remote.org", "q@remote.org"})));
  auto held_e = queued(blob, 900);
  held_e.held = true;
  auto held = ok(s().enqueue(held_e));

  auto got = ok(s().claim_queue(1500, 10, "worker-a", 1800));
  ASSERT_EQ(got.size(), 2u) << "due and not held";
  EXPECT_EQ(got[0].id, first);
  EXPECT_EQ(got[1].id, second);
  EXPECT_EQ(got[1].recipients.size(), 2u);
  for (const auto& e : got) {
    EXPECT_EQ(e.lease_owner, "worker-a");
    EXPECT_EQ(e.lease_until, 1800);
  }
  EXPECT_EQ(ok(s().get_queue_entry(first)).lease_owner, "worker-a");
  EXPECT_EQ(ok(s().get_queue_entry(first)).lease_until, 1800);

  // Leased entries are not handed out again while the lease lasts, to anyone.
  EXPECT_TRUE(ok(s().claim_queue(1600, 10, "worker-b", 1900)).empty());
  EXPECT_TRUE(ok(s().claim_queue(1799, 10, "worker-a", 1900)).empty());
  // limit.
  auto one = ok(s().claim_queue(2000, 1, "worker-b", 2300));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].id, first) << "expired lease, oldest next_attempt first";
  auto rest = ok(s().claim_queue(2000, 10, "worker-b", 2300));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].id, second);
  EXPECT_EQ(rest[1].id, late);
  EXPECT_TRUE(ok(s().claim_queue(2000, 0, "worker-b", 2300)).empty());
  EXPECT_EQ(ok(s().get_queue_entry(held)).lease_owner, "");

  EXPECT_TRUE(fails_with(s().claim_queue(2000, 10, "", 2300), errc::invalid));
  EXPECT_TRUE(fails_with(s().claim_queue(2000, 10, "w", 2000), errc::invalid));
}

TEST_P(store_suite, update_queue_entry_writes_back_and_detects_lost_leases) {
  auto blob = put("queued");
  auto id = ok(s().enqueue(queued(blob, 1000, {"x@remote.org", "y@remote.org"})));
  auto mine = ok(s().claim_queue(1000, 10, "worker-a", 1300)).at(0);

  // worker-a stalls; its lease expires and worker-b takes the entry over.
  auto theirs = ok(s().claim_queue(1301, 10, "worker-b", 1600)).at(0);
  EXPECT_EQ(theirs.id, id);
  mine.attempts = 1;
  EXPECT_TRUE(fails_with(s().update_queue_entry(mine), errc::conflict));
  EXPECT_EQ(ok(s().get_queue_entry(id)).attempts, 0u) << "the stale write changed nothing";

  theirs.attempts = 1;
  theirs.last_attempt = 1310;
  theirs.next_attempt = 2210;
  theirs.delay_warned = true;
  theirs.recipients[0].status = queue_recipient::state::delivered;
  theirs.recipients[0].last_reply = "250 2.0.0 ok";
  theirs.recipients[0].remote_mta = "mx1.remote.org";
  theirs.recipients[1].last_reply = "451 4.7.1 later";
  theirs.recipients[1].remote_mta = "mx2.remote.org";
  theirs.recipients[1].dsn_sent = true;
  ok(s().update_queue_entry(theirs));
  auto got = ok(s().get_queue_entry(id));
  EXPECT_EQ(got.attempts, 1u);
  EXPECT_EQ(got.last_attempt, 1310);
  EXPECT_EQ(got.next_attempt, 2210);
  EXPECT_TRUE(got.delay_warned);
  EXPECT_FALSE(got.held);
  EXPECT_EQ(got.lease_owner, "") << "the lease is cleared";
  EXPECT_EQ(got.lease_until, 0);
  EXPECT_EQ(got.recipients[0].status, queue_recipient::state::delivered);
  EXPECT_EQ(got.recipients[0].last_reply, "250 2.0.0 ok");
  EXPECT_EQ(got.recipients[0].remote_mta, "mx1.remote.org");
  EXPECT_FALSE(got.recipients[0].dsn_sent);
  EXPECT_EQ(got.recipients[1].status, queue_recipient::state::pending);
  EXPECT_EQ(got.recipients[1].remote_mta, "mx2.remote.org");
  EXPECT_TRUE(got.recipients[1].dsn_sent);
  EXPECT_EQ(got.recipients[1].address, "y@remote.org") << "addresses are not rewritten";

  // A second write-back by the same worker: its lease is gone.
  EXPECT_TRUE(fails_with(s().update_queue_entry(theirs), errc::conflict));
  // Due again later.
  EXPECT_TRUE(ok(s().claim_queue(2209, 10, "worker-a", 2500)).empty());
  auto again = ok(s().claim_queue(2210, 10, "worker-a", 2500)).at(0);
  again.recipients.pop_back();
  EXPECT_TRUE(fails_with(s().update_queue_entry(again), errc::invalid)) << "recipient count differs";

  // A hold placed during the attempt survives the write-back.
  again = ok(s().get_queue_entry(id));
  ok(s().set_queue_held(id, true));
  ok(s().update_queue_entry(again));
  EXPECT_TRUE(ok(s().get_queue_entry(id)).held);

  // An entry removed during the attempt: conflict, not a resurrection.
  ok(s().set_queue_held(id, false));
  auto last = ok(s().claim_queue(5000, 10, "worker-a", 5300)).at(0);
  ok(s().remove_queue_entry(id));
  EXPECT_TRUE(fails_with(s().update_queue_entry(last), errc::conflict));
  EXPECT_FALSE(s().blobs().contains(blob));
}

TEST_P(store_suite, queue_hold_release_retry) {
  auto blob = put("queued");
  auto id = ok(s().enqueue(queued(blob, 5000)));
  ok(s().set_queue_held(id, true));
  EXPECT_TRUE(ok(s().get_queue_entry(id)).held);
  EXPECT_TRUE(ok(s().claim_queue(6000, 10, "w", 6300)).empty()) << "held entries are not claimed";
  ok(s().set_queue_held(id, false));
  EXPECT_FALSE(ok(s().get_queue_entry(id)).held);
  EXPECT_TRUE(ok(s().claim_queue(4000, 10, "w", 4300)).empty()) << "not due yet";

  // retry: due now, and released.
  ok(s().set_queue_held(id, true));
  ok(s().retry_queue_entry(id, 4000));
  auto got = ok(s().get_queue_entry(id));
  EXPECT_FALSE(got.held);
  EXPECT_EQ(got.next_attempt, 4000);
  EXPECT_EQ(ok(s().claim_queue(4000, 10, "w", 4300)).size(), 1u);
  // Admin actions leave the lease alone.
  ok(s().retry_queue_entry(id, 4100));
  EXPECT_EQ(ok(s().get_queue_entry(id)).lease_owner, "w");
  EXPECT_TRUE(ok(s().claim_queue(4200, 10, "v", 4500)).empty());

  EXPECT_TRUE(fails_with(s().set_queue_held(id + 1000, true), errc::not_found));
  EXPECT_TRUE(fails_with(s().retry_queue_entry(id + 1000, 1), errc::not_found));
}

TEST_P(store_suite, concurrent_claims_never_share_an_entry) {
  auto blob = put("queued");
  constexpr int entries = 60;
  for (int i = 0; i < entries; ++i) ok(s().enqueue(queued(blob, 1000 + i)));
  std::mutex mutex;
  std::vector<id_t> claimed;
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t) {
    pool.emplace_back([&, t] {
      for (;;) {
        auto r = s().claim_queue(5000, 4, "worker-" + std::to_string(t), 9000);
        if (!r) {
          ++failures;
          return;
        }
        if (r->empty()) return;
        std::lock_guard lock(mutex);
        for (const auto& e : *r) claimed.push_back(e.id);
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::set<id_t> unique(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(entries));
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(entries));
}

// --- shared rate counters and the clock ---

TEST_P(store_suite, rate_hit_counts_a_sliding_window_per_key) {
  const std::chrono::seconds minute{60};
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6000, minute, 1)), 1u);
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6010, minute, 1)), 2u);
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6059, minute, 3)), 5u);
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.2", 6059, minute, 1)), 1u) << "keys count apart";
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6059, minute, 0)), 5u) << "0 only counts";
  // 15 s into the next window: the previous one's 5 weigh 45/60, floored.
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6075, minute, 0)), 3u);
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6075, minute, 2)), 5u);
  // Two windows later nothing of 6000..6059 counts, and the rows are gone.
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.1", 6180, minute, 1)), 1u);
  EXPECT_EQ(ok(s().rate_hit("ip:192.0.2.2", 6180, minute, 0)), 0u);
  // Windows of different lengths under different keys, as the limits use them.
  EXPECT_EQ(ok(s().rate_hit("submission:7", 7200, std::chrono::hours(1), 40)), 40u);
  EXPECT_EQ(ok(s().rate_hit("submission:7", 9000, std::chrono::hours(1), 10)), 50u);  // the same hour
  EXPECT_EQ(ok(s().rate_hit("submission:7", 12600, std::chrono::hours(1), 10)), 35u);  // 50 * 1800/3600 + 10
  EXPECT_TRUE(fails_with(s().rate_hit("", 6000, minute, 1), errc::invalid));
  EXPECT_TRUE(fails_with(s().rate_hit("k", 6000, std::chrono::seconds(0), 1), errc::invalid));
}

TEST_P(store_suite, concurrent_rate_hits_lose_no_event) {
  constexpr int threads = 6, hits = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < hits; ++i) {
        if (!s().rate_hit("ip:198.51.100.9", 12000, std::chrono::seconds(60), 1)) ++failures;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ok(s().rate_hit("ip:198.51.100.9", 12000, std::chrono::seconds(60), 0)),
            static_cast<std::uint64_t>(threads * hits));
}

TEST_P(store_suite, clock_is_near_this_machine_s) {
  // The database server here runs on this machine, so the two clocks agree.
  const auto before = static_cast<unix_time>(std::time(nullptr));
  const auto t = ok(s().clock());
  const auto after = static_cast<unix_time>(std::time(nullptr));
  EXPECT_GE(t, before - 1);
  EXPECT_LE(t, after + 1);
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

TEST_P(store_suite, audit_query_filters_and_pages) {
  ok(s().audit("cli", "domain.add", "example.com"));
  ok(s().audit("admin@example.com", "user.add", "alice@example.com"));
  ok(s().audit("ip:192.0.2.7", "login.failed", "Alice@Example.com over imap: bad password"));
  ok(s().audit("cli", "user.passwd", "bob@example.com 100% done_"));
  audit_query q;
  q.action_prefix = "user.";
  auto users = ok(s().query_audit(q));
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].action, "user.passwd");
  q = {};
  q.mentions = "alice@example.com";  // in the actor or the detail, any case
  auto alice = ok(s().query_audit(q));
  ASSERT_EQ(alice.size(), 2u);
  EXPECT_EQ(alice[0].action, "login.failed");
  q = {};
  q.mentions = "100%";  // literal, not a pattern
  EXPECT_EQ(ok(s().query_audit(q)).size(), 1u);
  q.mentions = "1%0";
  EXPECT_TRUE(ok(s().query_audit(q)).empty());
  q = {};
  q.actor = "cli";
  EXPECT_EQ(ok(s().query_audit(q)).size(), 2u);
  q = {};
  q.limit = 1;
  auto first = ok(s().query_audit(q));
  ASSERT_EQ(first.size(), 1u);
  q.before_id = first[0].id;
  q.limit = 100;
  EXPECT_EQ(ok(s().query_audit(q)).size(), 3u);
  q = {};
  q.since = first[0].time + 3600;
  EXPECT_TRUE(ok(s().query_audit(q)).empty());
  q = {};
  q.until = first[0].time + 3600;
  EXPECT_EQ(ok(s().query_audit(q)).size(), 4u);
}

TEST_P(store_suite, admin_sessions) {
  auto a = make_account("admin@example.com");
  admin_session one{"aa11", a.id, "csrf1", "192.0.2.1", 1000, 1000, 5000};
  ok(s().add_admin_session(one, 0));
  EXPECT_TRUE(fails_with(s().add_admin_session(one, 0), errc::exists));
  auto got = ok(s().get_admin_session("aa11"));
  EXPECT_EQ(got.account_id, a.id);
  EXPECT_EQ(got.csrf_token, "csrf1");
  EXPECT_EQ(got.expires, 5000);
  ok(s().touch_admin_session("aa11", 1500));
  ok(s().touch_admin_session("aa11", 1200));  // never moves back
  EXPECT_EQ(ok(s().get_admin_session("aa11")).last_seen, 1500);
  EXPECT_TRUE(fails_with(s().get_admin_session("bb22"), errc::not_found));
  // Adding sweeps sessions past their absolute or idle end.
  ok(s().add_admin_session(admin_session{"cc33", a.id, "csrf3", "", 6000, 6000, 9000}, 1600));
  EXPECT_TRUE(fails_with(s().get_admin_session("aa11"), errc::not_found));
  ok(s().add_admin_session(admin_session{"dd44", a.id, "csrf4", "", 6000, 6000, 9000}, 0));
  EXPECT_EQ(ok(s().remove_admin_sessions(a.id)), 2u);
  EXPECT_TRUE(fails_with(s().get_admin_session("dd44"), errc::not_found));
  ok(s().remove_admin_session("dd44"));
  EXPECT_TRUE(fails_with(s().add_admin_session(admin_session{"", a.id, "x", "", 1, 1, 2}, 0), errc::invalid));
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

// === organisation (issue 6 part A): departments, profiles, groups, held mail, roles,
// mail rules ===

TEST_P(store_suite, department_tree_refuses_cycles_and_duplicate_siblings) {
  auto sales = ok(s().add_department("Sales", 0));
  auto east = ok(s().add_department("East", sales.id));
  auto north = ok(s().add_department("North", east.id));
  EXPECT_TRUE(fails_with(s().add_department("SALES", 0), errc::exists));
  EXPECT_TRUE(fails_with(s().add_department("x", 9999), errc::not_found));
  EXPECT_TRUE(fails_with(s().add_department("", 0), errc::invalid));
  // Under itself or a descendant: a cycle.
  EXPECT_TRUE(fails_with(s().move_department(sales.id, north.id), errc::invalid));
  EXPECT_TRUE(fails_with(s().move_department(sales.id, sales.id), errc::invalid));
  ok(s().move_department(north.id, sales.id));
  EXPECT_EQ(ok(s().get_department(north.id)).parent_id, sales.id);
  ok(s().move_department(north.id, 0));
  auto all = ok(s().list_departments());
  ASSERT_EQ(all.size(), 3u);
  // Parents come before their children.
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].parent_id == 0) continue;
    bool parent_before = false;
    for (std::size_t j = 0; j < i; ++j) parent_before |= all[j].id == all[i].parent_id;
    EXPECT_TRUE(parent_before) << all[i].name;
  }
}

TEST_P(store_suite, department_removal_needs_empty_or_reparenting) {
  auto a = make_account("alice@example.com");
  auto sales = ok(s().add_department("Sales", 0));
  auto east = ok(s().add_department("East", sales.id));
  auto p = ok(s().get_profile(a.id));
  p.department_id = east.id;
  ok(s().set_profile(p));
  EXPECT_TRUE(fails_with(s().remove_department(sales.id, std::nullopt), errc::denied));
  EXPECT_TRUE(fails_with(s().remove_department(east.id, std::nullopt), errc::denied));
  // Re-parenting into its own subtree is refused.
  EXPECT_TRUE(fails_with(s().remove_department(sales.id, east.id), errc::invalid));
  ok(s().remove_department(east.id, sales.id));
  EXPECT_EQ(ok(s().get_profile(a.id)).department_id, sales.id);
  ok(s().remove_department(sales.id, 0));
  EXPECT_EQ(ok(s().get_profile(a.id)).department_id, 0);
  EXPECT_TRUE(ok(s().list_departments()).empty());
}

TEST_P(store_suite, profiles_refuse_manager_loops_and_go_with_the_account) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  auto c = make_account("carol@example.com");
  auto pa = ok(s().get_profile(a.id));
  EXPECT_EQ(pa.address, "alice@example.com");
  pa.display_name = "张伟";
  pa.title = "CEO";
  pa.employee_id = "E001";
  ok(s().set_profile(pa));
  EXPECT_EQ(ok(s().get_account(a.id)).display_name, "张伟");
  auto pb = ok(s().get_profile(b.id));
  pb.manager_id = a.id;
  ok(s().set_profile(pb));
  auto pc = ok(s().get_profile(c.id));
  pc.manager_id = b.id;
  ok(s().set_profile(pc));
  EXPECT_TRUE(ok(s().is_manager(a.id)));
  EXPECT_FALSE(ok(s().is_manager(c.id)));
  pa = ok(s().get_profile(a.id));
  pa.manager_id = c.id;  // a -> c -> b -> a
  EXPECT_TRUE(fails_with(s().set_profile(pa), errc::invalid));
  pa.manager_id = a.id;
  EXPECT_TRUE(fails_with(s().set_profile(pa), errc::invalid));
  ok(s().remove_account("bob@example.com"));
  EXPECT_EQ(ok(s().get_profile(c.id)).manager_id, 0);
  EXPECT_EQ(ok(s().list_profiles("")).size(), 2u);
}

TEST_P(store_suite, group_members_nesting_cycles_and_cascades) {
  auto a = make_account("alice@example.com");
  auto dep = ok(s().add_department("Sales", 0));
  group g1;
  g1.address = "all@example.com";
  g1.owners = {"alice@example.com"};
  g1.policy = send_policy::senders;
  g1.allowed = {"Boss@Example.com"};
  auto x = ok(s().add_group(g1));
  EXPECT_EQ(x.owners, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(x.allowed, std::vector<std::string>{"boss@example.com"});
  EXPECT_TRUE(fails_with(s().add_group(g1), errc::exists));
  group g2;
  g2.address = "sales@example.com";
  auto y = ok(s().add_group(g2));
  ok(s().add_group_member(x.id, group_member{member_kind::account, a.id, ""}));
  EXPECT_TRUE(fails_with(s().add_group_member(x.id, group_member{member_kind::account, a.id, ""}), errc::exists));
  ok(s().add_group_member(x.id, group_member{member_kind::department, dep.id, ""}));
  ok(s().add_group_member(x.id, group_member{member_kind::external, 0, "Partner@Other.example"}));
  ok(s().add_group_member(x.id, group_member{member_kind::group, y.id, ""}));
  // y inside x; x inside y would loop, and so would x inside x.
  EXPECT_TRUE(fails_with(s().add_group_member(y.id, group_member{member_kind::group, x.id, ""}), errc::invalid));
  EXPECT_TRUE(fails_with(s().add_group_member(x.id, group_member{member_kind::group, x.id, ""}), errc::invalid));
  EXPECT_TRUE(fails_with(s().add_group_member(x.id, group_member{member_kind::account, 9999, ""}), errc::not_found));
  auto members = ok(s().list_group_members(x.id));
  ASSERT_EQ(members.size(), 4u);
  EXPECT_EQ(members[0].address, "alice@example.com");
  EXPECT_EQ(members[1].address, "Sales");
  EXPECT_EQ(members[2].address, "partner@other.example");
  EXPECT_EQ(members[3].address, "sales@example.com");
  ok(s().remove_group_member(x.id, group_member{member_kind::external, 0, "partner@other.example"}));
  EXPECT_TRUE(fails_with(s().remove_group_member(x.id, group_member{member_kind::external, 0, "partner@other.example"}),
                         errc::not_found));
  // Removing the account drops its membership and ownership.
  ok(s().remove_account("alice@example.com"));
  EXPECT_EQ(ok(s().list_group_members(x.id)).size(), 2u);
  EXPECT_TRUE(ok(s().find_group("ALL@example.com")).owners.empty());
  ok(s().remove_group(y.id));
  EXPECT_EQ(ok(s().list_group_members(x.id)).size(), 1u);
  EXPECT_EQ(ok(s().list_groups("example.com")).size(), 1u);
}

TEST_P(store_suite, held_messages_count_as_blob_references) {
  make_account("alice@example.com");
  group g;
  g.address = "list@example.com";
  g.moderated = true;
  auto grp = ok(s().add_group(g));
  auto blob = put("held bytes");
  held_message h;
  h.group_id = grp.id;
  h.blob = blob;
  h.mail_from = "someone@else.example";
  auto id1 = ok(s().hold_message(h));
  auto id2 = ok(s().hold_message(h));
  auto held = ok(s().get_held(id1));
  EXPECT_EQ(held.group_address, "list@example.com");
  EXPECT_EQ(held.size, 10u);
  EXPECT_EQ(ok(s().list_held(grp.id)).size(), 2u);
  ok(s().remove_held(id1));
  EXPECT_TRUE(fails_with(s().remove_held(id1), errc::not_found));
  EXPECT_TRUE(s().blobs().contains(blob));
  // Removing the group releases what it held.
  ok(s().remove_group(grp.id));
  EXPECT_TRUE(fails_with(s().get_held(id2), errc::not_found));
  EXPECT_FALSE(s().blobs().contains(blob));
  h.blob = std::string(64, 'a');
  EXPECT_FALSE(s().hold_message(h));
}

TEST_P(store_suite, roles_and_mail_rules) {
  auto a = make_account("alice@example.com");
  auto dep = ok(s().add_department("Sales", 0));
  ok(s().grant_role(role_grant{a.id, "", "domain-admin", "example.com", 0}));
  ok(s().grant_role(role_grant{a.id, "", "department-admin", "", dep.id}));
  ok(s().grant_role(role_grant{a.id, "", "intern", "", 0}));
  EXPECT_TRUE(fails_with(s().grant_role(role_grant{a.id, "", "intern", "", 0}), errc::exists));
  EXPECT_TRUE(fails_with(s().grant_role(role_grant{a.id, "", "Bad Role", "", 0}), errc::invalid));
  EXPECT_TRUE(fails_with(s().grant_role(role_grant{a.id, "", "x", "nowhere.example", 0}), errc::not_found));
  auto roles = ok(s().list_roles(a.id));
  ASSERT_EQ(roles.size(), 3u);
  ok(s().revoke_role(role_grant{a.id, "", "intern", "", 0}));
  EXPECT_TRUE(fails_with(s().revoke_role(role_grant{a.id, "", "intern", "", 0}), errc::not_found));

  mail_rule r;
  r.account_id = a.id;
  r.internal_only = true;
  r.allowed_domains = std::vector<std::string>{"Partner.example", "b.example"};
  ok(s().set_mail_rule(r));
  mail_rule rr;
  rr.role = "intern";
  rr.max_recipients = 5;
  rr.max_message_size = 1024;
  ok(s().set_mail_rule(rr));
  mail_rule both;
  both.account_id = a.id;
  both.role = "x";
  EXPECT_TRUE(fails_with(s().set_mail_rule(both), errc::invalid));
  auto rules = ok(s().list_mail_rules());
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].role, "intern");
  EXPECT_EQ(rules[0].max_recipients, 5u);
  EXPECT_FALSE(rules[0].internal_only.has_value());
  EXPECT_EQ(rules[1].address, "alice@example.com");
  EXPECT_EQ(rules[1].internal_only, true);
  EXPECT_EQ(*rules[1].allowed_domains, (std::vector<std::string>{"partner.example", "b.example"}));
  // Replacing keeps one rule per subject.
  r.internal_only = std::nullopt;
  ok(s().set_mail_rule(r));
  EXPECT_EQ(ok(s().list_mail_rules()).size(), 2u);
  ok(s().remove_account("alice@example.com"));
  EXPECT_EQ(ok(s().list_mail_rules()).size(), 1u);
  ok(s().remove_mail_rule(0, "intern"));
  EXPECT_TRUE(fails_with(s().remove_mail_rule(0, "intern"), errc::not_found));
}

TEST_P(store_suite, address_formats_per_domain) {
  ok(s().add_domain("example.com"));
  EXPECT_EQ(ok(s().address_format("example.com")), "");
  ok(s().set_address_format("example.com", "first.last"));
  EXPECT_EQ(ok(s().address_format("EXAMPLE.com")), "first.last");
  ok(s().set_address_format("example.com", ""));
  EXPECT_EQ(ok(s().address_format("example.com")), "");
  EXPECT_TRUE(fails_with(s().set_address_format("other.example", "f.last"), errc::not_found));
}

// === end of organisation ===


// === account security and offboarding (issue 6 part B) ===

TEST_P(store_suite, password_policy_defaults_and_replace) {
  auto d = ok(s().add_domain("example.com"));
  auto p = ok(s().get_password_policy(d.id));
  EXPECT_EQ(p.domain_id, d.id);
  EXPECT_EQ(p.min_length, 10u);
  EXPECT_TRUE(p.refuse_common);
  p.min_length = 14;
  p.max_age_days = 90;
  p.change_at_first_login = true;
  ok(s().set_password_policy(p));
  p.history = 3;
  ok(s().set_password_policy(p));
  auto back = ok(s().get_password_policy(d.id));
  EXPECT_EQ(back.min_length, 14u);
  EXPECT_EQ(back.max_age_days, 90u);
  EXPECT_EQ(back.history, 3u);
  EXPECT_TRUE(back.change_at_first_login);
  password_policy other;
  other.domain_id = 9999;
  EXPECT_TRUE(fails_with(s().set_password_policy(other), errc::not_found));
}

TEST_P(store_suite, set_password_keeps_history_and_scram_credentials) {
  auto a = make_account("alice@example.com");
  auto sec = ok(s().get_account_security(a.id));
  EXPECT_FALSE(sec.scram_sha256);
  EXPECT_EQ(sec.password_changed, 0);
  scram_credentials c{std::string("salt\0salt", 9), 4096, std::string(32, '\x01'), std::string(32, '\x02')};
  ok(s().set_password(a.id, "hash-1", c, false, 1000, 2));
  ok(s().set_password(a.id, "hash-2", std::nullopt, true, 2000, 2));
  ok(s().set_password(a.id, "hash-3", c, false, 3000, 2));
  ok(s().set_password(a.id, "hash-4", c, false, 4000, 2));
  EXPECT_EQ(ok(s().get_account(a.id)).password_hash, "hash-4");
  EXPECT_EQ(ok(s().password_history(a.id)), (std::vector<std::string>{"hash-3", "hash-2"}));
  sec = ok(s().get_account_security(a.id));
  ASSERT_TRUE(sec.scram_sha256);
  EXPECT_EQ(sec.scram_sha256->salt, std::string("salt\0salt", 9));
  EXPECT_EQ(sec.scram_sha256->iterations, 4096u);
  EXPECT_EQ(sec.scram_sha256->stored_key, std::string(32, '\x01'));
  EXPECT_EQ(sec.password_changed, 4000);
  EXPECT_FALSE(sec.must_change_password);
  ok(s().set_expiry_warned(a.id, 4500));
  ok(s().set_must_change_password(a.id, true));
  sec = ok(s().get_account_security(a.id));
  EXPECT_EQ(sec.expiry_warned, 4500);
  EXPECT_TRUE(sec.must_change_password);
  // A new password clears the warning mark; no history kept when asked for none.
  ok(s().set_password(a.id, "hash-5", std::nullopt, false, 5000, 0));
  sec = ok(s().get_account_security(a.id));
  EXPECT_EQ(sec.expiry_warned, 0);
  EXPECT_FALSE(sec.scram_sha256);
  EXPECT_TRUE(ok(s().password_history(a.id)).empty());
  EXPECT_TRUE(fails_with(s().set_password(9999, "x", std::nullopt, false, 1, 1), errc::not_found));
}

TEST_P(store_suite, totp_steps_are_accepted_once) {
  auto a = make_account("alice@example.com");
  ok(s().set_totp_secret(a.id, std::string("\x00\x01secret", 8)));
  EXPECT_EQ(ok(s().get_account_security(a.id)).totp_secret, std::string("\x00\x01secret", 8));
  EXPECT_TRUE(ok(s().use_totp_step(a.id, 100)));
  EXPECT_FALSE(ok(s().use_totp_step(a.id, 100)));  // replay
  EXPECT_FALSE(ok(s().use_totp_step(a.id, 99)));   // older
  EXPECT_TRUE(ok(s().use_totp_step(a.id, 101)));
  ok(s().set_totp_secret(a.id, ""));
  auto sec = ok(s().get_account_security(a.id));
  EXPECT_TRUE(sec.totp_secret.empty());
  EXPECT_EQ(sec.totp_last_step, 0);
}

TEST_P(store_suite, totp_step_race_has_one_winner) {
  auto a = make_account("alice@example.com");
  ok(s().set_totp_secret(a.id, "k"));
  std::atomic<int> wins = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = s().use_totp_step(a.id, 500);
      if (r && *r) ++wins;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wins.load(), 1);
}

TEST_P(store_suite, app_passwords) {
  auto a = make_account("alice@example.com");
  auto b = make_account("bob@example.com");
  app_password p;
  p.account_id = a.id;
  p.name = "phone";
  p.hash = "h1";
  p.protocols = {"smtp", "imap", "imap"};
  auto added = ok(s().add_app_password(p));
  EXPECT_GT(added.id, 0);
  EXPECT_EQ(added.protocols, (std::vector<std::string>{"imap", "smtp"}));
  EXPECT_TRUE(fails_with(s().add_app_password(p), errc::exists));
  p.account_id = b.id;
  ok(s().add_app_password(p));  // the same name in another account
  p.account_id = a.id;
  p.name = "laptop";
  p.protocols = {"pop3"};
  ok(s().add_app_password(p));
  p.protocols = {};
  p.name = "none";
  EXPECT_TRUE(fails_with(s().add_app_password(p), errc::invalid));
  auto list = ok(s().list_app_passwords(a.id));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "laptop");
  EXPECT_EQ(list[1].name, "phone");
  ok(s().touch_app_password(list[1].id, 12345));
  EXPECT_EQ(ok(s().list_app_passwords(a.id))[1].last_used, 12345);
  ok(s().remove_app_password(a.id, "laptop"));
  EXPECT_TRUE(fails_with(s().remove_app_password(a.id, "laptop"), errc::not_found));
  EXPECT_EQ(ok(s().remove_app_passwords(a.id)), 1u);
  EXPECT_TRUE(ok(s().list_app_passwords(a.id)).empty());
  EXPECT_EQ(ok(s().list_app_passwords(b.id)).size(), 1u);
  ok(s().remove_account("bob@example.com"));  // app passwords go with the account
  auto c = make_account("bob@example.com");
  EXPECT_TRUE(ok(s().list_app_passwords(c.id)).empty());
}

TEST_P(store_suite, login_throttle_counts_blocks_and_windows) {
  using std::chrono::seconds;
  auto t = ok(s().record_login_failure("ip:192.0.2.1", 1000, seconds(60), 3, seconds(600)));
  EXPECT_EQ(t.failures, 1u);
  EXPECT_EQ(t.blocked_until, 0);
  ok(s().record_login_failure("ip:192.0.2.1", 1010, seconds(60), 3, seconds(600)));
  t = ok(s().record_login_failure("ip:192.0.2.1", 1020, seconds(60), 3, seconds(600)));
  EXPECT_EQ(t.blocked_until, 1620);
  // A window that has passed restarts the count.
  ok(s().record_login_failure("ip:192.0.2.2", 1000, seconds(60), 3, seconds(600)));
  ok(s().record_login_failure("ip:192.0.2.2", 1001, seconds(60), 3, seconds(600)));
  t = ok(s().record_login_failure("ip:192.0.2.2", 2000, seconds(60), 3, seconds(600)));
  EXPECT_EQ(t.failures, 1u);
  EXPECT_EQ(t.blocked_until, 0);
  ok(s().record_login_failure("account:192.0.2.1|7", 1000, seconds(60), 1, seconds(300)));
  auto got = ok(s().get_login_throttles({"ip:192.0.2.1", "ip:198.51.100.9", "ip:192.0.2.2"}));
  EXPECT_EQ(got.size(), 2u);
  auto blocks = ok(s().list_login_blocks(1100));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].key, "account:192.0.2.1|7");
  EXPECT_EQ(blocks[1].key, "ip:192.0.2.1");
  EXPECT_EQ(ok(s().list_login_blocks(1700)).size(), 0u);
  EXPECT_EQ(ok(s().remove_login_throttles({"account:192.0.2.1|"})), 1u);
  ok(s().clear_login_throttle("ip:192.0.2.1"));
  EXPECT_TRUE(ok(s().list_login_blocks(1100)).empty());
  EXPECT_EQ(ok(s().get_login_throttles({"ip:192.0.2.2"})).size(), 1u);
}

TEST_P(store_suite, login_history_and_networks) {
  auto a = make_account("alice@example.com");
  for (int i = 0; i < 7; ++i) {
    ok(s().add_login_event(login_event{a.id, 1000 + i, "192.0.2.1", "imap", i % 2 ? "ok" : "failed"}, 5));
  }
  auto events = ok(s().list_login_events(a.id, 100));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].time, 1006);
  EXPECT_EQ(events[0].result, "failed");
  EXPECT_EQ(events[4].time, 1002);
  EXPECT_EQ(ok(s().list_login_events(a.id, 2)).size(), 2u);
  EXPECT_EQ(ok(s().note_login_network(a.id, "192.0.2.0/24", 1)), network_seen::first);
  EXPECT_EQ(ok(s().note_login_network(a.id, "192.0.2.0/24", 2)), network_seen::known);
  EXPECT_EQ(ok(s().note_login_network(a.id, "2001:db8::/64", 3)), network_seen::new_network);
  EXPECT_EQ(ok(s().note_login_network(a.id, "2001:db8::/64", 4)), network_seen::known);
}

TEST_P(store_suite, disable_account) {
  auto a = make_account("alice@example.com");
  ok(s().set_account_disabled(a.id, true));
  EXPECT_TRUE(ok(s().get_account(a.id)).disabled);
  ok(s().set_account_disabled(a.id, false));
  EXPECT_FALSE(ok(s().find_account("alice@example.com")).disabled);
  EXPECT_TRUE(fails_with(s().set_account_disabled(9999, true), errc::not_found));
}

TEST_P(store_suite, offboarding_records_and_auto_reply_log) {
  auto a = make_account("old@example.com");
  auto b = make_account("new@example.com");
  offboarding o;
  o.account_id = a.id;
  o.successor_id = b.id;
  o.forward = true;
  o.auto_reply = "I left / 我已离职";
  o.moved_groups = {4, -7};
  ok(s().add_offboarding(o));
  EXPECT_TRUE(fails_with(s().add_offboarding(o), errc::exists));
  auto back = ok(s().get_offboarding(a.id));
  EXPECT_EQ(back.successor, "new@example.com");
  EXPECT_TRUE(back.forward);
  EXPECT_FALSE(back.transferred);
  EXPECT_EQ(back.auto_reply, "I left / 我已离职");
  EXPECT_EQ(back.moved_groups, (std::vector<id_t>{4, -7}));
  EXPECT_GT(back.created, 0);
  using std::chrono::seconds;
  EXPECT_TRUE(ok(s().note_auto_reply(a.id, "Sender@Other.example", 1000, seconds(100))));
  EXPECT_FALSE(ok(s().note_auto_reply(a.id, "sender@other.example", 1050, seconds(100))));
  EXPECT_TRUE(ok(s().note_auto_reply(a.id, "sender@other.example", 1101, seconds(100))));
  ok(s().remove_offboarding(a.id));
  EXPECT_TRUE(fails_with(s().get_offboarding(a.id), errc::not_found));
  EXPECT_TRUE(fails_with(s().remove_offboarding(a.id), errc::not_found));
  // The log went with the record: a new offboarding answers again at once.
  ok(s().add_offboarding(o));
  EXPECT_TRUE(ok(s().note_auto_reply(a.id, "sender@other.example", 1102, seconds(100))));
  o.successor_id = a.id;
  EXPECT_TRUE(fails_with(s().add_offboarding(o), errc::invalid));
  // Removing the successor removes the record.
  ok(s().remove_account("new@example.com"));
  EXPECT_TRUE(fails_with(s().get_offboarding(a.id), errc::not_found));
}

// === end of account security ===

}  // namespace
}  // namespace letterhead::store
