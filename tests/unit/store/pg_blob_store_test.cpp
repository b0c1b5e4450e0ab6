// Blobs in the PostgreSQL database (store/postgres/pg_blob_store.*, [store] blobs =
// "database") against a real server (pg_server.hpp): durability across a reopen, a
// blob of tens of megabytes, concurrent puts of the same bytes, pins against removal,
// the orphan sweep, and two stores ("nodes") on one database with no shared directory.
// The backend suite (store_suite_test.cpp) runs every store case on this too.

#include "store/postgres/pg_blob_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "pg_server.hpp"
#include "store/blobs/pinning_blob_store.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using postgres::pg_blob_store;
using testing::fails_with;
using testing::ok;
using testing::pg_server;

class pg_blobs : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& server = pg_server::instance();
    database_ = server.create_database();
    conninfo_ = server.conninfo(database_);
    // The schema (blob_data is version 12), as any command makes it.
    testing::temp_dir dir;
    (void)node(dir);
  }

  // A node: a store on the shared database with a data directory of its own.
  std::unique_ptr<store> node(const testing::temp_dir& dir) {
    store_options o;
    o.backend = "postgres";
    o.blobs = "database";
    o.url = conninfo_;
    o.data_dir = dir.path().string();
    return ok(open(o));
  }

  std::int64_t number(const std::string& sql) {
    auto db = ok(postgres::connection::open(conninfo_, false));
    return ok(db->run_returning(sql));
  }

  void age_rows(std::int64_t seconds) {
    pg_server::instance().execute(database_, "UPDATE blob_data SET created = created - " + std::to_string(seconds));
  }

  static id_t deliver_to(store& s, std::string_view address, const std::string& blob) {
    auto found = s.find_account(address);
    if (!found) {
      auto at = address.rfind('@');
      auto domain = std::string(address.substr(at + 1));
      if (!s.find_domain(domain)) ok(s.add_domain(domain));
      account a;
      a.address = std::string(address);
      found = ok(s.add_account(a));
    }
    delivery d;
    d.blob = blob;
    d.targets.push_back(delivery_target{found->id, mailbox_role::inbox, 0, {}});
    auto out = ok(s.deliver(d));
    return out.at(0).mailbox_id;
  }

  std::string database_;
  std::string conninfo_;
};

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    auto v = rng();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>(v >> (8 * j));
  }
  return out;
}

TEST_F(pg_blobs, delivered_bytes_survive_a_reopen_and_no_file_is_written) {
  testing::temp_dir dir;
  std::string blob;
  const std::string bytes = "Subject: kept\r\n\r\nin the database\r\n";
  {
    auto s = node(dir);
    blob = ok(s->blobs().put_deferred(bytes));
    deliver_to(*s, "a@example.com", blob);
  }
  auto s = node(dir);
  EXPECT_EQ(ok(s->blobs().get(blob)), bytes);
  EXPECT_EQ(number("SELECT count(*) FROM blob_data"), 1);
  EXPECT_EQ(number("SELECT size FROM blob_data"), static_cast<std::int64_t>(bytes.size()));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "blobs")) << "no blob directory with blobs in the database";
}

TEST_F(pg_blobs, a_large_blob_round_trips_and_is_not_sent_twice) {
  auto blobs = ok(pg_blob_store::open(conninfo_));
  const auto bytes = random_bytes(30u << 20, 7);  // 30 MiB, incompressible
  auto hash = ok(blobs->put(bytes));
  EXPECT_EQ(hash, sha256_hex(bytes));
  EXPECT_EQ(ok(blobs->size(hash)), bytes.size());
  EXPECT_TRUE(ok(blobs->get(hash)) == bytes);
  // Stored already: the second put only looks and refreshes.
  EXPECT_EQ(ok(blobs->put_deferred(bytes)), hash);
  EXPECT_EQ(number("SELECT count(*) FROM blob_data"), 1);
  // An empty blob is a blob too (a NULL parameter would not be).
  auto empty = ok(blobs->put(""));
  EXPECT_EQ(ok(blobs->get(empty)), "");
}

TEST_F(pg_blobs, concurrent_puts_of_the_same_bytes_store_one_row) {
  auto blobs = ok(pg_blob_store::open(conninfo_));
  const auto small = random_bytes(5000, 1);
  const auto large = random_bytes(200000, 2);  // above look_first_bytes
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        const auto& bytes = (t + i) % 2 == 0 ? small : large;
        auto r = t % 3 == 0 ? blobs->put(bytes) : blobs->put_deferred(bytes);
        if (!r || *r != sha256_hex(bytes)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(number("SELECT count(*) FROM blob_data"), 2);
  EXPECT_EQ(ok(blobs->get(sha256_hex(large))), large);
}

TEST_F(pg_blobs, a_pinned_blob_is_not_removed) {
  pinning_blob_store blobs(ok(pg_blob_store::open(conninfo_)));
  auto hash = ok(blobs.put("pending delivery"));
  EXPECT_FALSE(ok(blobs.remove_unless_pinned(hash)));
  EXPECT_TRUE(blobs.contains(hash));
  blobs.unpin({hash});
  EXPECT_TRUE(ok(blobs.remove_unless_pinned(hash)));
  EXPECT_FALSE(blobs.contains(hash));
  EXPECT_TRUE(fails_with(blobs.get(hash), core::errc::not_found));
  ok(blobs.remove(hash));  // idempotent
}

TEST_F(pg_blobs, a_read_only_store_refuses_writes_and_bad_names_everywhere) {
  auto blobs = ok(pg_blob_store::open(conninfo_, {.read_only = true}));
  EXPECT_TRUE(fails_with(blobs->put("x"), core::errc::denied));
  EXPECT_TRUE(fails_with(blobs->put_hashed("../x", "x", raw_blob_store::durability::now), core::errc::invalid));
  EXPECT_TRUE(fails_with(blobs->get("../x"), core::errc::invalid));
  EXPECT_FALSE(blobs->contains("not a hash"));
}

TEST_F(pg_blobs, the_sweep_removes_old_unreferenced_rows_only) {
  testing::temp_dir dir_a;
  testing::temp_dir dir_b;
  auto a = node(dir_a);
  auto b = node(dir_b);
  auto referenced = ok(a->blobs().put_deferred("referenced"));
  deliver_to(*a, "a@example.com", referenced);
  // What a crash between put and commit leaves: rows nothing counts.
  auto raw = ok(pg_blob_store::open(conninfo_));
  auto orphan = ok(raw->put("orphan"));
  age_rows(7200);
  auto young = ok(raw->put("young orphan"));
  auto pending = ok(a->blobs().put("pending on node a"));  // pinned on a only

  // Node a: the old orphan goes; its own pending put is pinned, the young one spared.
  EXPECT_EQ(ok(a->sweep_orphan_blobs(orphan_blob_min_age)), 1u);
  EXPECT_FALSE(a->blobs().contains(orphan));
  EXPECT_TRUE(a->blobs().contains(referenced));
  EXPECT_TRUE(a->blobs().contains(young));
  EXPECT_TRUE(a->blobs().contains(pending));
  // Node b does not see a's pin, but the row's age: put just now, it is spared.
  EXPECT_EQ(ok(b->sweep_orphan_blobs(orphan_blob_min_age)), 0u);
  EXPECT_TRUE(b->blobs().contains(pending));

  // Put again after two hours, a row's time moves forward: b spares it again.
  age_rows(7200);
  EXPECT_EQ(ok(a->blobs().put_deferred("pending on node a")), pending);
  EXPECT_EQ(ok(b->sweep_orphan_blobs(orphan_blob_min_age)), 1u) << "only the young orphan, now old";
  EXPECT_FALSE(b->blobs().contains(young));
  EXPECT_TRUE(b->blobs().contains(pending));
  EXPECT_TRUE(b->blobs().contains(referenced));
}

TEST_F(pg_blobs, two_nodes_without_a_shared_directory_share_blobs_and_counts) {
  testing::temp_dir dir_a;
  testing::temp_dir dir_b;
  auto a = node(dir_a);
  auto b = node(dir_b);
  const auto bytes = random_bytes(100000, 3);
  auto blob = ok(a->blobs().put_deferred(bytes));
  auto box_a = deliver_to(*a, "one@example.com", blob);
  EXPECT_EQ(ok(b->blobs().get(blob)), bytes) << "delivered on a, read on b";
  // b references the same bytes it never stored itself (no shared directory).
  EXPECT_EQ(ok(b->blobs().put_deferred(bytes)), blob);
  auto box_b = deliver_to(*b, "two@example.com", blob);
  EXPECT_EQ(number("SELECT refcount FROM blobs"), 2);
  ok(a->expunge(box_a, {1}));
  EXPECT_TRUE(b->blobs().contains(blob)) << "b's reference keeps it";
  ok(b->expunge(box_b, {1}));
  EXPECT_FALSE(a->blobs().contains(blob)) << "the last reference took the row along";
  EXPECT_EQ(number("SELECT count(*) FROM blob_data"), 0);
  // A delivery naming bytes that are gone fails cleanly, on either node.
  EXPECT_TRUE(fails_with(a->deliver([&] {
    delivery d;
    d.blob = blob;
    d.targets.push_back(delivery_target{ok(a->find_account("one@example.com")).id, mailbox_role::inbox, 0, {}});
    return d;
  }()), core::errc::not_found));
}

}  // namespace
}  // namespace letterhead::store
