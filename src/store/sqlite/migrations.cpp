#include "store/sqlite/migrations.hpp"


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

// Version 2: ACLs, DKIM keys, the parse cache, and what the outbound sender needs
// in the queue (leases, declared body type, per-recipient DSN state).
//
// - mailbox_acl rows go with their mailbox and with either account (ON DELETE CASCADE).
// - blob_meta rows go with their blobs row, in the transaction that drops the count
//   to zero (ON DELETE CASCADE on the hash).
// - queue_due serves claim_queue: due, unheld entries in next_attempt order, so a
//   claim reads only the rows it takes (plus any leased ones it skips).
constexpr std::string_view v2 = R"sql(
CREATE TABLE mailbox_acl (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,   -- owner
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
  grantee    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  rights     TEXT NOT NULL CHECK (rights <> ''),   -- RFC 4314 letters, canonical order
  PRIMARY KEY (mailbox_id, grantee)
) WITHOUT ROWID;
CREATE INDEX mailbox_acl_by_grantee ON mailbox_acl (grantee);
CREATE INDEX mailbox_acl_by_account ON mailbox_acl (account_id, mailbox_id);

CREATE TABLE dkim_keys (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id       INTEGER NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
  selector        TEXT NOT NULL,     -- lower case
  algorithm       TEXT NOT NULL CHECK (algorithm IN ('rsa-sha256', 'ed25519-sha256')),
  private_key_pem TEXT NOT NULL,
  public_key      TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('active', 'retired')),
  created         INTEGER NOT NULL,
  retired         INTEGER NOT NULL DEFAULT 0,
  UNIQUE (domain_id, selector)
);

-- Parse results per blob; opaque to the store.
CREATE TABLE blob_meta (
  hash    TEXT PRIMARY KEY REFERENCES blobs (hash) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  data    BLOB NOT NULL
) WITHOUT ROWID;

ALTER TABLE queue ADD COLUMN body_type TEXT NOT NULL DEFAULT '';
ALTER TABLE queue ADD COLUMN smtputf8 INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN requiretls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN delay_warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN last_attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE queue ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE INDEX queue_due ON queue (next_attempt, id) WHERE held = 0;

ALTER TABLE queue_recipients ADD COLUMN remote_mta TEXT NOT NULL DEFAULT '';
ALTER TABLE queue_recipients ADD COLUMN dsn_sent INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 3: the organisation (issue 6 part A): departments, employee profiles, the
// domains' address formats, groups with members, allowed senders and owners, mail
// held for moderation, roles and mail rules.
//
// - Rows that name an account or a department go with it (ON DELETE CASCADE), except
//   profiles.department_id, which remove_department handles itself (refuse or move).
// - held_messages.blob counts in blobs.refcount like a message row does.
// - group_members has one column per kind of reference so that each can cascade.
constexpr std::string_view v3 = R"sql(
CREATE TABLE departments (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  parent_id INTEGER REFERENCES departments (id),   -- NULL = top level
  name      TEXT NOT NULL,
  name_key  TEXT NOT NULL,                         -- ASCII lower case
  created   INTEGER NOT NULL
);
CREATE UNIQUE INDEX departments_by_parent ON departments (coalesce(parent_id, 0), name_key);

CREATE TABLE profiles (
  account_id    INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  title         TEXT NOT NULL DEFAULT '',
  phone         TEXT NOT NULL DEFAULT '',
  employee_id   TEXT NOT NULL DEFAULT '',
  department_id INTEGER REFERENCES departments (id),
  manager_id    INTEGER REFERENCES accounts (id) ON DELETE SET NULL
);
CREATE INDEX profiles_by_department ON profiles (department_id);
CREATE INDEX profiles_by_manager ON profiles (manager_id);

CREATE TABLE domain_address_formats (
  domain_id INTEGER PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
  format    TEXT NOT NULL
);

CREATE TABLE mail_groups (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  domain_id   INTEGER NOT NULL REFERENCES domains (id),
  address     TEXT NOT NULL,
  address_key TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL DEFAULT '',
  policy      TEXT NOT NULL CHECK (policy IN ('anyone', 'internal', 'members', 'senders', 'roles')),
  moderated   INTEGER NOT NULL DEFAULT 0,
  created     INTEGER NOT NULL
);
CREATE INDEX mail_groups_by_domain ON mail_groups (domain_id, address_key);

CREATE TABLE group_members (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id     INTEGER NOT NULL REFERENCES mail_groups (id) ON DELETE CASCADE,
  kind         TEXT NOT NULL CHECK (kind IN ('account', 'department', 'external', 'group', 'all')),
  account_id   INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
  department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE,
  member_group INTEGER REFERENCES mail_groups (id) ON DELETE CASCADE,
  address      TEXT NOT NULL DEFAULT ''   -- external members, lower case
);
CREATE UNIQUE INDEX group_members_unique ON group_members
  (group_id, kind, coalesce(account_id, 0), coalesce(department_id, 0), coalesce(member_group, 0), address);
CREATE INDEX group_members_by_member_group ON group_members (member_group);
CREATE INDEX group_members_by_department ON group_members (department_id);

-- Allowed senders (addresses) or roles of a group, as its policy says.
CREATE TABLE group_allowed (
  group_id INTEGER NOT NULL REFERENCES mail_groups (id) ON DELETE CASCADE,
  entry    TEXT NOT NULL,
  PRIMARY KEY (group_id, entry)
) WITHOUT ROWID;

CREATE TABLE group_owners (
  group_id   INTEGER NOT NULL REFERENCES mail_groups (id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, account_id)
) WITHOUT ROWID;
CREATE INDEX group_owners_by_account ON group_owners (account_id);

CREATE TABLE held_messages (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  group_id     INTEGER NOT NULL REFERENCES mail_groups (id),
  blob         TEXT NOT NULL,
  size         INTEGER NOT NULL,
  mail_from    TEXT NOT NULL,
  auth_account TEXT NOT NULL DEFAULT '',
  created      INTEGER NOT NULL
);
CREATE INDEX held_messages_by_group ON held_messages (group_id, id);

CREATE TABLE account_roles (
  account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  role          TEXT NOT NULL,
  domain_id     INTEGER REFERENCES domains (id) ON DELETE CASCADE,
  department_id INTEGER REFERENCES departments (id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX account_roles_unique ON account_roles
  (account_id, role, coalesce(domain_id, 0), coalesce(department_id, 0));

-- NULL fields are unset (the other rules that apply decide).
CREATE TABLE mail_rules (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id       INTEGER UNIQUE REFERENCES accounts (id) ON DELETE CASCADE,
  role             TEXT UNIQUE,
  internal_only    INTEGER,
  allowed_domains  TEXT,             -- space-separated, lower case
  max_recipients   INTEGER,
  max_message_size INTEGER,
  CHECK ((account_id IS NULL) <> (role IS NULL))
);
)sql";

// Version 4: account security and offboarding (issue 6 part B): password policies
// per domain, SCRAM credentials and password age, TOTP secrets, app passwords,
// password history, login throttling, login history and known networks, offboarding
// records and the auto-reply log.
//
// - Every per-account row goes with its account (ON DELETE CASCADE).
// - login_throttles is keyed by text ("ip:ADDR", "account:ADDR|ID") and has no
//   foreign key: it is shared state of every node, cleared by `security unban`.
constexpr std::string_view v4 = R"sql(
CREATE TABLE password_policies (
  domain_id             INTEGER PRIMARY KEY REFERENCES domains (id) ON DELETE CASCADE,
  min_length            INTEGER NOT NULL,
  min_classes           INTEGER NOT NULL,
  history               INTEGER NOT NULL,
  max_age_days          INTEGER NOT NULL,
  warn_days             INTEGER NOT NULL,
  change_at_first_login INTEGER NOT NULL,
  refuse_common         INTEGER NOT NULL
);

CREATE TABLE account_security (
  account_id           INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  scram_salt           BLOB,             -- NULL = no SCRAM credentials
  scram_iterations     INTEGER NOT NULL DEFAULT 0,
  scram_stored_key     BLOB,
  scram_server_key     BLOB,
  password_changed     INTEGER NOT NULL DEFAULT 0,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  expiry_warned        INTEGER NOT NULL DEFAULT 0,
  totp_secret          BLOB NOT NULL DEFAULT x'',
  totp_last_step       INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE password_history (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  hash       TEXT NOT NULL,
  replaced   INTEGER NOT NULL
);
CREATE INDEX password_history_by_account ON password_history (account_id, id);

CREATE TABLE app_passwords (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  name       TEXT NOT NULL,
  hash       TEXT NOT NULL,
  protocols  TEXT NOT NULL,            -- space-separated, sorted
  created    INTEGER NOT NULL,
  last_used  INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);

CREATE TABLE login_throttles (
  key           TEXT PRIMARY KEY,
  failures      INTEGER NOT NULL,
  window_start  INTEGER NOT NULL,
  blocked_until INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX login_throttles_blocked ON login_throttles (blocked_until);

CREATE TABLE login_events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  time       INTEGER NOT NULL,
  ip         TEXT NOT NULL,
  protocol   TEXT NOT NULL,
  result     TEXT NOT NULL
);
CREATE INDEX login_events_by_account ON login_events (account_id, id);

CREATE TABLE login_networks (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  network    TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (account_id, network)
) WITHOUT ROWID;

CREATE TABLE offboardings (
  account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  successor_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  forward      INTEGER NOT NULL,
  auto_reply   TEXT NOT NULL DEFAULT '',
  transferred  INTEGER NOT NULL,
  was_disabled INTEGER NOT NULL,
  moved_groups TEXT NOT NULL DEFAULT '',  -- space-separated group ids
  created      INTEGER NOT NULL
);
CREATE INDEX offboardings_by_successor ON offboardings (successor_id);

CREATE TABLE auto_replies (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  sender_key TEXT NOT NULL,              -- lower case
  last_sent  INTEGER NOT NULL,
  PRIMARY KEY (account_id, sender_key)
) WITHOUT ROWID;
)sql";

// v5: admin API sessions; audit queries by time.
constexpr std::string_view v5 = R"sql(
CREATE TABLE admin_sessions (
  token_hash TEXT PRIMARY KEY,       -- hex SHA-256 of the token; the token itself is never stored
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  remote_ip  TEXT NOT NULL,
  created    INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  expires    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);
CREATE INDEX audit_log_time ON audit_log (time);
)sql";

// v6: blob_meta as a rowid table. Its rows (about 1.3 KB of summary) do not suit
// WITHOUT ROWID, whose interior pages hold whole records: a 100,000-entry cache was
// about ten levels deep with an overflow page per level, and a lookup read ~12 pages.
// With rowids the interior pages hold integers and the hash index stays small.
constexpr std::string_view v6 = R"sql(
CREATE TABLE blob_meta_v6 (
  hash    TEXT PRIMARY KEY REFERENCES blobs (hash) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  data    BLOB NOT NULL
);
INSERT INTO blob_meta_v6 (hash, version, data) SELECT hash, version, data FROM blob_meta;
DROP TABLE blob_meta;
ALTER TABLE blob_meta_v6 RENAME TO blob_meta;
)sql";

// v7: greylisting (RFC 6647): one row per triplet of client network, envelope
// sender and recipient, with when it was first and last seen and whether it passed.
constexpr std::string_view v7 = R"sql(
CREATE TABLE greylist (
  triplet    TEXT PRIMARY KEY,
  first_seen INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  passed     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX greylist_last_seen ON greylist (last_seen);
)sql";

// v8: the Bayesian classifier (store/bayes.hpp). Tokens are 64-bit hashes stored
// as integers; a scope is a domain (kind 1) or an account (kind 2). bayes_trained
// keeps, per account, the class each message (by blob hash) was trained as.
constexpr std::string_view v8 = R"sql(
CREATE TABLE bayes_tokens (
  scope_kind INTEGER NOT NULL,
  scope_id   INTEGER NOT NULL,
  token      INTEGER NOT NULL,
  spam       INTEGER NOT NULL DEFAULT 0,
  ham        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope_kind, scope_id, token)
) WITHOUT ROWID;
CREATE TABLE bayes_totals (
  scope_kind INTEGER NOT NULL,
  scope_id   INTEGER NOT NULL,
  spam       INTEGER NOT NULL DEFAULT 0,
  ham        INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (scope_kind, scope_id)
) WITHOUT ROWID;
CREATE TABLE bayes_trained (
  account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  blob_hash  TEXT NOT NULL,
  class      INTEGER NOT NULL,
  trained    INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob_hash)
) WITHOUT ROWID;
)sql";

// v9: search keys per message row (store::message_keys). Keyed by the row's integer
// id, so a scan of a mailbox in UID order joins them without a lookup by content hash:
// at 100,000 messages those lookups were most of a SEARCH's time. messages.id is
// AUTOINCREMENT, so an entry can never attach to a later message.
constexpr std::string_view v9 = R"sql(
CREATE TABLE message_keys (
  id      INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  data    BLOB NOT NULL
);
)sql";

// v10: MTA-STS policies of recipient domains (RFC 8461 §5.1), one per domain.
constexpr std::string_view v10 = R"sql(
CREATE TABLE mta_sts_policies (
  domain  TEXT PRIMARY KEY,
  id      TEXT NOT NULL,
  policy  TEXT NOT NULL,
  fetched INTEGER NOT NULL,
  expires INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// v11: rate counters shared by every node (store::rate_hit): events per key and fixed
// window. `expires` (two windows after the start) lets one range delete drop old rows.
constexpr std::string_view v11 = R"sql(
CREATE TABLE rate_counters (
  key          TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  events       INTEGER NOT NULL,
  expires      INTEGER NOT NULL,
  PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_counters_expires ON rate_counters (expires);
)sql";

// v12: blob bytes in the database. Used on PostgreSQL only ([store] blobs =
// "database" needs it; postgres/pg_blob_store.hpp); the empty table here keeps the
// versions and the table sets of both backends equal. `store copy` moves blobs with
// the blob stores, never as rows of this table.
constexpr std::string_view v12 = R"sql(
CREATE TABLE blob_data (
  hash    TEXT PRIMARY KEY,
  size    INTEGER NOT NULL,
  data    BLOB NOT NULL,
  created INTEGER NOT NULL
);
)sql";

// v13: whether a message an account trained counts in its domain's Bayes tables
// (store::bayes_company_limit); everything trained before did.
constexpr std::string_view v13 = R"sql(
ALTER TABLE bayes_trained ADD COLUMN in_domain INTEGER NOT NULL DEFAULT 1;
)sql";

constexpr std::string_view all[] = {v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13};

}  // namespace

std::span<const std::string_view> migrations() noexcept { return all; }

}  // namespace letterhead::store::sqlite
