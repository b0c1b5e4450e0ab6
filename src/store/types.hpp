#pragma once
// Plain records the Store hands out. Backend-independent; no SQL, no protocol.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace letterhead::store {

using id_t = std::int64_t;

// Seconds since the Unix epoch, UTC.
using unix_time = std::int64_t;

struct domain {
  id_t id = 0;
  std::string name;                      // lower-case, IDNA A-label form
  std::optional<std::string> catch_all;  // address that gets mail for unknown local parts
  unix_time created = 0;
};

struct account {
  id_t id = 0;
  id_t domain_id = 0;
  std::string address;       // local@domain; local part kept as given, domain lower-case
  std::string display_name;
  std::string password_hash; // argon2id string as produced by libsodium, or empty
  std::uint64_t quota_bytes = 0;  // 0 = unlimited
  bool disabled = false;
  unix_time created = 0;
};

struct alias {
  std::string address;               // the alias address
  std::vector<std::string> targets;  // local accounts, other aliases or external addresses
};

// RFC 6154 special-use roles; INBOX is not a special-use attribute but has a role here.
enum class mailbox_role { none, inbox, sent, drafts, trash, junk, archive };

[[nodiscard]] const char* to_string(mailbox_role r) noexcept;      // "\\Sent", ... ("" for none/inbox)

struct mailbox {
  id_t id = 0;
  id_t account_id = 0;
  std::string name;           // hierarchy delimiter '/', UTF-8 (RFC 9051 §5.1)
  mailbox_role role = mailbox_role::none;
  std::uint32_t uidvalidity = 0;
  std::uint32_t uidnext = 1;
  std::uint64_t highest_modseq = 0;
  std::uint32_t messages = 0;  // count of messages currently in it
  std::uint64_t size = 0;      // sum of message sizes
  bool subscribed = true;
};

// System flags as bits (RFC 9051 §2.3.2); keywords are kept as strings.
enum flag : std::uint32_t {
  flag_seen = 1u << 0,
  flag_answered = 1u << 1,
  flag_flagged = 1u << 2,
  flag_deleted = 1u << 3,
  flag_draft = 1u << 4,
};

struct message {
  id_t id = 0;             // unique per store
  id_t account_id = 0;
  id_t mailbox_id = 0;
  std::uint32_t uid = 0;
  std::string blob;        // SHA-256 hex of the stored bytes
  std::uint64_t size = 0;
  unix_time internal_date = 0;
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::uint64_t modseq = 0;
};

inline constexpr std::uint32_t all_flags = flag_seen | flag_answered | flag_flagged | flag_deleted | flag_draft;

// What store::update_flags does to each message: RFC 9051 §6.4.6 FLAGS (set),
// +FLAGS (add), -FLAGS (remove); JMAP Email/set keywords patches are add/remove.
enum class flag_op { set, add, remove };

struct flag_change {
  flag_op op = flag_op::add;
  std::uint32_t flags = 0;            // system flag bits
  std::vector<std::string> keywords;
  // flag_op::set only: the system flags it replaces (the others keep their value)
  // and whether it replaces the keywords; RFC 4314 §4: a replacement leaves alone
  // what the client may not change.
  std::uint32_t set_mask = all_flags;
  bool set_keywords = true;
  // RFC 7162 §3.1.3 UNCHANGEDSINCE: a message whose MODSEQ is greater is not changed.
  std::optional<std::uint64_t> unchanged_since;
};

// A message's flags as stored after update_flags.
struct flag_state {
  std::uint32_t uid = 0;
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  std::uint64_t modseq = 0;
  bool changed = false;  // this call changed them and gave the message `modseq`
};

struct flag_update {
  std::vector<flag_state> messages;     // every UID found and not refused, ascending
  std::vector<std::uint32_t> modified;  // refused by unchanged_since, ascending
};

// What `c` makes of a message's flags and keywords: what update_flags stores (with
// c.keywords normalised), and what a client expects after its STORE.
struct flag_set {
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  // The same flags and the same keywords in whatever order (keywords are a set).
  [[nodiscard]] bool same_as(std::uint32_t other_flags, const std::vector<std::string>& other_keywords) const;
};
[[nodiscard]] flag_set apply_flag_change(const flag_change& c, std::uint32_t flags, std::vector<std::string> keywords);

// One entry of an account's change log (serves IMAP CONDSTORE/QRESYNC, JMAP /changes).
enum class change_kind { mailbox_created, mailbox_deleted, mailbox_renamed, message_added,
                         message_flags, message_expunged };

struct change {
  std::uint64_t modseq = 0;
  change_kind kind = change_kind::message_added;
  id_t mailbox_id = 0;
  std::uint32_t uid = 0;   // 0 for mailbox changes
  unix_time time = 0;
};

// What local delivery asks for: one blob, placed in one mailbox of each account.
struct delivery_target {
  id_t account_id = 0;
  mailbox_role role = mailbox_role::inbox;  // the mailbox with this role receives it
  std::uint32_t flags = 0;
  std::vector<std::string> keywords;
  id_t mailbox_id = 0;  // when not 0: this mailbox of the account instead (IMAP APPEND)
};

struct delivery {
  std::string blob;           // hash returned by blob_store::put (already durable)
  std::uint64_t size = 0;
  unix_time internal_date = 0;
  std::vector<delivery_target> targets;
  // When set, a target whose account would exceed its quota_bytes (counting this
  // message) fails the whole delivery with errc::limit and a message starting
  // "quota". Callers that must not lose mail to one full mailbox (SMTP) check
  // account_usage() per recipient first and leave this off.
  bool enforce_quota = false;
  // When meta_version is not 0, the blob's parse cache entry (see blob_meta), stored
  // in the delivery's transaction: the caller parsed the message anyway, and a second
  // write would cost a second commit.
  std::int32_t meta_version = 0;
  std::string meta;
  // With meta_version: the search keys (see message_keys) of every message row the
  // delivery makes, in the same transaction; empty = none.
  std::string keys;
};

struct delivered {
  id_t account_id = 0;
  id_t mailbox_id = 0;
  std::uint32_t uid = 0;
  std::uint64_t modseq = 0;
};

// Outbound queue (the outbound issue does the sending; foundation only stores).
struct queue_recipient {
  std::string address;
  std::string dsn_notify;   // RFC 3461 NOTIFY value as received, empty if none
  std::string dsn_orcpt;    // RFC 3461 ORCPT as received, empty if none
  enum class state { pending, delivered, failed } status = state::pending;
  std::string last_reply;   // last reply text from the remote server
  std::string remote_mta;   // host that gave last_reply, empty if none
  bool dsn_sent = false;    // a DSN (failure, delay or success) went out for it
};

struct queue_entry {
  id_t id = 0;
  std::string blob;
  std::uint64_t size = 0;
  std::string mail_from;    // envelope sender, empty for the null sender <>
  std::string dsn_ret;      // RFC 3461 RET (FULL/HDRS) or empty
  std::string dsn_envid;    // RFC 3461 ENVID or empty
  std::string auth_account; // the submitting account's address, empty for MX mail
  unix_time created = 0;
  unix_time next_attempt = 0;
  std::uint32_t attempts = 0;
  bool held = false;
  std::vector<queue_recipient> recipients;
  // What the sender's session declared (RFC 6152, RFC 6531, RFC 8689): the
  // outbound client negotiates, downgrades or bounces accordingly.
  std::string body_type;    // "", "7BIT", "8BITMIME" or "BINARYMIME"
  bool smtputf8 = false;
  bool requiretls = false;
  bool delay_warned = false;  // the delay-warning DSN went out
  unix_time last_attempt = 0;
  // Lease (claim_queue): a worker owns the entry until lease_until.
  std::string lease_owner;
  unix_time lease_until = 0;
};

// RFC 4314: rights one account granted another on one of its mailboxes.
struct acl_entry {
  id_t mailbox_id = 0;
  id_t grantee = 0;       // account id
  std::string grantee_address;
  std::string rights;     // RFC 4314 §2.1 letters, in the order "lrswipkxtea"
};

// A mailbox of another account visible to this one through an ACL entry.
struct shared_mailbox {
  mailbox box;            // the owner's record (box.account_id is the owner)
  std::string owner;      // owner's address
  std::string rights;     // what the grantee may do
};

// RFC 9208 resources of an account.
struct usage {
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};

// A DKIM signing key of one of our domains (RFC 6376 §3.6.1). Kept in the store so
// that every node of a cluster signs with the same keys.
struct dkim_key {
  id_t id = 0;
  std::string domain;           // lower-case A-label
  std::string selector;
  std::string algorithm;        // "rsa-sha256" or "ed25519-sha256" (RFC 8463)
  std::string private_key_pem;  // PKCS#8 PEM; never logged or printed
  std::string public_key;       // base64 of the p= value of the DNS record
  enum class state { active, retired } status = state::active;
  unix_time created = 0;
  unix_time retired = 0;        // when it stopped signing; 0 while active
};

// Cached parse results of one blob (content-addressed, so shared by every copy).
// The store keeps it while the blob exists and never looks inside `data`.
// A message's search keys (mime::serialize_keys), cached per message row so that a
// scan of a mailbox in UID order reads them with its rows; `version` as blob_meta's.
struct message_keys {
  std::uint32_t uid = 0;
  std::int32_t version = 0;
  std::string data;
};

struct blob_meta {
  std::string blob;
  std::int32_t version = 0;  // format of `data`; readers recompute when it differs
  std::string data;
};

struct audit_record {
  id_t id = 0;
  unix_time time = 0;
  std::string actor;   // "cli", an admin address, ...
  std::string action;  // "domain.add", "user.passwd", ...
  std::string detail;  // never a secret
};

// Filters of an audit query; an empty or zero field does not filter.
struct audit_query {
  unix_time since = 0;        // time >= since
  unix_time until = 0;        // time < until
  std::string actor;          // exactly this actor ("cli", "ip:192.0.2.1", an admin address)
  std::string action_prefix;  // "user." matches user.add, user.offboard, ...
  std::string mentions;       // the actor or the detail contains this text (an address, an IP)
  id_t before_id = 0;         // paging: only records older than this one
  std::size_t limit = 100;
};

// An MTA-STS policy (RFC 8461 §5.1) as fetched for a recipient domain, kept so that
// it survives restarts and protects against a downgrade while it is valid.
struct mta_sts_record {
  std::string domain;  // lower-case
  std::string id;      // of the _mta-sts TXT record it was fetched under
  std::string policy;  // the policy file as received
  unix_time fetched = 0;
  unix_time expires = 0;  // fetched + the policy's max_age
};

// A logged-in admin API session. The bearer token is never stored, only its hash,
// so a copy of the database does not hand out sessions.
struct admin_session {
  std::string token_hash;  // hex SHA-256 of the session token
  id_t account_id = 0;
  std::string csrf_token;  // sent back in a header on every state-changing request
  std::string remote_ip;
  unix_time created = 0;
  unix_time last_seen = 0;
  unix_time expires = 0;   // absolute end, whatever the activity
};

// --- organisation (departments, profiles, groups, roles, mail rules) ---

// A node of the department tree. parent_id 0 = top level. Names are unique among
// siblings (ASCII case-insensitively).
struct department {
  id_t id = 0;
  id_t parent_id = 0;
  std::string name;
  unix_time created = 0;
};

// What the global address list shows of an account. display_name is the account's.
struct profile {
  id_t account_id = 0;
  std::string address;       // read-only here: the account's address
  std::string display_name;
  std::string title;
  std::string phone;
  std::string employee_id;
  id_t department_id = 0;    // 0 = none
  id_t manager_id = 0;       // an account id, 0 = none
};

// Who may send to a group (checked at RCPT time).
enum class send_policy {
  anyone,    // the world
  internal,  // authenticated accounts of ours
  members,   // the group's own members (after expansion), accounts or external addresses
  senders,   // the addresses in group::allowed
  roles,     // accounts holding one of the roles named in group::allowed
};

struct group {
  id_t id = 0;
  id_t domain_id = 0;
  std::string address;
  std::string name;
  send_policy policy = send_policy::anyone;
  std::vector<std::string> allowed;  // addresses (senders) or role names (roles)
  bool moderated = false;            // mail waits in held_message until an owner approves
  std::vector<std::string> owners;   // account addresses
  unix_time created = 0;
};

enum class member_kind {
  account,     // ref = account id
  department,  // ref = department id; its sub-departments are included
  external,    // address = an address outside our domains (or any address)
  group,       // ref = another group's id
  all,         // every account of the group's domain
};

struct group_member {
  member_kind kind = member_kind::account;
  id_t ref = 0;
  std::string address;  // external: the address; otherwise filled in on reads for display
};

// A message to a moderated group, stored once until an owner approves or rejects it.
// The blob counts as a reference like a message row.
struct held_message {
  id_t id = 0;
  id_t group_id = 0;
  std::string group_address;  // filled in on reads
  std::string blob;
  std::uint64_t size = 0;
  std::string mail_from;
  std::string auth_account;   // submitting account, empty for MX mail
  unix_time created = 0;
};

// A role held by an account. Built-in names carry admin rights ("super-admin",
// "domain-admin" scoped to domain, "department-admin" scoped to department_id and its
// subtree, "user"); any other name is a label usable in send policies and mail rules.
struct role_grant {
  id_t account_id = 0;
  std::string address;   // filled in on reads
  std::string role;      // lower case
  std::string domain;    // scope of domain-admin, else empty
  id_t department_id = 0;  // scope of department-admin, else 0
};

// Mail rules for one account (account_id != 0) or one role (role non-empty). An unset
// field leaves the decision to the other rules that apply.
struct mail_rule {
  id_t account_id = 0;
  std::string address;   // filled in on reads for account rules
  std::string role;
  std::optional<bool> internal_only;
  std::optional<std::vector<std::string>> allowed_domains;
  std::optional<std::uint32_t> max_recipients;
  std::optional<std::uint64_t> max_message_size;
};

// === account security and offboarding (issue 6 part B): password policy, SCRAM
// credentials, TOTP, app passwords, login throttling and history, offboarding. The
// directory/ library adds the rules on top (directory/security.hpp). ===

// A domain's password rules. A domain without a stored policy uses these defaults.
struct password_policy {
  id_t domain_id = 0;
  std::uint32_t min_length = 10;
  std::uint32_t min_classes = 2;       // of: lower case, upper case, digits, other
  std::uint32_t history = 5;           // the last N passwords may not be reused (0 = off)
  std::uint32_t max_age_days = 0;      // 0 = passwords never expire
  std::uint32_t warn_days = 14;        // the warning mail goes out this long before expiry
  bool change_at_first_login = false;  // a password an admin sets must be changed by its user
  bool refuse_common = true;           // refuse passwords on the common-password list
};

// RFC 5802 §3 credentials derived from a password when it is set (RFC 7677: SHA-256).
struct scram_credentials {
  std::string salt;                // raw bytes
  std::uint32_t iterations = 0;
  std::string stored_key;          // H(ClientKey), raw bytes
  std::string server_key;          // HMAC(SaltedPassword, "Server Key"), raw bytes
};

// Per-account security state beside the argon2id hash in `account`. An account that
// never had any has the defaults (no SCRAM, password age unknown, TOTP off).
struct account_security {
  id_t account_id = 0;
  std::optional<scram_credentials> scram_sha256;  // absent for passwords set before SCRAM
  unix_time password_changed = 0;    // 0 = unknown: the password never expires
  bool must_change_password = false;
  unix_time expiry_warned = 0;       // the expiry warning for the current password went out
  std::string totp_secret;           // raw bytes (RFC 6238); empty = TOTP off
  std::int64_t totp_last_step = 0;   // highest time step accepted (replays are refused)
};

// A password for one device, limited to some protocols ("imap", "pop3", "smtp").
struct app_password {
  id_t id = 0;
  id_t account_id = 0;
  std::string name;                    // unique per account, e.g. "phone"
  std::string hash;                    // argon2id
  std::vector<std::string> protocols;  // lower case, sorted
  unix_time created = 0;
  unix_time last_used = 0;             // 0 = never
};

// Failed logins counted under one key ("ip:ADDR" or "account:ADDR|ACCOUNT_ID") within
// a window, and the block they caused.
struct login_throttle {
  std::string key;
  std::uint32_t failures = 0;
  unix_time window_start = 0;
  unix_time blocked_until = 0;   // 0 or past = not blocked
};

struct login_event {
  id_t account_id = 0;
  unix_time time = 0;
  std::string ip;
  std::string protocol;   // "imap", "pop3", "smtp", "http"
  std::string result;     // "ok", "failed", "blocked", "disabled", "change-password", ...
};

enum class network_seen { known, first, new_network };

// What `letterhead user offboard` did, so that `restore` can undo it.
struct offboarding {
  id_t account_id = 0;
  id_t successor_id = 0;
  std::string successor;            // address, filled in on reads
  bool forward = false;             // mail to the account also goes to the successor
  std::string auto_reply;           // text sent to senders; empty = none
  bool transferred = false;         // mail moved to the successor's "Offboarded/<address>"
  bool was_disabled = false;        // the account was already disabled (frozen) before
  std::vector<id_t> moved_groups;   // groups whose ownership moved to the successor
  unix_time created = 0;
};

// === end of account security ===

}  // namespace letterhead::store
