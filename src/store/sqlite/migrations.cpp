#include "store/sqlite/migrations.hpp"

#include <ctime>
#include <string>

#include "store/detail/try.hpp"

namespace letterhead::store::sqlite {

namespace {

// Version 1: the foundation schema.
//
// - Every per-account table carries account_id and leads its keys with it, so that
//   sharding by account stays possible.
// - AUTOINCREMENT where an id goes out to clients (JMAP ids, IMAP via mailbox ids):
//   SQLite would otherwise reuse the id of a deleted last row.
// - Addresses keep the form given and are looked up by a lower-cased *_key column.
// - Enumerations are stored as stable names or codes, never as C++ enum positions.
constexpr std::string_view v1 = R"sql(
CREATE TABLE store_counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
-- Last UIDVALIDITY handed out; see next_uidvalidity() in mailboxes.cpp.
INSERT INTO store_counters (name, value) VALUES ('uidvalidity', 0);

CREATE TABLE domains (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  name      TEXT NOT NULL UNIQUE,          -- lower-case A-label form
  catch_all TEXT,
  created   INTEGER NOT NULL
);

CREATE TABLE accounts (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id     INTEGER NOT NULL REFERENCES domains (id),
  address       TEXT NOT NULL,
  address_key   TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  quota_bytes   INTEGER NOT NULL DEFAULT 0,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created       INTEGER NOT NULL,
  modseq        INTEGER NOT NULL DEFAULT 0  -- the account's highest MODSEQ (RFC 7162)
);
CREATE INDEX accounts_by_domain ON accounts (domain_id, address_key);

-- One row per target, in the order given.
CREATE TABLE aliases (
  address_key TEXT NOT NULL,
  position    INTEGER NOT NULL,
  domain_id   INTEGER NOT NULL REFERENCES domains (id),
  address     TEXT NOT NULL,
  target      TEXT NOT NULL,
  PRIMARY KEY (address_key, position)
) WITHOUT ROWID;
CREATE INDEX aliases_by_domain ON aliases (domain_id, address_key);

CREATE TABLE mailboxes (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id     INTEGER NOT NULL REFERENCES accounts (id),
  name           TEXT NOT NULL,
  role           TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive')),
  uidvalidity    INTEGER NOT NULL,
  uidnext        INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 0,
  messages       INTEGER NOT NULL DEFAULT 0,
  size           INTEGER NOT NULL DEFAULT 0,
  subscribed     INTEGER NOT NULL DEFAULT 1,
  UNIQUE (account_id, name)
);
-- A role names at most one mailbox of an account (NULL = no role).
CREATE UNIQUE INDEX mailboxes_by_role ON mailboxes (account_id, role) WHERE role IS NOT NULL;

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id    INTEGER NOT NULL REFERENCES accounts (id),
  mailbox_id    INTEGER NOT NULL REFERENCES mailboxes (id),
  uid           INTEGER NOT NULL,
  blob          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  flags         INTEGER NOT NULL DEFAULT 0,
  keywords      TEXT NOT NULL DEFAULT '',   -- space-separated
  modseq        INTEGER NOT NULL,
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_by_account ON messages (account_id, mailbox_id);

-- The account's change log: CONDSTORE/QRESYNC, JMAP /changes and push read it.
-- mailbox_id has no foreign key: a deleted mailbox stays named in the log.
CREATE TABLE changes (
  account_id INTEGER NOT NULL REFERENCES accounts (id),
  modseq     INTEGER NOT NULL,
  kind       INTEGER NOT NULL,   -- codes in sqlite/codes.cpp
  mailbox_id INTEGER NOT NULL,
  uid        INTEGER NOT NULL DEFAULT 0,
  time       INTEGER NOT NULL,
  PRIMARY KEY (account_id, modseq)
) WITHOUT ROWID;

-- Reference counts of content-addressed blobs; a row exists while refcount > 0.
CREATE TABLE blobs (
  hash     TEXT PRIMARY KEY,
  size     INTEGER NOT NULL,
  refcount INTEGER NOT NULL CHECK (refcount > 0)
) WITHOUT ROWID;

CREATE TABLE queue (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  blob         TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mail_from    TEXT NOT NULL,
  dsn_ret      TEXT NOT NULL DEFAULT '',
  dsn_envid    TEXT NOT NULL DEFAULT '',
  auth_account TEXT NOT NULL DEFAULT '',
  created      INTEGER NOT NULL,
  next_attempt INTEGER NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  held         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX queue_by_next_attempt ON queue (next_attempt, id);

CREATE TABLE queue_recipients (
  queue_id   INTEGER NOT NULL REFERENCES queue (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  address    TEXT NOT NULL,
  dsn_notify TEXT NOT NULL DEFAULT '',
  dsn_orcpt  TEXT NOT NULL DEFAULT '',
  status     TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  last_reply TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (queue_id, position)
) WITHOUT ROWID;

CREATE TABLE audit_log (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  time   INTEGER NOT NULL,
  actor  TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

constexpr std::string_view all[] = {v1};

}  // namespace

std::span<const std::string_view> migrations() noexcept { return all; }

core::result<int> migrate(connection& db) {
  STORE_TRY(db.exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)"));
  const int known = static_cast<int>(migrations().size());
  for (;;) {
    // IMMEDIATE: two processes opening a fresh file at once must not both apply a script.
    STORE_TRY(db.exec("BEGIN IMMEDIATE"));
    auto step = [&]() -> core::result<bool> {
      STORE_TRY_ASSIGN(auto st, db.query("SELECT coalesce(max(version), 0) FROM schema_version"));
      STORE_TRY_ASSIGN(bool row, st.step());
      int current = row ? static_cast<int>(st.i64(0)) : 0;
      st = {};
      if (current > known) {
        return core::fail(core::errc::invalid,
                          "database " + db.path() + " has schema version " + std::to_string(current) +
                              ", newer than this program knows (" + std::to_string(known) +
                              "): run a newer letterhead or restore a backup");
      }
      if (current == known) return false;
      STORE_TRY(db.exec(migrations()[static_cast<std::size_t>(current)]));
      STORE_TRY(db.run("INSERT INTO schema_version (version, applied) VALUES (?, ?)", current + 1,
                       static_cast<std::int64_t>(::time(nullptr))));
      return true;
    };
    auto more = step();
    if (!more) {
      (void)db.exec("ROLLBACK");
      return std::unexpected(more.error());
    }
    STORE_TRY(db.exec("COMMIT"));
    if (!*more) return known;
  }
}

}  // namespace letterhead::store::sqlite
