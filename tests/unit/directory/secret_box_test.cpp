// Sealing secrets at rest (directory/secret_box.hpp) and the key file.

#include "directory/secret_box.hpp"

#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace letterhead::directory {
namespace {

namespace fs = std::filesystem;

// The "lhs1" form as the previous release wrote it: secretbox, not bound to anything.
std::string seal_v1(std::string_view key, std::string_view plain) {
  std::string out = "lhs1";
  out.resize(4 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + 4);
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), nonce, reinterpret_cast<const unsigned char*>(key.data()));
  return out;
}

class temp_dir {
 public:
  temp_dir() {
    path_ = fs::temp_directory_path() / ("lh-secret-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(path_);
  }
  ~temp_dir() { fs::remove_all(path_); }
  [[nodiscard]] std::string file(std::string_view name) const { return (path_ / name).string(); }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(secret_box, round_trip_and_fresh_nonces) {
  const auto key = make_secret_key();
  ASSERT_EQ(key.size(), secret_key_bytes);
  const std::string secret = "12345678901234567890";
  const auto a = seal_secret(key, secret, "account:7");
  const auto b = seal_secret(key, secret, "account:7");
  EXPECT_NE(a, b);                               // a new nonce each time
  EXPECT_EQ(a.find(secret), std::string::npos);  // the seed is not in the stored form
  EXPECT_TRUE(a.starts_with("lhs2"));
  auto opened = open_secret(key, a, "account:7");
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->plain, secret);
  EXPECT_FALSE(opened->needs_reseal);
  EXPECT_EQ(open_secret(key, b, "account:7").value().plain, secret);
}

TEST(secret_box, a_seed_copied_to_another_account_does_not_open) {
  const auto key = make_secret_key();
  const auto sealed = seal_secret(key, "seed-of-account-seven", "account:7");
  EXPECT_FALSE(open_secret(key, sealed, "account:8"));
  EXPECT_FALSE(open_secret(key, sealed, ""));
}

TEST(secret_box, tampering_and_the_wrong_key_are_refused) {
  const auto key = make_secret_key();
  auto sealed = seal_secret(key, "seed-seed-seed-seed!", "a");
  EXPECT_FALSE(open_secret(make_secret_key(), sealed, "a"));
  EXPECT_FALSE(open_secret("", sealed, "a"));
  sealed.back() = static_cast<char>(sealed.back() ^ 1);
  EXPECT_FALSE(open_secret(key, sealed, "a"));
  EXPECT_FALSE(open_secret(key, "lhs2short", "a"));
  EXPECT_FALSE(open_secret(key, "lhs1short", "a"));
}

TEST(secret_box, older_forms_open_and_ask_to_be_sealed_again) {
  const auto key = make_secret_key();
  auto legacy = open_secret(key, "legacy-raw-seed", "a");
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->plain, "legacy-raw-seed");
  EXPECT_TRUE(legacy->needs_reseal);
  auto v1 = open_secret(key, seal_v1(key, "old-sealed-seed"), "a");
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->plain, "old-sealed-seed");
  EXPECT_TRUE(v1->needs_reseal);
  EXPECT_FALSE(open_secret(make_secret_key(), seal_v1(key, "old-sealed-seed"), "a"));
  EXPECT_EQ(seal_secret("", "plain", "a"), "plain");  // no key file: stored as it is
  EXPECT_EQ(seal_secret(key, "", "a"), "");           // empty means TOTP off: never sealed
}

TEST(secret_key_file, made_once_with_mode_0600_and_read_back) {
  temp_dir d;
  const auto path = d.file("secret.key");
  auto made = load_or_create_secret_key(path);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->size(), secret_key_bytes);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(secret_key_bytes));
  EXPECT_EQ(load_or_create_secret_key(path).value(), *made);
  // No temporary file is left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(d.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(secret_key_file, an_empty_or_short_file_is_refused_not_replaced) {
  temp_dir d;
  const auto path = d.file("secret.key");
  { std::ofstream(path, std::ios::binary).flush(); }  // what a crash after create() used to leave
  auto empty = load_or_create_secret_key(path);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("0 bytes"), std::string::npos) << empty.error().message;
  EXPECT_NE(empty.error().message.find("backup"), std::string::npos);
  EXPECT_EQ(fs::file_size(path), 0u);  // left for the admin to decide
  { std::ofstream(path, std::ios::binary) << "short"; }
  EXPECT_FALSE(load_or_create_secret_key(path));
  { std::ofstream(path, std::ios::binary) << std::string(secret_key_bytes + 1, 'k'); }
  EXPECT_FALSE(load_or_create_secret_key(path));
}

TEST(secret_key_file, an_unwritable_directory_is_an_error_not_an_empty_file) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere";
  temp_dir d;
  fs::permissions(d.path(), fs::perms::owner_read | fs::perms::owner_exec);
  EXPECT_FALSE(load_or_create_secret_key(d.file("secret.key")));
  fs::permissions(d.path(), fs::perms::owner_all);
  EXPECT_FALSE(fs::exists(d.file("secret.key")));
}

}  // namespace
}  // namespace letterhead::directory
