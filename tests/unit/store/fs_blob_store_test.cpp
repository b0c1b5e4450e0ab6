// The filesystem blob store and its pins, on their own.

#include <sys/stat.h>
#include <utime.h>

#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "store/blobs/fs_blob_store.hpp"
#include "store/blobs/pinning_blob_store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using testing::fails_with;
using testing::ok;
using core::errc;

std::size_t count_files(const std::filesystem::path& root) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) ++n;
  }
  return n;
}

TEST(sha256_hex, known_vectors) {
  // FIPS 180-2 appendix B.1 and the empty string.
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(fs_blob_store, put_get_layout) {
  testing::temp_dir dir;
  auto blobs = ok(fs_blob_store::open(dir.path() / "blobs"));
  const std::string bytes = "Subject: hi\r\n\r\nbody\r\n";
  auto hash = ok(blobs->put(bytes));
  EXPECT_EQ(hash, sha256_hex(bytes));
  auto path = dir.path() / "blobs" / hash.substr(0, 2) / hash.substr(2, 2) / hash;
  EXPECT_EQ(blobs->path_of(hash), path);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  EXPECT_EQ(ok(blobs->get(hash)), bytes);
  EXPECT_TRUE(blobs->contains(hash));
  EXPECT_EQ(ok(blobs->size(hash)), bytes.size());

  EXPECT_EQ(ok(blobs->put(bytes)), hash);
  EXPECT_EQ(count_files(dir.path() / "blobs"), 1u) << "stored once, no temporary files left";

  auto empty = ok(blobs->put(""));
  EXPECT_EQ(ok(blobs->get(empty)), "");

  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 % 251);
  auto big_hash = ok(blobs->put(big));
  EXPECT_EQ(ok(blobs->get(big_hash)), big);
}

TEST(fs_blob_store, remove_and_missing) {
  testing::temp_dir dir;
  auto blobs = ok(fs_blob_store::open(dir.path()));
  auto hash = ok(blobs->put("bye"));
  ok(blobs->remove(hash));
  EXPECT_FALSE(blobs->contains(hash));
  EXPECT_TRUE(fails_with(blobs->get(hash), errc::not_found));
  EXPECT_TRUE(fails_with(blobs->size(hash), errc::not_found));
  ok(blobs->remove(hash));  // idempotent
}

TEST(fs_blob_store, refuses_names_that_are_not_hashes) {
  testing::temp_dir dir;
  auto blobs = ok(fs_blob_store::open(dir.path()));
  for (const char* bad : {"../../etc/passwd", "", "ABCDEF", "zz", "/etc/passwd"}) {
    EXPECT_TRUE(fails_with(blobs->get(bad), errc::invalid)) << bad;
    EXPECT_TRUE(fails_with(blobs->remove(bad), errc::invalid)) << bad;
    EXPECT_FALSE(blobs->contains(bad)) << bad;
  }
  std::string upper(64, 'A');
  EXPECT_TRUE(fails_with(blobs->get(upper), errc::invalid));
  EXPECT_TRUE(fails_with(blobs->put_hashed("../x", "bytes", fs_blob_store::durability::now), errc::invalid));
}

TEST(fs_blob_store, open_error_names_the_path) {
  testing::temp_dir dir;
  auto file = dir.path() / "a-file";
  std::ofstream(file) << "not a directory";
  auto r = fs_blob_store::open(file / "blobs");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find((file / "blobs").string()), std::string::npos) << r.error().message;
}

TEST(fs_blob_store, scan_reports_blobs_and_removes_stale_temp_files) {
  testing::temp_dir dir;
  auto blobs = ok(fs_blob_store::open(dir.path()));
  auto a = ok(blobs->put("a"));
  auto b = ok(blobs->put("b"));
  auto dir_of_a = blobs->path_of(a).parent_path();
  auto stale = dir_of_a / ".tmp.stale";
  auto fresh = dir_of_a / ".tmp.fresh";
  std::ofstream(stale) << "half a blob";
  std::ofstream(fresh) << "a put in progress";
  struct utimbuf old_times {
    1000000000, 1000000000
  };
  ASSERT_EQ(::utime(stale.c_str(), &old_times), 0);

  std::set<std::string> seen;
  ok(blobs->scan([&](std::string_view hash, unix_time mtime) {
    seen.emplace(hash);
    EXPECT_GT(mtime, 0);
  }, 3600));
  EXPECT_EQ(seen, (std::set<std::string>{a, b}));
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(fresh));
}

TEST(pinning_blob_store, a_pending_put_keeps_its_blob) {
  testing::temp_dir dir;
  pinning_blob_store blobs(ok(fs_blob_store::open(dir.path())));
  auto hash = ok(blobs.put("pinned"));
  EXPECT_TRUE(blobs.pinned(hash));
  EXPECT_FALSE(ok(blobs.remove_unless_pinned(hash))) << "the put's rows are not committed yet";
  EXPECT_TRUE(blobs.contains(hash));

  EXPECT_EQ(ok(blobs.put("pinned")), hash);  // two puts, two pins
  blobs.unpin({hash});
  EXPECT_TRUE(blobs.pinned(hash));
  blobs.unpin({hash});
  EXPECT_FALSE(blobs.pinned(hash));
  EXPECT_TRUE(ok(blobs.remove_unless_pinned(hash)));
  EXPECT_FALSE(blobs.contains(hash));

  // A put after the removal writes the file again.
  EXPECT_EQ(ok(blobs.put("pinned")), hash);
  EXPECT_EQ(ok(blobs.get(hash)), "pinned");
}

}  // namespace
}  // namespace letterhead::store
