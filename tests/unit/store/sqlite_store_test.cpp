// What only the SQLite backend has: its file, schema versions, WAL, blob files on
// disk, the orphan sweep, and group commit under failure. The behaviour every backend
// shares is in store_suite_test.cpp.

#include <sys/stat.h>
#include <utime.h>

#include <atomic>
#include <chrono>
#include <set>
#include <fstream>
#include <thread>

#include <sqlite3.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "store/blobs/fs_blob_store.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using testing::fails_with;
using testing::ok;
using core::errc;

// A raw connection to look at the file the way an admin with the sqlite3 tool would.
class raw_db {
 public:
  explicit raw_db(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~raw_db() { sqlite3_close_v2(db_); }
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db_));
    }
    std::string out;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      sqlite3_finalize(st);
      throw std::runtime_error("step: " + msg);
    }
    sqlite3_finalize(st);
    return out;
  }
  std::int64_t number(const std::string& sql) { return std::stoll(text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

std::unique_ptr<sql::sql_store> open_sqlite(const std::filesystem::path& dir) {
  return ok(sqlite::open_store(sqlite::sqlite_options{.data_dir = dir}));
}

account add_account(store& s, const std::string& address) {
  auto domain_name = address.substr(address.rfind('@') + 1);
  if (!s.find_domain(domain_name)) ok(s.add_domain(domain_name));
  account a;
  a.address = address;
  return ok(s.add_account(a));
}

delivery to_inboxes(const std::string& blob, const std::vector<id_t>& accounts) {
  delivery d;
  d.blob = blob;
  for (auto id : accounts) d.targets.push_back(delivery_target{id, mailbox_role::inbox, 0, {}});
  return d;
}

std::size_t count_blob_files(const std::filesystem::path& root) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().filename().string().size() == 64) ++n;
  }
  return n;
}

void age(const std::filesystem::path& file, std::chrono::seconds by) {
  auto t = static_cast<time_t>(::time(nullptr) - by.count());
  struct utimbuf times {
    t, t
  };
  ASSERT_EQ(::utime(file.c_str(), &times), 0) << file;
}

// The reference-count invariant of store.hpp, checked on the tables themselves.
void expect_counts_consistent(const std::filesystem::path& db_path) {
  raw_db db(db_path);
  EXPECT_EQ(db.number("SELECT count(*) FROM blobs b WHERE refcount != "
                      "(SELECT count(*) FROM messages WHERE blob = b.hash) + "
                      "(SELECT count(*) FROM queue WHERE blob = b.hash)"),
            0);
  EXPECT_EQ(db.number("SELECT count(*) FROM (SELECT blob FROM messages UNION SELECT blob FROM queue) r "
                      "WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE hash = r.blob)"),
            0);
  EXPECT_EQ(db.number("SELECT count(*) FROM mailboxes m WHERE messages != "
                      "(SELECT count(*) FROM messages WHERE mailbox_id = m.id) OR size != "
                      "(SELECT coalesce(sum(size), 0) FROM messages WHERE mailbox_id = m.id) OR uidnext <= "
                      "(SELECT coalesce(max(uid), 0) FROM messages WHERE mailbox_id = m.id)"),
            0);
}

TEST(store_open, backend_errors) {
  testing::temp_dir dir;
  store_options o;
  o.data_dir = dir.path().string();
  o.backend = "postgres";
  auto no_url = open(o);
  ASSERT_FALSE(no_url);
  EXPECT_NE(no_url.error().message.find("[store] url"), std::string::npos) << no_url.error().message;
  // Nothing listens on port 9: a clear error naming the database, no password in it.
  o.url = "host=127.0.0.1 port=9 dbname=mail user=letterhead password=secret-42 connect_timeout=2";
  auto unreachable = open(o);
  ASSERT_FALSE(unreachable);
  EXPECT_EQ(unreachable.error().code, errc::unavailable) << unreachable.error().message;
  EXPECT_EQ(unreachable.error().message.find("secret-42"), std::string::npos) << unreachable.error().message;
  o.url.clear();
  o.backend = "mysql";
  auto unknown = open(o);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("mysql"), std::string::npos);
  o.backend = "sqlite";
  o.data_dir.clear();
  EXPECT_TRUE(fails_with(open(o), errc::invalid));
}

TEST(store_open, data_dir_that_cannot_be_written_is_named) {
  testing::temp_dir dir;
  auto file = dir.path() / "plain-file";
  std::ofstream(file) << "x";
  store_options o;
  o.data_dir = (file / "data").string();
  auto r = open(o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(o.data_dir), std::string::npos) << r.error().message;
}

TEST(store_open, creates_the_data_dir_layout) {
  testing::temp_dir dir;
  auto data = dir.path() / "nested" / "data";
  store_options o;
  o.data_dir = data.string();
  auto s = ok(open(o));
  EXPECT_TRUE(std::filesystem::is_regular_file(data / "letterhead.db"));
  EXPECT_TRUE(std::filesystem::is_directory(data / "blobs"));
}

TEST(sqlite_store, schema_version_and_wal) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  raw_db db(s->database());
  EXPECT_EQ(db.number("SELECT max(version) FROM schema_version"),
            static_cast<std::int64_t>(sqlite::migrations().size()));
  EXPECT_EQ(db.number("SELECT count(*) FROM schema_version"),
            static_cast<std::int64_t>(sqlite::migrations().size()));
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  for (const char* table : {"domains", "accounts", "aliases", "mailboxes", "messages", "changes", "blobs", "queue",
                            "queue_recipients", "audit_log", "store_counters"}) {
    EXPECT_EQ(db.number(std::string("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '") + table +
                        "'"),
              1)
        << table;
  }
  // Opening again applies nothing twice.
  s.reset();
  s = open_sqlite(dir.path());
  EXPECT_EQ(db.number("SELECT count(*) FROM schema_version"),
            static_cast<std::int64_t>(sqlite::migrations().size()));
}

TEST(sqlite_store, refuses_a_newer_schema) {
  testing::temp_dir dir;
  std::filesystem::path db_path;
  {
    auto s = open_sqlite(dir.path());
    db_path = s->database();
  }
  {
    raw_db db(db_path);
    db.text("INSERT INTO schema_version (version, applied) VALUES (999, 0)");
  }
  auto r = sqlite::open_store(sqlite::sqlite_options{.data_dir = dir.path()});
  ASSERT_TRUE(fails_with(r, errc::invalid));
  EXPECT_NE(r.error().message.find("newer"), std::string::npos) << r.error().message;
}

TEST(sqlite_store, one_blob_file_and_refcount_per_target) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  auto a = add_account(*s, "a@example.com");
  auto b = add_account(*s, "b@example.com");
  auto c = add_account(*s, "c@example.com");
  auto blob = ok(s->blobs().put("one copy on disk"));
  ok(s->deliver(to_inboxes(blob, {a.id, b.id, c.id})));
  EXPECT_EQ(count_blob_files(dir.path() / "blobs"), 1u);
  raw_db db(s->database());
  EXPECT_EQ(db.number("SELECT refcount FROM blobs WHERE hash = '" + blob + "'"), 3);
  auto archive = ok(s->find_mailbox_by_role(a.id, mailbox_role::archive));
  ok(s->copy_messages(ok(s->find_mailbox_by_role(a.id, mailbox_role::inbox)).id, {1}, archive.id));
  EXPECT_EQ(db.number("SELECT refcount FROM blobs WHERE hash = '" + blob + "'"), 4);
  expect_counts_consistent(s->database());
}

TEST(sqlite_store, orphan_sweep_removes_old_unreferenced_blobs_only) {
  testing::temp_dir dir;
  std::string referenced, orphan, young_orphan;
  {
    auto s = open_sqlite(dir.path());
    auto a = add_account(*s, "a@example.com");
    referenced = ok(s->blobs().put("referenced"));
    ok(s->deliver(to_inboxes(referenced, {a.id})));
  }
  // What a crash between put and commit leaves: files no row counts.
  auto files = ok(fs_blob_store::open(dir.path() / "blobs"));
  orphan = ok(files->put("orphan"));
  young_orphan = ok(files->put("young orphan"));
  auto stale_temp = files->path_of(orphan).parent_path() / ".tmp.crashed";
  std::ofstream(stale_temp) << "half";
  age(files->path_of(referenced), std::chrono::hours(2));
  age(files->path_of(orphan), std::chrono::hours(2));
  age(stale_temp, std::chrono::hours(2));

  auto s = open_sqlite(dir.path());
  store& iface = *s;
  EXPECT_EQ(ok(iface.sweep_orphan_blobs(orphan_blob_min_age)), 1u);
  EXPECT_TRUE(s->blobs().contains(referenced));
  EXPECT_FALSE(s->blobs().contains(orphan));
  EXPECT_TRUE(s->blobs().contains(young_orphan)) << "younger than min_age: its rows may be about to commit";
  EXPECT_FALSE(std::filesystem::exists(stale_temp));

  // A blob put in this process and not yet referenced is pinned, whatever its age.
  auto pending = ok(s->blobs().put("pending delivery"));
  age(files->path_of(pending), std::chrono::hours(2));
  EXPECT_EQ(ok(iface.sweep_orphan_blobs(orphan_blob_min_age)), 0u);
  EXPECT_TRUE(s->blobs().contains(pending));

  EXPECT_EQ(ok(iface.sweep_orphan_blobs(std::chrono::seconds(0))), 1u) << "the young orphan, now old enough";
  EXPECT_FALSE(s->blobs().contains(young_orphan));
  EXPECT_TRUE(s->blobs().contains(pending));
  EXPECT_TRUE(s->blobs().contains(referenced));
}

TEST(sqlite_store, a_released_blob_is_kept_while_a_put_of_it_is_pending) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  auto a = add_account(*s, "a@example.com");
  auto blob = ok(s->blobs().put("same bytes twice"));
  ok(s->deliver(to_inboxes(blob, {a.id})));
  // A second caller puts the same bytes (finding the file there) but has not
  // delivered yet when the first message is expunged.
  EXPECT_EQ(ok(s->blobs().put("same bytes twice")), blob);
  ok(s->expunge(ok(s->find_mailbox_by_role(a.id, mailbox_role::inbox)).id, {1}));
  EXPECT_TRUE(s->blobs().contains(blob));
  auto out = ok(s->deliver(to_inboxes(blob, {a.id})));
  EXPECT_EQ(out.at(0).uid, 2u);
  EXPECT_EQ(ok(s->blobs().get(blob)), "same bytes twice");
  expect_counts_consistent(s->database());
}

TEST(sqlite_store, group_commit_failure_never_reports_false_success) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  auto a = add_account(*s, "a@example.com");
  auto b = add_account(*s, "b@example.com");
  auto inbox_a = ok(s->find_mailbox_by_role(a.id, mailbox_role::inbox));
  std::int64_t pages = 0;
  {
    raw_db db(s->database());
    pages = db.number("PRAGMA page_count");
  }
  // The file may not grow any more: inserts fail with SQLITE_FULL, as on a full disk.
  ok(s->exec_on_writer("PRAGMA max_page_count = " + std::to_string(pages + 2)));

  constexpr int threads = 4;
  constexpr int per_thread = 40;
  std::mutex m;
  std::set<std::uint32_t> acknowledged;  // UIDs in a's INBOX that deliver() reported
  std::atomic<int> failed{0};
  std::atomic<int> wrong_error{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto blob = s->blobs().put("message " + std::to_string(t) + "/" + std::to_string(i) + std::string(300, 'x'));
        if (!blob) {
          ++wrong_error;
          continue;
        }
        auto r = s->deliver(to_inboxes(*blob, {a.id, b.id}));
        if (r) {
          std::lock_guard lock(m);
          acknowledged.insert(r->at(0).uid);
        } else {
          ++failed;
          if (r.error().code != errc::unavailable) ++wrong_error;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_GT(failed.load(), 0) << "the limit was never reached: the test tests nothing";
  EXPECT_EQ(wrong_error.load(), 0) << "a full database is `unavailable`";

  ok(s->exec_on_writer("PRAGMA max_page_count = 1073741823"));
  // Exactly the acknowledged deliveries are there, nothing else.
  std::set<std::uint32_t> present;
  for (const auto& msg : ok(s->list_messages(inbox_a.id, 1))) present.insert(msg.uid);
  EXPECT_EQ(present, acknowledged);
  EXPECT_EQ(ok(s->find_mailbox_by_role(b.id, mailbox_role::inbox)).messages, acknowledged.size());
  expect_counts_consistent(s->database());

  // And the store works again.
  auto blob = ok(s->blobs().put("after the disk was freed"));
  ok(s->deliver(to_inboxes(blob, {a.id})));
}

TEST(sqlite_store, concurrent_writes_share_commits) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  auto a = add_account(*s, "a@example.com");
  auto blob = ok(s->blobs().put("shared"));
  auto before = s->commit_statistics();
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 8; ++t) {
    pool.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (!s->deliver(to_inboxes(blob, {a.id}))) ++failures;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto after = s->commit_statistics();
  EXPECT_EQ(after.requests - before.requests, 400u);
  EXPECT_LE(after.groups - before.groups, 400u);
  expect_counts_consistent(s->database());
}

// The CLI and a running server open the same data directory: two writers on one file.
TEST(sqlite_store, two_stores_on_one_data_dir) {
  testing::temp_dir dir;
  auto server = open_sqlite(dir.path());
  auto cli = open_sqlite(dir.path());
  auto a = add_account(*cli, "a@example.com");
  EXPECT_EQ(ok(server->find_account("a@example.com")).id, a.id);
  auto blob = ok(server->blobs().put("from both sides"));
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      auto& s = t % 2 == 0 ? *server : *cli;
      for (int i = 0; i < 25; ++i) {
        if (!s.deliver(to_inboxes(blob, {a.id}))) ++failures;
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto inbox = ok(cli->find_mailbox_by_role(a.id, mailbox_role::inbox));
  auto messages = ok(server->list_messages(inbox.id, 1));
  ASSERT_EQ(messages.size(), 100u);
  for (std::size_t i = 0; i < messages.size(); ++i) EXPECT_EQ(messages[i].uid, i + 1);
  expect_counts_consistent(server->database());
}

TEST(sqlite_store, destroyed_while_idle_and_right_after_work) {
  testing::temp_dir dir;
  for (int i = 0; i < 20; ++i) {
    auto s = open_sqlite(dir.path());
    if (i % 2 == 0) ok(s->audit("test", "open", std::to_string(i)));
  }
  auto s = open_sqlite(dir.path());
  EXPECT_EQ(ok(s->list_audit(100)).size(), 10u);
}

// What SQLite plans for a query: the "detail" column of EXPLAIN QUERY PLAN, joined.
std::string query_plan(const std::filesystem::path& path, const std::string& sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path.string());
  }
  sqlite3_stmt* st = nullptr;
  std::string out;
  if (sqlite3_prepare_v2(db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) == SQLITE_OK) {
    while (sqlite3_step(st) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
      out += "\n";
    }
  }
  sqlite3_finalize(st);
  sqlite3_close_v2(db);
  return out;
}

// claim_queue runs on every worker tick and get_blob_meta for every FETCH of a large
// mailbox: both must stay cheap at 100,000 rows. Rows are made in bulk with SQL (the
// blob files do not matter for these two calls).
TEST(sqlite_store, claim_queue_and_blob_meta_stay_fast_with_100k_rows) {
  testing::temp_dir dir;
  auto s = open_sqlite(dir.path());
  constexpr int rows = 100'000;
  const std::string numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
                              std::to_string(rows) + ") ";
  ok(s->exec_on_writer(numbers + "INSERT INTO blobs (hash, size, refcount) SELECT printf('%064x', i), 10, 1 FROM n"));
  ok(s->exec_on_writer("INSERT INTO blob_meta (hash, version, data) SELECT hash, 1, 'meta' FROM blobs"));
  ok(s->exec_on_writer(numbers + "INSERT INTO queue (blob, size, mail_from, created, next_attempt)"
                                 " SELECT printf('%064x', i), 10, '', 0, i FROM n"));
  ok(s->exec_on_writer("INSERT INTO queue_recipients (queue_id, position, address, status)"
                       " SELECT id, 0, 'r@remote.org', 'pending' FROM queue"));

  EXPECT_NE(query_plan(s->database(),
                       "SELECT id FROM queue WHERE held = 0 AND next_attempt <= 5 AND lease_until <= 5"
                       " ORDER BY next_attempt, id LIMIT 10")
                .find("queue_due"),
            std::string::npos);

  auto start = std::chrono::steady_clock::now();
  std::set<id_t> seen;
  for (int round = 0; round < 50; ++round) {
    auto got = ok(s->claim_queue(rows + 1, 100, "worker", rows + 600));
    ASSERT_EQ(got.size(), 100u);
    for (const auto& e : got) {
      EXPECT_EQ(e.recipients.size(), 1u);
      seen.insert(e.id);
    }
  }
  auto claims = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(seen.size(), 5000u);
  EXPECT_EQ(*seen.begin(), 1) << "oldest next_attempt first";
  // Generous for a sanitizer build on a busy machine; a full scan per claim would
  // take several times longer.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(claims).count(), 5000);

  std::vector<std::string> hashes;
  for (int i = 1; i <= rows; ++i) hashes.push_back(fmt::format("{:064x}", i));
  start = std::chrono::steady_clock::now();
  auto metas = ok(s->get_blob_meta(hashes));
  auto lookup = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(metas.size(), static_cast<std::size_t>(rows));
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(lookup).count(), 5000);
}

TEST(sqlite_store, schema_v2_keeps_v1_data) {
  // A v1 database (what the first release wrote) gains the new columns with their
  // defaults, and its rows stay readable.
  testing::temp_dir dir;
  {
    auto w = ok(sqlite::connection::open((dir.path() / "letterhead.db").string(), sqlite::connection_role::writer));
    ok(w->exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)"));
    ok(w->exec(std::string(sqlite::migrations()[0])));
    ok(w->exec("INSERT INTO schema_version VALUES (1, 0)"));
    ok(w->exec("INSERT INTO queue (blob, size, mail_from, created, next_attempt) VALUES ('" + std::string(64, 'a') +
               "', 1, 'a@example.com', 5, 6)"));
    ok(w->exec("INSERT INTO queue_recipients (queue_id, position, address, status) VALUES (1, 0, 'r@x.org', 'pending')"));
  }
  auto s = open_sqlite(dir.path());
  auto e = ok(s->get_queue_entry(1));
  EXPECT_EQ(e.mail_from, "a@example.com");
  EXPECT_EQ(e.body_type, "");
  EXPECT_EQ(e.lease_owner, "");
  ASSERT_EQ(e.recipients.size(), 1u);
  EXPECT_EQ(e.recipients[0].remote_mta, "");
  EXPECT_FALSE(e.recipients[0].dsn_sent);
}

}  // namespace
}  // namespace letterhead::store
