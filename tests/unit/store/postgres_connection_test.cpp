// The libpq driver (store/postgres/connection.*) against a real PostgreSQL 15 started
// by pg_server; each test has a database of its own.

#include "store/postgres/connection.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "pg_server.hpp"
#include "store/postgres/placeholders.hpp"
#include "store/postgres/sqlstate.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using postgres::connection;
using testing::fails_with;
using testing::ok;
using testing::pg_server;

TEST(PostgresPlaceholders, NumbersOnlyParametersOutsideLiteralsAndComments) {
  struct row {
    std::string_view sql;
    std::string_view want;
    int parameters;
  };
  const row rows[] = {
      {"SELECT ?, ?", "SELECT $1, $2", 2},
      {"SELECT ?1 WHERE a = ?2 OR b = ?1", "SELECT $1 WHERE a = $2 OR b = $1", 2},
      {"SELECT ?2, ?, ?10", "SELECT $2, $3, $10", 10},
      {"SELECT ?1, '?1', ?", "SELECT $1, '?1', $2", 2},
      {"SELECT '?', ? FROM t WHERE a = '?''?' AND b = ?", "SELECT '?', $1 FROM t WHERE a = '?''?' AND b = $2", 2},
      {"SELECT \"a?\"\"b\" FROM t WHERE c = ?", "SELECT \"a?\"\"b\" FROM t WHERE c = $1", 1},
      {"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2", 2},
      {"SELECT /* a /* nested ? */ still ? */ ?", "SELECT /* a /* nested ? */ still ? */ $1", 1},
      {"SELECT E'\\'?', ?", "SELECT E'\\'?', $1", 1},
      {"SELECT 'a\\', ?", "SELECT 'a\\', $1", 1},  // no backslash escapes in a standard string
      {"SELECT $$?$$, $tag$ ? $$ ? $tag$, ?", "SELECT $$?$$, $tag$ ? $$ ? $tag$, $1", 1},
      {"SELECT a$b, ?", "SELECT a$b, $1", 1},
      {"SELECT 'unterminated ?", "SELECT 'unterminated ?", 0},
      {"", "", 0},
  };
  for (const auto& r : rows) {
    auto n = postgres::number_placeholders(r.sql);
    EXPECT_EQ(n.text, r.want) << r.sql;
    EXPECT_EQ(n.parameters, r.parameters) << r.sql;
  }
}

TEST(PostgresSqlstate, MapsClassesToErrorKinds) {
  using core::errc;
  EXPECT_EQ(postgres::errc_for_sqlstate("23505"), errc::exists);
  EXPECT_EQ(postgres::errc_for_sqlstate("23503"), errc::invalid);
  EXPECT_EQ(postgres::errc_for_sqlstate("23502"), errc::invalid);
  EXPECT_EQ(postgres::errc_for_sqlstate("40001"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("40P01"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("08006"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("53100"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("57P01"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("55P03"), errc::unavailable);
  EXPECT_EQ(postgres::errc_for_sqlstate("22021"), errc::invalid);
  EXPECT_EQ(postgres::errc_for_sqlstate("54000"), errc::limit);
  EXPECT_EQ(postgres::errc_for_sqlstate("42601"), errc::internal);
  EXPECT_EQ(postgres::errc_for_sqlstate("25006"), errc::internal);
  EXPECT_EQ(postgres::errc_for_sqlstate(""), errc::internal);
  EXPECT_TRUE(postgres::must_retry_sqlstate("40001"));
  EXPECT_TRUE(postgres::must_retry_sqlstate("40P01"));
  EXPECT_FALSE(postgres::must_retry_sqlstate("23505"));
}

class PostgresConnection : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = pg_server::instance().create_database();
    db_ = open();
  }

  [[nodiscard]] std::string conninfo() const { return pg_server::instance().conninfo(database_); }
  [[nodiscard]] std::unique_ptr<connection> open(bool read_only = false) const {
    return ok(connection::open(conninfo(), read_only));
  }
  [[nodiscard]] static std::int64_t scalar(sql::connection& db, std::string_view sql) {
    auto st = ok(db.prepare(sql));
    EXPECT_TRUE(ok(st.step())) << sql;
    return st.i64(0);
  }
  [[nodiscard]] static std::int64_t backend_pid(sql::connection& db) { return scalar(db, "SELECT pg_backend_pid()"); }
  // From a connection of its own, waiting (up to 5 s) until the backend is gone.
  void terminate(std::int64_t pid) const {
    pg_server::instance().execute(database_, "SELECT pg_terminate_backend(" + std::to_string(pid) + ", 5000)");
  }

  std::string database_;
  std::unique_ptr<connection> db_;
};

TEST_F(PostgresConnection, QuestionMarkInsideLiteralIsNotAParameter) {
  auto st = ok(db_->query("SELECT CAST(? AS BIGINT), '?', CAST(? AS TEXT) -- ?", 7, "x"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.i64(0), 7);
  EXPECT_EQ(st.text(1), "?");
  EXPECT_EQ(st.text(2), "x");
  EXPECT_FALSE(ok(st.step()));
}

TEST_F(PostgresConnection, NumberedParameters) {
  auto st = ok(db_->query("SELECT CAST(?2 AS TEXT) || CAST(?1 AS TEXT) || CAST(?2 AS TEXT)", "a", "b"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.text(0), "bab");
}

TEST_F(PostgresConnection, ValuesRoundTrip) {
  ok(db_->exec("CREATE TABLE t (id BIGINT, s TEXT, b BYTEA, n TEXT, e BYTEA)"));
  const std::string binary("a\0b\xff\x80\x01\\x00'", 11);
  const std::string text = "Grüße, 你好 'quoted' \\ ?";
  ok(db_->run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", std::int64_t{-9223372036854775807 - 1}, text,
              sql::bytes_view{binary}, std::nullopt, sql::bytes_view{""}));
  ok(db_->run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", std::int64_t{9223372036854775807}, std::string(),
              sql::bytes_view{"\xfe"}, std::optional<std::string>("set"), std::nullopt));

  auto st = ok(db_->prepare("SELECT id, s, b, n, e FROM t ORDER BY id"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.i64(0), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(st.text(1), text);
  EXPECT_EQ(st.bytes(1), text);  // a text column's bytes are its text
  EXPECT_EQ(st.bytes(2), binary);
  EXPECT_EQ(st.text(2), binary);
  EXPECT_TRUE(st.is_null(3));
  EXPECT_EQ(st.optional_text(3), std::nullopt);
  EXPECT_FALSE(st.is_null(4));
  EXPECT_EQ(st.bytes(4), "");
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.u64(0), 9223372036854775807ULL);
  EXPECT_FALSE(st.is_null(1));
  EXPECT_EQ(st.text(1), "");
  EXPECT_EQ(st.bytes(2), "\xfe");
  EXPECT_EQ(st.optional_text(3), "set");
  EXPECT_TRUE(st.is_null(4));
  EXPECT_FALSE(ok(st.step()));
  EXPECT_FALSE(ok(st.step()));

  // The same bytes, checked by the server itself.
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t WHERE b = '\\x610062ff80015c78303027'::bytea"), 1);
}

TEST_F(PostgresConnection, TextWithNulByteIsRefused) {
  auto st = ok(db_->query("SELECT CAST(? AS TEXT)", std::string_view("a\0b", 3)));
  EXPECT_TRUE(fails_with(st.step(), core::errc::invalid));
}

TEST_F(PostgresConnection, TextThatIsNotUtf8IsRepaired) {
  // A remote MTA's reply with a Latin-1 byte: stored with U+FFFD instead of failing.
  auto st = ok(db_->query("SELECT CAST(? AS TEXT)", std::string("550 Benutzer unbekannt: M\xfcller")));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.text(0), "550 Benutzer unbekannt: M\xef\xbf\xbdller");
  auto valid = ok(db_->query("SELECT CAST(? AS TEXT)", std::string("张伟 \xf0\x9f\x93\xa7")));
  ASSERT_TRUE(ok(valid.step()));
  EXPECT_EQ(valid.text(0), "张伟 \xf0\x9f\x93\xa7");
}

TEST_F(PostgresConnection, ParameterIndexOutOfRangeFails) {
  auto st = ok(db_->prepare("SELECT CAST(? AS BIGINT)"));
  st.bind(2, 1);
  EXPECT_TRUE(fails_with(st.step(), core::errc::internal));
}

TEST_F(PostgresConnection, UnboundParameterIsNullAndReleaseClearsBindings) {
  {
    auto st = ok(db_->query("SELECT CAST(? AS BIGINT)", 5));
    ASSERT_TRUE(ok(st.step()));
    EXPECT_EQ(st.i64(0), 5);
  }  // released after one row, before the end
  auto st = ok(db_->prepare("SELECT CAST(? AS BIGINT)"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_TRUE(st.is_null(0));
  EXPECT_EQ(st.i64(0), 0);
}

TEST_F(PostgresConnection, BooleansReadAsIntegers) {
  auto st = ok(db_->query("SELECT true, false, 2 > 1, EXISTS (SELECT 1 WHERE false), CAST(NULL AS BOOLEAN)"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.i64(0), 1);
  EXPECT_EQ(st.i64(1), 0);
  EXPECT_TRUE(st.boolean(2));
  EXPECT_FALSE(st.boolean(3));
  EXPECT_TRUE(st.is_null(4));
}

TEST_F(PostgresConnection, ChangesCountsTheLastWrite) {
  ok(db_->exec("CREATE TABLE t (k BIGINT)"));
  ok(db_->run("INSERT INTO t VALUES (1), (2), (3)"));
  EXPECT_EQ(db_->changes(), 3);
  ok(db_->run("UPDATE t SET k = k + 10 WHERE k >= ?", 2));
  EXPECT_EQ(db_->changes(), 2);
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 3);
  EXPECT_EQ(db_->changes(), 2);  // a SELECT leaves it alone, as in SQLite
  ok(db_->run("DELETE FROM t WHERE k = ?", 99));
  EXPECT_EQ(db_->changes(), 0);
  ok(db_->exec("DELETE FROM t"));
  EXPECT_EQ(db_->changes(), 3);
}

TEST_F(PostgresConnection, InsertReturning) {
  ok(db_->exec("CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name TEXT NOT NULL)"));
  EXPECT_EQ(ok(db_->run_returning("INSERT INTO t (name) VALUES (?) RETURNING id", "a")), 1);
  EXPECT_EQ(ok(db_->run_returning("INSERT INTO t (name) VALUES (?) RETURNING id", "b")), 2);
  EXPECT_EQ(db_->changes(), 1);
  EXPECT_TRUE(fails_with(db_->run_returning("UPDATE t SET name = 'c' WHERE id = ? RETURNING id", 42),
                         core::errc::internal));
}

TEST_F(PostgresConnection, UniqueViolationIsExistsAndSavepointRecovers) {
  ok(db_->exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT NOT NULL CHECK (v >= 0))"));
  EXPECT_FALSE(db_->in_transaction());
  ok(db_->begin_write());
  EXPECT_TRUE(db_->in_transaction());
  ok(db_->run("INSERT INTO t VALUES (?, ?)", "a", 1));
  ok(db_->exec("SAVEPOINT request"));
  auto dup = db_->run("INSERT INTO t VALUES (?, ?)", "a", 2);
  ASSERT_TRUE(fails_with(dup, core::errc::exists));
  EXPECT_TRUE(dup.error().message.starts_with("postgres: INSERT INTO t VALUES (?, ?): ")) << dup.error().message;
  EXPECT_NE(dup.error().message.find("23505"), std::string::npos) << dup.error().message;
  EXPECT_FALSE(db_->must_retry());
  EXPECT_TRUE(db_->in_transaction());  // aborted (INERROR), still to be ended
  EXPECT_FALSE(db_->run("INSERT INTO t VALUES (?, ?)", "b", 1));
  ok(db_->exec("ROLLBACK TO SAVEPOINT request"));
  ok(db_->exec("RELEASE request"));
  ok(db_->run("INSERT INTO t VALUES (?, ?)", "b", 2));
  EXPECT_TRUE(fails_with(db_->run("INSERT INTO t VALUES (?, ?)", "c", -1), core::errc::invalid));
  ok(db_->exec("ROLLBACK"));
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 0);

  EXPECT_TRUE(fails_with(db_->run("INSERT INTO t VALUES (?, ?)", std::nullopt, 1), core::errc::invalid));
  EXPECT_TRUE(fails_with(db_->run("SELECT 1 / 0"), core::errc::invalid));
}

TEST_F(PostgresConnection, SyntaxErrorFailsAtPrepare) {
  auto st = db_->prepare("SELEKT 1\nFROM nowhere");
  ASSERT_TRUE(fails_with(st, core::errc::internal));
  EXPECT_TRUE(st.error().message.starts_with("postgres: SELEKT 1: ")) << st.error().message;
  EXPECT_EQ(scalar(*db_, "SELECT 1"), 1);
}

TEST_F(PostgresConnection, SerializationFailureAsksForRetry) {
  ok(db_->exec("CREATE TABLE c (k BIGINT PRIMARY KEY, v BIGINT NOT NULL); INSERT INTO c VALUES (1, 0), (2, 0)"));
  auto other = open();
  // Write skew: each reads the row the other one writes. SERIALIZABLE lets one commit.
  ok(db_->begin_write());
  ok(other->begin_write());
  EXPECT_EQ(scalar(*db_, "SELECT v FROM c WHERE k = 2"), 0);
  EXPECT_EQ(scalar(*other, "SELECT v FROM c WHERE k = 1"), 0);
  ok(db_->run("UPDATE c SET v = 1 WHERE k = ?", 1));
  auto second = other->run("UPDATE c SET v = 1 WHERE k = ?", 2);
  ok(db_->exec("COMMIT"));
  if (second) second = other->exec("COMMIT");
  ASSERT_TRUE(fails_with(second, core::errc::unavailable));
  EXPECT_NE(second.error().message.find("40001"), std::string::npos) << second.error().message;
  EXPECT_TRUE(other->must_retry());
  EXPECT_FALSE(db_->must_retry());
  if (other->in_transaction()) ok(other->exec("ROLLBACK"));  // the error came before COMMIT
  EXPECT_FALSE(other->in_transaction());

  // The retry succeeds; a new transaction clears must_retry.
  ok(other->begin_write());
  EXPECT_FALSE(other->must_retry());
  EXPECT_EQ(scalar(*other, "SELECT v FROM c WHERE k = 1"), 1);
  ok(other->run("UPDATE c SET v = 1 WHERE k = ?", 2));
  ok(other->exec("COMMIT"));
  EXPECT_EQ(scalar(*db_, "SELECT sum(v) FROM c"), 2);
}

TEST_F(PostgresConnection, ReadTransactionSeesOneSnapshot) {
  ok(db_->exec("CREATE TABLE t (k BIGINT)"));
  auto other = open();
  ok(db_->begin_read());
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 0);
  ok(other->run("INSERT INTO t VALUES (1)"));
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 0);
  EXPECT_FALSE(db_->run("INSERT INTO t VALUES (2)"));  // READ ONLY
  ok(db_->exec("ROLLBACK"));
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 1);
}

TEST_F(PostgresConnection, BeginInsideTransactionFails) {
  ok(db_->begin_write());
  EXPECT_TRUE(fails_with(db_->begin_read(), core::errc::internal));
  EXPECT_TRUE(db_->in_transaction());
  ok(db_->exec("ROLLBACK"));
}

TEST_F(PostgresConnection, MigrationsRunOneAtATimeAndSeeThePreviousOne) {
  ok(db_->exec("CREATE TABLE v (n BIGINT)"));
  auto other = open();
  ok(db_->begin_migration());
  std::atomic<bool> committed{false};
  std::int64_t seen = -1;
  std::string failure;
  std::thread second([&] {
    try {
      // Waits for the first migration's lock; then sees its row.
      ok(other->begin_migration());
      EXPECT_TRUE(committed.load());
      seen = scalar(*other, "SELECT count(*) FROM v");
      ok(other->exec("COMMIT"));
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ok(db_->run("INSERT INTO v VALUES (1)"));
  committed = true;
  ok(db_->exec("COMMIT"));
  second.join();
  EXPECT_EQ(failure, "");
  EXPECT_EQ(seen, 1);
}

TEST_F(PostgresConnection, AnnouncedChangeArrivesAtCommit) {
  PGconn* listener = PQconnectdb(conninfo().c_str());
  ASSERT_EQ(PQstatus(listener), CONNECTION_OK);
  PQclear(PQexec(listener, "LISTEN letterhead_changes"));
  auto next = [&](int wait_ms) -> std::string {
    for (int waited = 0; waited <= wait_ms; waited += 20) {
      PQconsumeInput(listener);
      if (PGnotify* n = PQnotifies(listener)) {
        std::string payload = n->extra;
        PQfreemem(n);
        return payload;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  };

  ok(db_->begin_write());
  ok(db_->announce_change(42));
  EXPECT_EQ(next(200), "");  // not before COMMIT
  ok(db_->commit());
  EXPECT_EQ(next(5000), "42");

  ok(db_->begin_write());
  ok(db_->announce_change(7));
  ok(db_->exec("ROLLBACK"));
  EXPECT_EQ(next(300), "");
  PQfinish(listener);
}

TEST_F(PostgresConnection, BlobLocks) {
  const std::string a(64, 'a');
  const std::string b = std::string(16, 'b') + std::string(48, 'a');
  auto other = open();
  ok(other->exec("SET lock_timeout = '200ms'"));

  ok(db_->begin_write());
  ok(db_->lock_blob(a, false));
  ok(other->begin_write());
  ok(other->lock_blob(a, false));  // shared with shared
  EXPECT_TRUE(fails_with(other->lock_blob(a, true), core::errc::unavailable));  // lock_timeout
  ok(other->exec("ROLLBACK"));
  ok(db_->exec("COMMIT"));

  ok(db_->begin_write());
  ok(db_->lock_blob(a, true));
  ok(other->begin_write());
  EXPECT_TRUE(fails_with(other->lock_blob(a, false), core::errc::unavailable));
  ok(other->exec("ROLLBACK"));
  ok(other->begin_write());
  ok(other->lock_blob(b, true));  // another blob
  ok(other->exec("COMMIT"));
  ok(db_->exec("COMMIT"));  // the lock ends with the transaction
  ok(other->begin_write());
  ok(other->lock_blob(a, true));
  ok(other->exec("COMMIT"));
}

TEST_F(PostgresConnection, NestedUseOfTheSameStatement) {
  ok(db_->exec("CREATE TABLE t (k BIGINT); INSERT INTO t VALUES (1), (2), (3)"));
  constexpr std::string_view sql = "SELECT k FROM t WHERE k >= ? ORDER BY k";
  std::vector<std::int64_t> counts;
  auto outer = ok(db_->query(sql, 1));
  while (ok(outer.step())) {
    auto inner = ok(db_->query(sql, outer.i64(0)));
    std::int64_t n = 0;
    while (ok(inner.step())) ++n;
    counts.push_back(n);
    ok(db_->run("UPDATE t SET k = k WHERE k = ?", outer.i64(0)));  // another statement between rows
  }
  EXPECT_EQ(counts, (std::vector<std::int64_t>{3, 2, 1}));
}

TEST_F(PostgresConnection, ReconnectsAfterSessionEndedWhileIdle) {
  auto st = ok(db_->prepare("SELECT CAST(? AS BIGINT) + 1"));
  st.bind(1, 1);
  ASSERT_TRUE(ok(st.step()));
  st = sql::statement();
  auto before = backend_pid(*db_);
  terminate(before);

  // The next statement runs on a new session, where the cached one is prepared again.
  EXPECT_EQ(ok(db_->run_returning("SELECT CAST(? AS BIGINT) + 1", 41)), 42);
  EXPECT_NE(backend_pid(*db_), before);
  EXPECT_FALSE(db_->in_transaction());

  // The same through BEGIN.
  terminate(backend_pid(*db_));
  ok(db_->begin_write());
  EXPECT_EQ(ok(db_->run_returning("SELECT CAST(? AS BIGINT) + 1", 1)), 2);
  ok(db_->exec("COMMIT"));
}

TEST_F(PostgresConnection, SessionLostInsideTransactionFails) {
  ok(db_->exec("CREATE TABLE t (k BIGINT)"));
  ok(db_->begin_write());
  ok(db_->run("INSERT INTO t VALUES (1)"));
  terminate(backend_pid(*db_));
  EXPECT_TRUE(fails_with(db_->run("INSERT INTO t VALUES (2)"), core::errc::unavailable));
  // Nothing runs outside the caller's transaction until it has been told it is gone.
  if (db_->in_transaction()) EXPECT_TRUE(fails_with(db_->exec("ROLLBACK"), core::errc::unavailable));
  EXPECT_FALSE(db_->in_transaction());
  EXPECT_FALSE(db_->must_retry());
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 0);
}

TEST_F(PostgresConnection, ReadOnlyConnectionRefusesWrites) {
  ok(db_->exec("CREATE TABLE t (k BIGINT)"));
  auto reader = open(true);
  EXPECT_EQ(scalar(*reader, "SELECT count(*) FROM t"), 0);
  EXPECT_FALSE(reader->run("INSERT INTO t VALUES (1)"));
  ok(reader->begin_write());
  auto write = reader->run("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(write);
  EXPECT_NE(write.error().message.find("25006"), std::string::npos) << write.error().message;
  ok(reader->exec("ROLLBACK"));

  // Still after a new session.
  terminate(backend_pid(*reader));
  EXPECT_FALSE(reader->exec("CREATE TABLE u (k BIGINT)"));
  EXPECT_EQ(scalar(*db_, "SELECT count(*) FROM t"), 0);
}

TEST_F(PostgresConnection, NameAndErrorsNeverShowThePassword) {
  auto with_password = ok(connection::open(conninfo() + " password='hunter2' application_name=x", false));
  EXPECT_EQ(with_password->name().find("hunter2"), std::string::npos) << with_password->name();
  EXPECT_NE(with_password->name().find("dbname='" + database_ + "'"), std::string::npos) << with_password->name();
  EXPECT_EQ(scalar(*with_password, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'x'"), 1);

  auto uri = "postgresql://letterhead:hunter2@127.0.0.1:" + std::to_string(pg_server::instance().port()) + "/" +
             database_ + "?connect_timeout=5";
  auto by_uri = ok(connection::open(uri, false));
  EXPECT_EQ(by_uri->name().find("hunter2"), std::string::npos) << by_uri->name();
  EXPECT_EQ(scalar(*by_uri, "SELECT 1"), 1);

  auto refused = connection::open("host=127.0.0.1 port=1 password=hunter2 connect_timeout=2", false);
  ASSERT_TRUE(fails_with(refused, core::errc::unavailable));
  EXPECT_EQ(refused.error().message.find("hunter2"), std::string::npos) << refused.error().message;

  EXPECT_TRUE(fails_with(connection::open("host=127.0.0.1 password=hunter2 port", false), core::errc::invalid));
  auto bad = connection::open("host=127.0.0.1 password=hunter2 port", false);
  EXPECT_EQ(bad.error().message.find("hunter2"), std::string::npos) << bad.error().message;
}

TEST_F(PostgresConnection, SessionSettings) {
  auto st = ok(db_->prepare(
      "SELECT current_setting('client_encoding'), current_setting('application_name'), "
      "current_setting('default_transaction_read_only'), current_setting('server_version_num')"));
  ASSERT_TRUE(ok(st.step()));
  EXPECT_EQ(st.text(0), "UTF8");
  EXPECT_EQ(st.text(1), "letterhead");
  EXPECT_EQ(st.text(2), "off");
  EXPECT_GE(st.i64(3), 150000);
}

}  // namespace
}  // namespace letterhead::store
