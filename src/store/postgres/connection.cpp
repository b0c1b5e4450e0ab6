#include "store/postgres/connection.hpp"

#include <poll.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <utility>

#include <libpq-fe.h>

#include "mime/charset.hpp"
#include "store/detail/try.hpp"
#include "store/postgres/change_listener.hpp"
#include "store/postgres/placeholders.hpp"
#include "store/postgres/sqlstate.hpp"

namespace letterhead::store::postgres {

namespace {

// Type OIDs of pg_type (catalog/pg_type.dat), fixed since PostgreSQL 7.
constexpr Oid bool_oid = 16;
constexpr Oid bytea_oid = 17;
constexpr Oid int8_oid = 20;
constexpr Oid int2_oid = 21;
constexpr Oid int4_oid = 23;

// Seconds to wait for a connection when the conninfo names no connect_timeout: without
// one libpq waits for the operating system, minutes for an unreachable host.
constexpr const char* default_connect_timeout = "10";

// The key of the advisory lock that serialises schema migrations between processes
// ("Letterhd" in ASCII): any fixed value, shared by every version of the program.
constexpr std::int64_t schema_lock_key = 0x4c65747465726864;

std::string_view first_line(std::string_view sql) {
  auto start = sql.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  sql.remove_prefix(start);
  return sql.substr(0, sql.find('\n'));
}

// libpq's messages end in a newline and may span lines ("\n\tThis probably means...").
std::string one_line(const char* message) {
  std::string s;
  for (const char* p = message != nullptr ? message : ""; *p != '\0'; ++p) {
    bool space = *p == '\n' || *p == '\t' || *p == ' ';
    if (space && (s.empty() || s.back() == ' ')) continue;
    s += space ? ' ' : *p;
  }
  if (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// libpq prints notices (such as "there is no transaction in progress") on stderr
// unless the connection has a processor of its own; none of them needs an action.
void ignore_notice(void*, const char*) {}

// `key=value` with the value quoted as libpq's conninfo syntax wants.
void append_setting(std::string& out, std::string_view key, std::string_view value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += "='";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
}

bool secret_setting(std::string_view key) { return key == "password" || key == "sslpassword"; }

std::optional<std::int64_t> parse_integer(std::string_view s) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return value;
}

// Rows changed by an INSERT, UPDATE, DELETE or MERGE (with or without RETURNING); any
// other command leaves changes() as it was, as sqlite3_changes does.
std::optional<std::int64_t> rows_changed(const PGresult* res) {
  std::string_view status = PQcmdStatus(const_cast<PGresult*>(res));
  if (!status.starts_with("INSERT ") && !status.starts_with("UPDATE ") && !status.starts_with("DELETE ") &&
      !status.starts_with("MERGE ")) {
    return std::nullopt;
  }
  return parse_integer(PQcmdTuples(const_cast<PGresult*>(res)));
}

std::string decode_bytea(const char* value, int length) {
  if (value == nullptr) return {};
  std::size_t size = 0;
  unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(value), &size);
  if (raw == nullptr) return std::string(value, static_cast<std::size_t>(length));
  std::string out(reinterpret_cast<const char*>(raw), size);
  PQfreemem(raw);
  return out;
}

}  // namespace

// One client-side cursor over a prepared statement: its parameters and, once run, the
// whole result. Several cursors of one SQL text share its server-side statement.
class connection::cursor final : public sql::cursor {
 public:
  cursor(connection& db, prepared& p)
      : db_(db), p_(p), values_(static_cast<std::size_t>(p.parameters)), binary_(values_.size(), 0) {}
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
  ~cursor() { PQclear(result_); }

  bool in_use = false;

  void bind_null(int index) override {
    if (auto* v = slot(index)) v->reset();
  }
  void bind_i64(int index, std::int64_t value) override {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    set(index, std::string_view(buf, static_cast<std::size_t>(end - buf)), false);
  }
  void bind_text(int index, std::string_view value) override {
    // A text parameter travels NUL-terminated, and PostgreSQL text cannot hold NUL.
    if (value.find('\0') != std::string_view::npos) {
      note_bind_error(core::errc::invalid, "text parameter " + std::to_string(index) + " holds a NUL byte");
      return;
    }
    // PostgreSQL refuses text that is not UTF-8 (SQLSTATE 22021), which SQLite stores
    // as given. The store's text comes checked from the protocols, except what remote
    // peers say (an MTA's reply kept on a queue entry): such bytes become U+FFFD
    // rather than failing the write that records the attempt.
    if (!mime::is_valid_utf8(value)) {
      auto repaired = mime::to_utf8(value, "utf-8");
      if (!repaired) {
        note_bind_error(core::errc::invalid, "text parameter " + std::to_string(index) + " is not UTF-8");
        return;
      }
      set(index, *repaired, false);
      return;
    }
    set(index, value, false);
  }
  void bind_bytes(int index, std::string_view value) override { set(index, value, true); }

  core::result<bool> step() override {
    if (done_) return false;
    if (result_ == nullptr) {
      if (bind_error_) return std::unexpected(*bind_error_);
      STORE_TRY(run());
    }
    if (++row_ < PQntuples(result_)) return true;
    done_ = true;
    if (auto n = rows_changed(result_)) db_.changes_ = *n;
    return false;
  }

  std::int64_t i64(int col) const override {
    const char* v = value(col);
    if (v == nullptr) return 0;
    if (PQftype(result_, col) == bool_oid) return v[0] == 't' ? 1 : 0;
    return parse_integer(v).value_or(0);
  }
  bool is_null(int col) const override { return PQgetisnull(result_, row_, col) != 0; }
  std::string text(int col) const override {
    // As SQLite gives a blob's bytes as text.
    if (PQftype(result_, col) == bytea_oid) return bytes(col);
    const char* v = value(col);
    return v != nullptr ? std::string(v, static_cast<std::size_t>(PQgetlength(result_, row_, col))) : std::string();
  }
  std::string bytes(int col) const override {
    const char* v = value(col);
    if (v == nullptr) return {};
    auto length = PQgetlength(result_, row_, col);
    if (PQftype(result_, col) == bytea_oid) return decode_bytea(v, length);
    return std::string(v, static_cast<std::size_t>(length));
  }
  int column_count() const override { return result_ != nullptr ? PQnfields(result_) : 0; }
  sql::value_kind kind(int col) const override {
    if (value(col) == nullptr) return sql::value_kind::null;
    switch (PQftype(result_, col)) {
      case bool_oid:
      case int2_oid:
      case int4_oid:
      case int8_oid:
        return sql::value_kind::integer;
      case bytea_oid:
        return sql::value_kind::bytes;
      default:
        return sql::value_kind::text;
    }
  }

  void release() noexcept override {
    PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    done_ = false;
    bind_error_.reset();
    for (auto& v : values_) v.reset();
    std::fill(binary_.begin(), binary_.end(), 0);
    in_use = false;
  }

 private:
  std::optional<std::string>* slot(int index) {
    if (index < 1 || index > p_.parameters) {
      note_bind_error(core::errc::internal, "parameter " + std::to_string(index) + " of " +
                                                std::to_string(p_.parameters));
      return nullptr;
    }
    return &values_[static_cast<std::size_t>(index - 1)];
  }
  void set(int index, std::string_view value, bool binary) {
    if (auto* v = slot(index)) {
      v->emplace(value);
      binary_[static_cast<std::size_t>(index - 1)] = binary ? 1 : 0;
    }
  }
  void note_bind_error(core::errc code, std::string what) {
    if (!bind_error_) bind_error_ = core::error{code, "postgres: " + p_.first_line + ": " + std::move(what)};
  }

  core::result<void> run() {
    STORE_TRY(db_.ensure_session(p_.first_line));
    STORE_TRY(db_.ensure_prepared(p_));
    std::vector<const char*> pointers(values_.size(), nullptr);
    std::vector<int> lengths(values_.size(), 0);
    for (std::size_t i = 0; i < values_.size(); ++i) {
      if (!values_[i]) continue;
      pointers[i] = values_[i]->c_str();
      lengths[i] = static_cast<int>(values_[i]->size());
    }
    PGresult* res = PQexecPrepared(db_.conn_, p_.statement_name.c_str(), p_.parameters, pointers.data(),
                                   lengths.data(), binary_.data(), 0);
    auto checked = db_.check(res, p_.first_line, true);
    if (!checked) {
      PQclear(res);
      return checked;
    }
    result_ = res;
    row_ = -1;
    return {};
  }

  const char* value(int col) const {
    if (result_ == nullptr || PQgetisnull(result_, row_, col) != 0) return nullptr;
    return PQgetvalue(result_, row_, col);
  }

  connection& db_;
  prepared& p_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> binary_;  // PQexecPrepared's paramFormats: 1 = binary
  PGresult* result_ = nullptr;
  int row_ = -1;
  bool done_ = false;
  std::optional<core::error> bind_error_;
};

core::result<std::unique_ptr<connection>> connection::open(const std::string& conninfo, bool read_only,
                                                          std::string_view server_options) {
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    // libpq quotes the text around a syntax error, which could be part of a password.
    std::string why = conninfo.find("password") == std::string::npos ? one_line(parse_error) : "syntax error";
    PQfreemem(parse_error);
    return core::fail(core::errc::invalid, "postgres: bad connection string: " + why);
  }

  std::vector<std::pair<std::string, std::string>> settings;
  std::string name;
  std::string options;
  bool has_timeout = false;
  for (auto* o = parsed; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    std::string_view key = o->keyword;
    if (!secret_setting(key)) append_setting(name, key, o->val);
    if (key == "client_encoding") continue;
    if (key == "options") {
      options = o->val;
      continue;
    }
    if (key == "connect_timeout") has_timeout = true;
    // libpq's read-write test asks the session whether it is read-only, which a reader
    // (default_transaction_read_only below) always is, even on the primary; "primary"
    // means what the administrator wanted and also fits readers (docs/cluster.md).
    if (read_only && key == "target_session_attrs" && std::string_view(o->val) == "read-write") {
      settings.emplace_back(key, "primary");
      continue;
    }
    settings.emplace_back(key, o->val);
  }
  PQconninfoFree(parsed);
  if (!has_timeout) settings.emplace_back("connect_timeout", default_connect_timeout);
  settings.emplace_back("client_encoding", "UTF8");
  settings.emplace_back("fallback_application_name", "letterhead");
  // A server option rather than a SET, so that it holds again after PQreset.
  if (read_only) options += " -c default_transaction_read_only=on";
  if (!server_options.empty()) {
    options += ' ';
    options += server_options;
  }
  if (!options.empty()) settings.emplace_back("options", options);

  std::vector<const char*> keys;
  std::vector<const char*> values;
  for (auto& [k, v] : settings) {
    keys.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 0);
  if (conn == nullptr) return core::fail(core::errc::unavailable, "postgres: cannot connect to " + name + ": out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = one_line(PQerrorMessage(conn));
    PQfinish(conn);
    return core::fail(core::errc::unavailable, "postgres: cannot connect to " + name + ": " + why);
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  return std::unique_ptr<connection>(new connection(conn, std::move(name)));
}

connection::connection(PGconn* conn, std::string name) : conn_(conn), name_(std::move(name)) {}

connection::~connection() {
  cache_.clear();
  PQfinish(conn_);
}

void connection::read_pending_input() {
  // A session ended by the server holds its last message (a FATAL error, which goes to
  // the notice processor) and then the end of the stream, which libpq sees on the read
  // after that one: a few rounds, while poll says there is more.
  for (int round = 0; round < 4 && PQstatus(conn_) == CONNECTION_OK; ++round) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return;
    if (PQconsumeInput(conn_) == 0) return;
    (void)PQisBusy(conn_);  // parses what came in
  }
}

core::result<void> connection::ensure_session(std::string_view context) {
  // Outside a transaction, read what the server may have sent meanwhile: a session it
  // ended while idle (restart, pg_terminate_backend) shows as CONNECTION_BAD here,
  // before a statement is sent into it. Inside one, the next statement finds out.
  if (!in_transaction_) read_pending_input();
  if (PQstatus(conn_) == CONNECTION_OK) return {};
  if (in_transaction_) {
    // The server rolled the transaction back when the session ended; the caller must
    // not believe that the statements after this one belong to it.
    in_transaction_ = false;
    must_retry_ = false;
    return core::fail(core::errc::unavailable,
                      "postgres: " + std::string(context) + ": the connection was lost inside a transaction");
  }
  PQreset(conn_);
  ++session_;  // every statement must be prepared again in the new session
  if (PQstatus(conn_) != CONNECTION_OK) {
    return core::fail(core::errc::unavailable,
                      "postgres: cannot reconnect to " + name_ + ": " + one_line(PQerrorMessage(conn_)));
  }
  return {};
}

core::result<void> connection::ensure_prepared(prepared& p) {
  if (p.session == session_) return {};
  // No parameter types: the server infers them from where each $n appears.
  PGresult* res = PQprepare(conn_, p.statement_name.c_str(), p.text.c_str(), 0, nullptr);
  auto checked = check(res, p.first_line, false);
  PQclear(res);
  if (checked) p.session = session_;
  return checked;
}

core::result<void> connection::check(PGresult* res, std::string_view context, bool statement) {
  if (PQstatus(conn_) == CONNECTION_OK) in_transaction_ = PQtransactionStatus(conn_) != PQTRANS_IDLE;
  auto status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    if (statement) must_retry_ = false;
    return {};
  }
  std::string_view sqlstate;
  if (res != nullptr) {
    const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (s != nullptr) sqlstate = s;
  }
  must_retry_ = must_retry_sqlstate(sqlstate);
  auto code = errc_for_sqlstate(sqlstate);
  // An error of libpq's own (no SQLSTATE) on a broken connection: the server is gone.
  if (sqlstate.empty() && PQstatus(conn_) != CONNECTION_OK) code = core::errc::unavailable;

  std::string message = "postgres: ";
  message += context;
  message += ": ";
  const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  if (primary != nullptr) {
    message += primary;
  } else if (status == PGRES_FATAL_ERROR) {
    message += one_line(PQerrorMessage(conn_));
  } else {
    message += "unexpected result ";
    message += PQresStatus(status);
  }
  if (!sqlstate.empty()) {
    message += " (SQLSTATE ";
    message += sqlstate;
    message += ')';
  }
  return core::fail(code, std::move(message));
}

core::result<void> connection::exec(std::string_view sql) {
  std::string text(sql);
  std::string context(first_line(sql));
  STORE_TRY(ensure_session(context));
  PGresult* res = PQexec(conn_, text.c_str());
  auto checked = check(res, context, true);
  if (checked) {
    if (auto n = rows_changed(res)) changes_ = *n;
  }
  PQclear(res);
  return checked;
}

core::result<void> connection::exec_binary(const char* sql, std::span<const std::string_view> params,
                                           const std::function<void(const pg_result&)>& read) {
  auto context = first_line(sql);
  STORE_TRY(ensure_session(context));
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(params.size(), 1);
  values.reserve(params.size());
  lengths.reserve(params.size());
  for (auto p : params) {
    if (p.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
      return core::fail(core::errc::limit, "postgres: " + std::string(context) + ": a parameter is too large");
    }
    // A null pointer would be SQL NULL: an empty value still needs one.
    values.push_back(p.data() != nullptr ? p.data() : "");
    lengths.push_back(static_cast<int>(p.size()));
  }
  PGresult* res = PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr, values.data(), lengths.data(),
                               formats.data(), 1);
  auto checked = check(res, context, true);
  if (checked) {
    if (auto n = rows_changed(res)) changes_ = *n;
    read(*res);
  }
  PQclear(res);
  return checked;
}

core::result<sql::statement> connection::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    prepared p;
    auto numbered = number_placeholders(sql);
    p.text = std::move(numbered.text);
    p.parameters = numbered.parameters;
    p.first_line = first_line(sql);
    p.statement_name = "letterhead_" + std::to_string(next_statement_++);
    STORE_TRY(ensure_session(p.first_line));
    STORE_TRY(ensure_prepared(p));
    it = cache_.emplace(std::string(sql), std::move(p)).first;
  }
  // A cursor already lent out (the caller is walking its rows and runs the same SQL
  // again inside the loop) is left alone: the nested use gets a cursor of its own.
  auto& p = it->second;
  cursor* free = nullptr;
  for (auto& c : p.cursors) {
    if (!c->in_use) {
      free = c.get();
      break;
    }
  }
  if (free == nullptr) free = p.cursors.emplace_back(std::make_unique<cursor>(*this, p)).get();
  free->in_use = true;
  return sql::statement(free);
}

core::result<void> connection::begin(std::string_view sql) {
  // PostgreSQL would only warn and carry on in the open transaction.
  if (in_transaction_ && PQstatus(conn_) == CONNECTION_OK) {
    return core::fail(core::errc::internal, "postgres: " + std::string(sql) + ": a transaction is open already");
  }
  bool idle = !in_transaction_;
  must_retry_ = false;
  announced_.clear();
  auto r = exec(sql);
  // A session that ended just before BEGIN reached it: nothing ran, so the BEGIN can
  // go again on a new session.
  if (!r && idle && !in_transaction_ && PQstatus(conn_) != CONNECTION_OK) r = exec(sql);
  return r;
}

core::result<void> connection::begin_write() { return begin("BEGIN ISOLATION LEVEL SERIALIZABLE"); }

core::result<void> connection::begin_read() { return begin("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"); }

core::result<void> connection::begin_short_write() { return begin("BEGIN ISOLATION LEVEL READ COMMITTED"); }

core::result<std::optional<std::int64_t>> connection::server_clock_ms() {
  // clock_timestamp(), not now(): now() is the start of the current transaction.
  STORE_TRY_ASSIGN(auto st, query("SELECT CAST(floor(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)"));
  STORE_TRY_ASSIGN(bool row, st.step());
  if (!row) return core::fail(core::errc::internal, "postgres: no row for the server's clock");
  return std::optional<std::int64_t>(st.i64(0));
}

core::result<void> connection::begin_migration() {
  STORE_TRY(begin("BEGIN ISOLATION LEVEL READ COMMITTED"));
  auto locked = exec("SELECT pg_advisory_xact_lock(" + std::to_string(schema_lock_key) + ")");
  if (!locked) (void)exec("ROLLBACK");
  return locked;
}

core::result<void> connection::announce_change(std::int64_t account) {
  announced_.insert(account);
  return {};
}

core::result<void> connection::commit() {
  // Inside the transaction, so PostgreSQL delivers them only if the COMMIT succeeds.
  for (auto account : announced_) {
    STORE_TRY(run("SELECT pg_notify(CAST(? AS TEXT), CAST(? AS TEXT))", change_channel, std::to_string(account)));
  }
  announced_.clear();
  return exec("COMMIT");
}

core::result<void> connection::lock_blob(std::string_view hash, bool exclusive) {
  std::uint64_t key = 0;
  auto prefix = hash.substr(0, 16);
  auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), key, 16);
  if (ec != std::errc() || end != prefix.data() + prefix.size()) key = std::hash<std::string_view>{}(hash);
  auto signed_key = static_cast<std::int64_t>(key);
  if (exclusive) return run("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", signed_key);
  return run("SELECT pg_advisory_xact_lock_shared(CAST(? AS BIGINT))", signed_key);
}

}  // namespace letterhead::store::postgres
