// Keys in a real (SQLite) store: generation, rotation, the signer for a domain, and
// what gets published.
#include "mailauth/dkim_keys.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_verify.hpp"

namespace letterhead::mailauth {
namespace {

constexpr std::int64_t nov_2026 = 1795930000;  // 2026-11-29

class dkim_keys_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("letterhead-dkim-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto s = store::open(store::store_options{.backend = "sqlite", .url = "", .data_dir = dir_.string()});
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->add_domain("example.com"));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  txt_lookup lookup_published(std::int64_t now) {
    auto keys = store_->list_dkim_keys("");
    EXPECT_TRUE(keys);
    std::vector<std::pair<std::string, std::string>> zone;
    for (const auto& k : *keys) {
      if (should_publish(k, now)) zone.emplace_back(dns_record_name(k), dns_record_text(k));
    }
    return [zone](std::string_view name) {
      for (const auto& [n, txt] : zone) {
        if (n == name) return txt_answer{txt_answer::status::ok, {txt}, ""};
      }
      return txt_answer{txt_answer::status::not_found, {}, ""};
    };
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::store> store_;
};

constexpr std::string_view msg = "From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n";

TEST_F(dkim_keys_test, GenerateSignVerify) {
  EXPECT_EQ(default_selector_prefix(nov_2026), "lh202611");
  auto keys = create_domain_keys(*store_, "Example.com", {.selector_prefix = "", .now = nov_2026});
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].selector, "lh202611r");
  EXPECT_EQ((*keys)[0].algorithm, "rsa-sha256");
  EXPECT_EQ((*keys)[1].selector, "lh202611e");
  EXPECT_EQ((*keys)[1].algorithm, "ed25519-sha256");
  EXPECT_EQ(dns_record_name((*keys)[0]), "lh202611r._domainkey.example.com");
  EXPECT_TRUE(dns_record_text((*keys)[1]).starts_with("v=DKIM1; k=ed25519; p="));
  auto rec = parse_dkim_key_record(dns_record_text((*keys)[0]));
  ASSERT_TRUE(rec);
  EXPECT_EQ(public_key::from_dns(key_type::rsa, rec->public_key)->bits(), 2048u);

  // A second generate is refused: rotation is the way to replace keys.
  auto again = create_domain_keys(*store_, "example.com", {.selector_prefix = "", .now = nov_2026});
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::errc::exists);

  auto signer = signer_for_domain(*store_, "example.com");
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ(signer->key_count(), 2u);
  auto fields = signer->sign(msg, nov_2026);
  ASSERT_TRUE(fields);
  verify_options o;
  o.now = nov_2026;
  const auto v = verify_dkim(*fields + std::string(msg), lookup_published(nov_2026), o);
  ASSERT_EQ(v.signatures.size(), 2u);
  EXPECT_EQ(v.signatures[0].result, dkim_result::pass) << v.signatures[0].reason;
  EXPECT_EQ(v.signatures[0].selector, "lh202611e");
  EXPECT_EQ(v.signatures[1].result, dkim_result::pass) << v.signatures[1].reason;

  EXPECT_EQ(signer_for_domain(*store_, "other.example").error().code, core::errc::not_found);
}

TEST_F(dkim_keys_test, RotateRetiresAndKeepsPublishingForAWhile) {
  ASSERT_TRUE(create_domain_keys(*store_, "example.com", {.selector_prefix = "", .now = nov_2026}));
  auto old_signer = signer_for_domain(*store_, "example.com");
  ASSERT_TRUE(old_signer);
  const std::string old_signed = *old_signer->sign(msg, nov_2026) + std::string(msg);

  auto r = rotate_domain_keys(*store_, "example.com", {.selector_prefix = "", .now = nov_2026 + 86400});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->added.size(), 2u);
  ASSERT_EQ(r->retired.size(), 2u);
  EXPECT_EQ(r->added[0].selector, "lh202611v2r");  // same month: a counter
  EXPECT_EQ(r->added[1].selector, "lh202611v2e");

  auto all = store_->list_dkim_keys("example.com");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 4u);
  int active = 0;
  for (const auto& k : *all) {
    if (k.status == store::dkim_key::state::active) ++active;
  }
  EXPECT_EQ(active, 2);

  // The new keys sign.
  auto signer = signer_for_domain(*store_, "example.com");
  ASSERT_TRUE(signer);
  const std::string fields = *signer->sign(msg, nov_2026 + 86400);
  EXPECT_NE(fields.find("s=lh202611v2e;"), std::string::npos);
  EXPECT_NE(fields.find("s=lh202611v2r;"), std::string::npos);
  // Mail signed with the old keys still verifies while their records stay published...
  verify_options o;
  o.now = nov_2026 + 2 * 86400;
  EXPECT_TRUE(verify_dkim(old_signed, lookup_published(o.now), o).any_pass());
  // ...and not after.
  o.now = nov_2026 + 86400 + retired_key_publish_seconds + 1;
  const auto late = verify_dkim(old_signed, lookup_published(o.now), o);
  EXPECT_FALSE(late.any_pass());
  EXPECT_EQ(late.signatures[0].reason, "no key for signature");

  // Explicit prefix.
  auto r2 = rotate_domain_keys(*store_, "example.com", {.selector_prefix = "Mail2027", .now = nov_2026 + 2 * 86400});
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r2->added[0].selector, "mail2027r");
  EXPECT_FALSE(rotate_domain_keys(*store_, "example.com", {.selector_prefix = "mail2027", .now = nov_2026}));
  EXPECT_FALSE(rotate_domain_keys(*store_, "example.com", {.selector_prefix = "bad_prefix", .now = nov_2026}));
}

}  // namespace
}  // namespace letterhead::mailauth
