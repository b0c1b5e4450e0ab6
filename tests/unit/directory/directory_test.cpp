// The directory's rules on top of a real (SQLite) store in a temporary directory.
#include "directory/directory.hpp"

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store/store.hpp"

namespace letterhead::directory {
namespace {

// Cheap hashing keeps the suite fast; production cost is tested in password_test.
constexpr password_cost test_cost{1, 8192};

class directory_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("letterhead-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = store::open(store::store_options{.backend = "sqlite", .url = "", .data_dir = dir_.string()});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    dir = std::make_unique<directory>(*store_, test_cost);
    ASSERT_TRUE(dir->add_domain("Example.COM", "test"));
    auto a = dir->add_user({"alice@example.com", "Alice", "Sunny-Garden-42", 0}, "test");
    ASSERT_TRUE(a) << a.error().message;
    ASSERT_TRUE(dir->add_user({"bob@example.com", "Bob", "Quiet-River-77", 0}, "test"));
  }
  void TearDown() override {
    dir.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::store> store_;
  std::unique_ptr<directory> dir;
};

// is_local_domain remembers its answers: through this directory a change shows at
// once; made elsewhere (here a second directory on the same store, as the CLI is
// another process) a new domain shows within not_local_ttl.
TEST_F(directory_test, local_domain_answers_are_cached_briefly) {
  EXPECT_TRUE(*dir->is_local_domain("EXAMPLE.com"));
  EXPECT_FALSE(*dir->is_local_domain("other.example"));
  ASSERT_TRUE(dir->add_domain("other.example", "test"));
  EXPECT_TRUE(*dir->is_local_domain("other.example"));
  ASSERT_TRUE(dir->remove_domain("other.example", "test"));
  EXPECT_FALSE(*dir->is_local_domain("other.example"));

  directory elsewhere(*store_, test_cost);
  EXPECT_FALSE(*dir->is_local_domain("third.example"));
  ASSERT_TRUE(elsewhere.add_domain("third.example", "test"));
  EXPECT_FALSE(*dir->is_local_domain("third.example"));  // the remembered no
  std::this_thread::sleep_for(directory::not_local_ttl + std::chrono::milliseconds(100));
  EXPECT_TRUE(*dir->is_local_domain("third.example"));
}

TEST_F(directory_test, addresses_are_validated_and_normalised) {
  EXPECT_EQ(parse_address("Alice@EXAMPLE.com.")->str(), "Alice@example.com");
  EXPECT_FALSE(parse_address("no-at-sign"));
  EXPECT_FALSE(parse_address("@example.com"));
  EXPECT_FALSE(parse_address("a..b@example.com"));
  EXPECT_FALSE(parse_address(".a@example.com"));
  EXPECT_FALSE(parse_address(std::string(65, 'a') + "@example.com"));
  EXPECT_FALSE(parse_address("a b@example.com"));
  EXPECT_FALSE(parse_address("a@-bad.example"));
  EXPECT_FALSE(parse_address("a@exa_mple.com"));
  EXPECT_FALSE(parse_address("a@例子.com"));
  EXPECT_TRUE(parse_address("a@xn--fsqu00a.com"));
  EXPECT_TRUE(parse_address("张伟@example.com"));  // RFC 6531 local part
}

TEST_F(directory_test, users_need_our_domain_and_a_good_password) {
  auto r = dir->add_user({"carol@other.example", "", "Carol-Pass-123", 0}, "test");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::errc::not_found);
  EXPECT_EQ(dir->add_user({"carol@example.com", "", "short", 0}, "test").error().code, core::errc::invalid);
  EXPECT_EQ(dir->add_user({"carol@example.com", "", "carolcarolcarol1", 0}, "test").error().code,
            core::errc::invalid);  // contains the local part
  EXPECT_EQ(dir->add_user({"carol@example.com", "", "onlylowercaseletters", 0}, "test").error().code,
            core::errc::invalid);  // one character class
  EXPECT_EQ(dir->add_user({"alice@example.com", "", "Sunny-Garden-42", 0}, "test").error().code,
            core::errc::exists);
}

TEST_F(directory_test, authenticate_without_enumeration) {
  auto ok = dir->authenticate("ALICE@example.com", "Sunny-Garden-42");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->address, "alice@example.com");
  // Cached path returns the same answer.
  EXPECT_TRUE(dir->authenticate("alice@example.com", "Sunny-Garden-42"));
  auto wrong = dir->authenticate("alice@example.com", "nope-nope-1");
  auto unknown = dir->authenticate("nobody@example.com", "nope-nope-1");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, core::errc::denied);
  EXPECT_EQ(unknown.error().code, core::errc::denied);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
  // A password change invalidates the cached login.
  ASSERT_TRUE(dir->set_password("alice@example.com", "New-Sunny-Pass-9", "test"));
  EXPECT_FALSE(dir->authenticate("alice@example.com", "Sunny-Garden-42"));
  EXPECT_TRUE(dir->authenticate("alice@example.com", "New-Sunny-Pass-9"));
}

TEST_F(directory_test, resolve_accounts_aliases_catch_all_and_loops) {
  ASSERT_TRUE(dir->add_alias("team@example.com", {"alice@example.com", "bob@example.com", "x@partner.example"}, "t"));
  ASSERT_TRUE(dir->add_alias("loop1@example.com", {"loop2@example.com", "alice@example.com"}, "t"));
  ASSERT_TRUE(dir->add_alias("loop2@example.com", {"loop1@example.com"}, "t"));
  ASSERT_TRUE(dir->add_alias("gone@example.com", {"removed@example.com", "bob@example.com"}, "t"));

  auto team = dir->resolve("TEAM@example.com");
  ASSERT_TRUE(team) << team.error().message;
  EXPECT_EQ(team->accounts.size(), 2u);
  EXPECT_EQ(team->external, std::vector<std::string>{"x@partner.example"});

  auto loop = dir->resolve("loop2@example.com");
  ASSERT_TRUE(loop) << loop.error().message;
  EXPECT_EQ(loop->accounts.size(), 1u);

  auto gone = dir->resolve("gone@example.com");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->accounts.size(), 1u);

  EXPECT_EQ(dir->resolve("nobody@example.com").error().code, core::errc::not_found);
  ASSERT_TRUE(dir->set_catch_all("example.com", "bob@example.com", "t"));
  auto caught = dir->resolve("nobody@example.com");
  ASSERT_TRUE(caught);
  EXPECT_EQ(caught->accounts.size(), 1u);

  auto foreign = dir->resolve("someone@elsewhere.example");
  ASSERT_TRUE(foreign);
  EXPECT_TRUE(foreign->accounts.empty());
  EXPECT_EQ(foreign->external, std::vector<std::string>{"someone@elsewhere.example"});
}

TEST_F(directory_test, alias_and_account_names_do_not_collide) {
  EXPECT_EQ(dir->add_alias("alice@example.com", {"bob@example.com"}, "t").error().code, core::errc::exists);
  ASSERT_TRUE(dir->add_alias("sales@example.com", {"bob@example.com"}, "t"));
  EXPECT_EQ(dir->add_user({"sales@example.com", "", "Sales-Pass-123", 0}, "t").error().code, core::errc::exists);
  EXPECT_EQ(dir->add_alias("x@other.example", {"bob@example.com"}, "t").error().code, core::errc::not_found);
}

TEST_F(directory_test, may_send_as_own_address_and_aliases_only) {
  ASSERT_TRUE(dir->add_alias("sales@example.com", {"alice@example.com"}, "t"));
  auto alice = store_->find_account("alice@example.com");
  ASSERT_TRUE(alice);
  EXPECT_TRUE(*dir->may_send_as(*alice, "Alice@Example.com"));
  EXPECT_TRUE(*dir->may_send_as(*alice, "sales@example.com"));
  EXPECT_FALSE(*dir->may_send_as(*alice, "bob@example.com"));
  EXPECT_FALSE(*dir->may_send_as(*alice, "alice@evil.example"));
}

TEST_F(directory_test, admin_actions_are_audited) {
  ASSERT_TRUE(dir->add_alias("sales@example.com", {"alice@example.com"}, "admin@example.com"));
  ASSERT_TRUE(dir->set_password("bob@example.com", "Another-River-78", "admin@example.com"));
  auto log = store_->list_audit(10);
  ASSERT_TRUE(log);
  ASSERT_GE(log->size(), 2u);
  EXPECT_EQ((*log)[0].action, "user.passwd");
  EXPECT_EQ((*log)[0].actor, "admin@example.com");
  for (const auto& r : *log) EXPECT_EQ(r.detail.find("Another-River-78"), std::string::npos);
}

TEST(password, argon2id_round_trip_at_production_cost) {
  auto h = hash_password("Correct-Horse-42");
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  EXPECT_TRUE(verify_password(*h, "Correct-Horse-42"));
  EXPECT_FALSE(verify_password(*h, "correct-horse-42"));
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
}

}  // namespace
}  // namespace letterhead::directory
