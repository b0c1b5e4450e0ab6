#pragma once
// The Store: every piece of persistent state behind one interface (DESIGN.md
// "Storage"). Backends: sqlite/ (embedded default) and, later, postgres/. Both pass
// the suite in tests/unit/store/store_suite_test.cpp.
//
// Invariants every backend keeps:
// - Calls block; callers on io threads run them on the blocking pool.
// - deliver() is atomic: all targets get the message or none does; when it returns
//   success the rows are on stable storage (backends may group commits so that one
//   fsync serves several callers, but never return before their commit).
// - UIDs in a mailbox strictly increase and are never reused for one UIDVALIDITY;
//   MODSEQs strictly increase per account; every change is in the change log.
// - A blob's reference count equals the number of message rows and queue entries
//   that name it; the blob is removed when the count falls to zero.
// - Addresses are compared case-insensitively in the domain part and, by our
//   policy, in the local part too (stored as given, matched lower-cased).
//
// Untrusted input reaching here: addresses, mailbox names and keywords from clients,
// already syntax-checked by the protocol layer; the backend binds them as parameters.

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/bayes.hpp"
#include "store/blob_store.hpp"
#include "store/notifier.hpp"
#include "store/offboarding_plan.hpp"
#include "store/types.hpp"

namespace letterhead::store {

class store {
 public:
  virtual ~store() = default;

  // Who wants to hear that an account changed; see notifier.hpp.
  [[nodiscard]] change_notifier& notifier() noexcept { return notifier_; }

  // Callers put() a message's bytes here, then deliver() or enqueue() them. A put()
  // that is never followed by either may keep its blob until sweep_orphan_blobs().
  [[nodiscard]] virtual blob_store& blobs() = 0;

  // --- directory records (the directory/ library adds the rules on top) ---
  [[nodiscard]] virtual core::result<domain> add_domain(std::string_view name) = 0;
  // Refused (errc::denied) while accounts or aliases of the domain remain.
  [[nodiscard]] virtual core::result<void> remove_domain(std::string_view name) = 0;
  [[nodiscard]] virtual core::result<std::vector<domain>> list_domains() = 0;
  [[nodiscard]] virtual core::result<domain> find_domain(std::string_view name) = 0;
  // Empty address clears the catch-all.
  [[nodiscard]] virtual core::result<void> set_catch_all(std::string_view domain,
                                                         std::string_view address) = 0;

  // Creates the account and its default mailboxes (INBOX, Sent, Drafts, Trash, Junk,
  // Archive with their roles) in one transaction.
  [[nodiscard]] virtual core::result<account> add_account(const account& a) = 0;
  [[nodiscard]] virtual core::result<account> find_account(std::string_view address) = 0;
  [[nodiscard]] virtual core::result<account> get_account(id_t id) = 0;
  [[nodiscard]] virtual core::result<std::vector<account>> list_accounts(
      std::string_view domain /* empty = all */) = 0;
  [[nodiscard]] virtual core::result<void> set_password_hash(std::string_view address,
                                                             std::string_view hash) = 0;
  // Removes the account, its mailboxes, messages and change log; releases blobs.
  [[nodiscard]] virtual core::result<void> remove_account(std::string_view address) = 0;

  // Replaces the targets of an alias (creating it if needed).
  [[nodiscard]] virtual core::result<void> set_alias(const alias& a) = 0;
  [[nodiscard]] virtual core::result<alias> find_alias(std::string_view address) = 0;
  [[nodiscard]] virtual core::result<std::vector<alias>> list_aliases(std::string_view domain) = 0;
  [[nodiscard]] virtual core::result<void> remove_alias(std::string_view address) = 0;

  // --- mailboxes ---
  [[nodiscard]] virtual core::result<std::vector<mailbox>> list_mailboxes(id_t account) = 0;
  [[nodiscard]] virtual core::result<mailbox> find_mailbox(id_t account, std::string_view name) = 0;
  [[nodiscard]] virtual core::result<mailbox> find_mailbox_by_role(id_t account,
                                                                  mailbox_role role) = 0;
  // Also creates missing superiors ("a" and "a/b" for "a/b/c", RFC 9051 §6.3.4).
  // errc::exists if the name, or the role (other than none), is taken in the account.
  [[nodiscard]] virtual core::result<mailbox> create_mailbox(id_t account, std::string_view name,
                                                             mailbox_role role) = 0;
  // Inferiors are renamed along ("a/b" with "a"); the mailbox keeps its id, UIDVALIDITY
  // and role. Renaming INBOX moves its messages into a new mailbox `to` and leaves
  // INBOX empty, its inferiors untouched (RFC 9051 §6.3.6).
  [[nodiscard]] virtual core::result<void> rename_mailbox(id_t account, std::string_view from,
                                                          std::string_view to) = 0;
  // RFC 9051 §6.3.7/§6.3.8: marks a mailbox subscribed or not.
  [[nodiscard]] virtual core::result<void> set_subscribed(id_t account, std::string_view name,
                                                          bool subscribed) = 0;
  // Deletes the mailbox and its messages (RFC 9051 §6.3.9 rules are the caller's).
  // INBOX cannot be deleted (errc::denied); inferiors are not touched.
  [[nodiscard]] virtual core::result<void> delete_mailbox(id_t account, std::string_view name) = 0;
  [[nodiscard]] virtual core::result<mailbox> get_mailbox(id_t mailbox) = 0;

  // --- access control (RFC 4314) ---
  // Empty rights remove the entry. The grantee must be another account
  // (errc::invalid otherwise). Rights are RFC 4314 §2.1 letters in any order, each
  // at most once in effect; they are stored in the order "lrswipkxtea", and any
  // other letter is errc::invalid. Entries go with the mailbox and with either account.
  [[nodiscard]] virtual core::result<void> set_acl(id_t mailbox, id_t grantee,
                                                   std::string_view rights) = 0;
  // Ordered by grantee address.
  [[nodiscard]] virtual core::result<std::vector<acl_entry>> list_acl(id_t mailbox) = 0;
  // Every mailbox of other accounts with an entry for this grantee, ordered by owner
  // address, then mailbox name.
  [[nodiscard]] virtual core::result<std::vector<shared_mailbox>> list_shared_with(id_t grantee) = 0;

  // --- quota (RFC 9208) ---
  // Sum over the account's mailboxes; cheap (per-mailbox counters, no message scan).
  [[nodiscard]] virtual core::result<usage> account_usage(id_t account) = 0;
  // 0 = unlimited.
  [[nodiscard]] virtual core::result<void> set_quota(id_t account, std::uint64_t bytes) = 0;

  // --- DKIM keys ---
  // errc::exists if the domain already has a key with this selector (selectors are
  // compared and stored in lower case); errc::not_found if the domain is not ours;
  // errc::invalid for an unknown algorithm, a bad selector or an empty key. The key
  // goes with its domain. created 0 means now.
  [[nodiscard]] virtual core::result<dkim_key> add_dkim_key(const dkim_key& k) = 0;
  // Every key of the domain (empty = all domains), active and retired, oldest first.
  // errc::not_found for a domain that is not ours.
  [[nodiscard]] virtual core::result<std::vector<dkim_key>> list_dkim_keys(std::string_view domain) = 0;
  // Marks a key retired at `when` (it stops signing; its DNS record should stay
  // published for a while so mail in flight still verifies). Retiring a retired key
  // changes nothing.
  [[nodiscard]] virtual core::result<void> retire_dkim_key(id_t id, unix_time when) = 0;

  // --- parse cache ---
  // Entries for those of the blobs that have one, in any order (each at most once).
  // put_blob_meta replaces; it need not be durable before returning (losing it costs
  // a re-parse). Entries for blobs no longer stored are ignored; an entry goes when
  // its blob's last reference does.
  [[nodiscard]] virtual core::result<std::vector<blob_meta>> get_blob_meta(
      const std::vector<std::string>& blobs) = 0;
  [[nodiscard]] virtual core::result<void> put_blob_meta(const std::vector<blob_meta>& metas) = 0;
  // The search keys of those messages of a mailbox with `uids` (ascending) that have
  // an entry, in UID order: one range scan of the mailbox's rows from the first UID to
  // the last, which is what makes SEARCH and SORT over 100,000 messages fast.
  // put_message_keys replaces; entries of messages no longer in the mailbox are
  // ignored; not necessarily durable. An entry goes with its message row (expunge),
  // stays with it when it moves and is copied with it (COPY).
  [[nodiscard]] virtual core::result<std::vector<message_keys>> get_message_keys(
      id_t mailbox_id, std::span<const std::uint32_t> uids) = 0;
  [[nodiscard]] virtual core::result<void> put_message_keys(id_t mailbox_id,
                                                            const std::vector<message_keys>& keys) = 0;

  // --- messages ---
  // Atomic and durable, see the invariants above. The blob must be in blobs()
  // (errc::not_found otherwise); size 0 means "the blob's size", any other size must
  // be the blob's (errc::invalid otherwise).
  [[nodiscard]] virtual core::result<std::vector<delivered>> deliver(const delivery& d) = 0;
  // Messages of a mailbox in UID order, with uid >= first_uid.
  [[nodiscard]] virtual core::result<std::vector<message>> list_messages(
      id_t mailbox, std::uint32_t first_uid = 1) = 0;
  [[nodiscard]] virtual core::result<message> get_message(id_t mailbox, std::uint32_t uid) = 0;
  // Sets flags and keywords of one message to exactly these; returns the new MODSEQ.
  [[nodiscard]] virtual core::result<std::uint64_t> set_flags(
      id_t mailbox, std::uint32_t uid, std::uint32_t flags,
      const std::vector<std::string>& keywords) = 0;
  // Applies `change` to the flags and keywords of the messages with these UIDs (any
  // order, repeats ignored) in one write transaction, computing each message's new
  // flags from its stored ones: atomic against every other writer, so two sessions
  // adding different flags to one message both keep theirs (RFC 9051 §6.4.6). A
  // message whose flags and keywords come out the same keeps its MODSEQ and logs no
  // change; each changed one gets its own MODSEQ and change-log row. With
  // unchanged_since, a message whose MODSEQ is greater is left alone and listed in
  // `modified` (RFC 7162 §3.1.3). UIDs not in the mailbox (expunged) are skipped.
  // errc::invalid for unknown flag bits or a bad keyword; errc::not_found for no
  // such mailbox.
  [[nodiscard]] virtual core::result<flag_update> update_flags(id_t mailbox, std::span<const std::uint32_t> uids,
                                                               const flag_change& change) = 0;
  // Removes the messages (IMAP EXPUNGE); logs one change per UID; releases blobs.
  // UIDs not in the mailbox are ignored.
  [[nodiscard]] virtual core::result<void> expunge(id_t mailbox,
                                                   const std::vector<std::uint32_t>& uids) = 0;
  // Copies into another mailbox of the same account; returns the new UIDs in order.
  // All or nothing: errc::not_found if one of the UIDs is not in from_mailbox.
  [[nodiscard]] virtual core::result<std::vector<std::uint32_t>> copy_messages(
      id_t from_mailbox, const std::vector<std::uint32_t>& uids, id_t to_mailbox) = 0;

  // --- change log ---
  [[nodiscard]] virtual core::result<std::uint64_t> highest_modseq(id_t account) = 0;
  [[nodiscard]] virtual core::result<std::vector<change>> changes_since(id_t account,
                                                                      std::uint64_t modseq) = 0;

  // --- outbound queue (durable; the outbound issue sends from it) ---
  [[nodiscard]] virtual core::result<id_t> enqueue(const queue_entry& e) = 0;
  [[nodiscard]] virtual core::result<std::vector<queue_entry>> list_queue() = 0;
  [[nodiscard]] virtual core::result<queue_entry> get_queue_entry(id_t id) = 0;
  [[nodiscard]] virtual core::result<void> remove_queue_entry(id_t id) = 0;
  // Leases up to `limit` entries that are due (next_attempt <= now), not held and not
  // leased (lease_until > now, whoever the owner: an owner's own live lease is not
  // handed out twice either), oldest next_attempt first: sets lease_owner/lease_until
  // and returns them. An owner that dies loses its leases when they expire, so
  // another worker picks the entries up. owner must not be empty and lease_until
  // must be after now (errc::invalid).
  [[nodiscard]] virtual core::result<std::vector<queue_entry>> claim_queue(
      unix_time now, std::size_t limit, std::string_view owner, unix_time lease_until) = 0;
  // Writes back an entry after an attempt: recipients' status/last_reply/remote_mta/
  // dsn_sent (by position: the count must be the stored one, errc::invalid
  // otherwise), attempts, last_attempt, next_attempt, delay_warned, held; clears the
  // lease. errc::conflict if the lease is no longer `e.lease_owner`'s or the entry is
  // gone (an admin removed it). An admin hold made during the attempt stays.
  [[nodiscard]] virtual core::result<void> update_queue_entry(const queue_entry& e) = 0;
  // Admin actions (`letterhead queue hold|release|retry`): retry sets next_attempt
  // to now and clears held. Neither touches a lease. errc::not_found for no entry.
  [[nodiscard]] virtual core::result<void> set_queue_held(id_t id, bool held) = 0;
  [[nodiscard]] virtual core::result<void> retry_queue_entry(id_t id, unix_time now) = 0;

  // --- audit log ---
  [[nodiscard]] virtual core::result<void> audit(std::string_view actor, std::string_view action,
                                                 std::string_view detail) = 0;
  // Newest first, at most `limit` records.
  [[nodiscard]] virtual core::result<std::vector<audit_record>> list_audit(std::size_t limit) = 0;
  // Newest first, matching every set filter of `q`, at most q.limit records.
  [[nodiscard]] virtual core::result<std::vector<audit_record>> query_audit(const audit_query& q) = 0;

  // --- admin API sessions ---
  // Adding also drops sessions whose absolute or idle end (`idle_before`: last_seen
  // older than this) has passed. errc::exists for a token hash already present.
  [[nodiscard]] virtual core::result<void> add_admin_session(const admin_session& s, unix_time idle_before) = 0;
  // errc::not_found when absent.
  [[nodiscard]] virtual core::result<admin_session> get_admin_session(std::string_view token_hash) = 0;
  [[nodiscard]] virtual core::result<void> touch_admin_session(std::string_view token_hash, unix_time last_seen) = 0;
  // Removing an absent session is not an error.
  [[nodiscard]] virtual core::result<void> remove_admin_session(std::string_view token_hash) = 0;
  // Every session of the account (offboarding, freeze, password change); how many.
  [[nodiscard]] virtual core::result<std::size_t> remove_admin_sessions(id_t account) = 0;

  // === organisation: departments, profiles, address formats, groups, held mail,
  // roles and mail rules (issue 6 part A). The directory/ library adds the rules on
  // top (directory/org.hpp); these calls only keep the records consistent. ===

  // errc::exists for a sibling with the same name (ASCII case-insensitive),
  // errc::not_found for an unknown parent, errc::invalid for an empty name.
  [[nodiscard]] virtual core::result<department> add_department(std::string_view name, id_t parent_id) = 0;
  [[nodiscard]] virtual core::result<department> get_department(id_t id) = 0;
  // Every department, parents before children, siblings by name.
  [[nodiscard]] virtual core::result<std::vector<department>> list_departments() = 0;
  // errc::invalid when new_parent is the department itself or one of its descendants.
  [[nodiscard]] virtual core::result<void> move_department(id_t id, id_t new_parent) = 0;
  // Without reparent_to: errc::denied while the department has sub-departments,
  // employees or group memberships. With it (0 = top level): its children, employees
  // and group memberships move there first (memberships are dropped when it is 0),
  // in the same transaction.
  [[nodiscard]] virtual core::result<void> remove_department(id_t id, std::optional<id_t> reparent_to) = 0;

  // A profile exists for every account (empty fields when never set).
  [[nodiscard]] virtual core::result<profile> get_profile(id_t account_id) = 0;
  // Replaces every field (and the account's display name). errc::not_found for an
  // unknown department or manager; errc::invalid when the manager chain would loop.
  [[nodiscard]] virtual core::result<void> set_profile(const profile& p) = 0;
  // All accounts' profiles (empty domain = all domains), by address.
  [[nodiscard]] virtual core::result<std::vector<profile>> list_profiles(std::string_view domain) = 0;
  // Accounts whose department is one of these (not their sub-departments).
  [[nodiscard]] virtual core::result<std::vector<id_t>> accounts_in_departments(
      const std::vector<id_t>& departments) = 0;
  // Accounts that are some account's manager.
  [[nodiscard]] virtual core::result<bool> is_manager(id_t account_id) = 0;

  // The domain's address format name ("" = none set).
  [[nodiscard]] virtual core::result<std::string> address_format(std::string_view domain) = 0;
  [[nodiscard]] virtual core::result<void> set_address_format(std::string_view domain,
                                                              std::string_view format) = 0;

  // errc::exists when a group has the address; owners must be accounts (not_found).
  [[nodiscard]] virtual core::result<group> add_group(const group& g) = 0;
  [[nodiscard]] virtual core::result<group> find_group(std::string_view address) = 0;
  [[nodiscard]] virtual core::result<group> get_group(id_t id) = 0;
  [[nodiscard]] virtual core::result<std::vector<group>> list_groups(std::string_view domain) = 0;
  // Replaces name, policy, allowed, moderated and owners of the group with g.id.
  [[nodiscard]] virtual core::result<void> update_group(const group& g) = 0;
  // Also drops its memberships in other groups and its held messages (releasing blobs).
  [[nodiscard]] virtual core::result<void> remove_group(id_t id) = 0;
  // errc::exists for a member already there; errc::invalid for a nested group that
  // would make a cycle; errc::not_found for an unknown account, department or group.
  [[nodiscard]] virtual core::result<void> add_group_member(id_t group, const group_member& m) = 0;
  [[nodiscard]] virtual core::result<void> remove_group_member(id_t group, const group_member& m) = 0;
  [[nodiscard]] virtual core::result<std::vector<group_member>> list_group_members(id_t group) = 0;
  // Groups that name this account as an owner.
  [[nodiscard]] virtual core::result<std::vector<group>> groups_owned_by(id_t account_id) = 0;

  // Holds a message (its blob must be stored; it gains a reference).
  [[nodiscard]] virtual core::result<id_t> hold_message(const held_message& h) = 0;
  [[nodiscard]] virtual core::result<held_message> get_held(id_t id) = 0;
  // 0 = every group's; oldest first.
  [[nodiscard]] virtual core::result<std::vector<held_message>> list_held(id_t group) = 0;
  // Forgets a held message and releases its blob reference.
  [[nodiscard]] virtual core::result<void> remove_held(id_t id) = 0;

  // errc::exists for the same grant twice.
  [[nodiscard]] virtual core::result<void> grant_role(const role_grant& r) = 0;
  [[nodiscard]] virtual core::result<void> revoke_role(const role_grant& r) = 0;
  // 0 = every account's.
  [[nodiscard]] virtual core::result<std::vector<role_grant>> list_roles(id_t account_id) = 0;

  // Replaces the rule of that account or role.
  [[nodiscard]] virtual core::result<void> set_mail_rule(const mail_rule& r) = 0;
  [[nodiscard]] virtual core::result<void> remove_mail_rule(id_t account_id, std::string_view role) = 0;
  [[nodiscard]] virtual core::result<std::vector<mail_rule>> list_mail_rules() = 0;

  // === end of organisation ===

  // === account security and offboarding (issue 6 part B). The directory/ library
  // adds the rules on top (directory/security.hpp); these calls keep the records. ===

  // The domain's policy, or the defaults (with domain_id set) when none was stored.
  [[nodiscard]] virtual core::result<password_policy> get_password_policy(id_t domain_id) = 0;
  [[nodiscard]] virtual core::result<void> set_password_policy(const password_policy& p) = 0;

  // The account's security record, or the defaults when it has none.
  [[nodiscard]] virtual core::result<account_security> get_account_security(id_t account) = 0;
  // In one transaction: the account's argon2id hash and SCRAM credentials (absent =
  // none) become these, the previous hash joins the history (only the newest
  // `keep_history` stay), password_changed = now, expiry_warned = 0.
  [[nodiscard]] virtual core::result<void> set_password(id_t account, std::string_view hash,
                                                        const std::optional<scram_credentials>& scram,
                                                        bool must_change, unix_time now,
                                                        std::size_t keep_history) = 0;
  // Previous hashes, newest first (the current one is not in it).
  [[nodiscard]] virtual core::result<std::vector<std::string>> password_history(id_t account) = 0;
  [[nodiscard]] virtual core::result<void> set_must_change_password(id_t account, bool must) = 0;
  [[nodiscard]] virtual core::result<void> set_expiry_warned(id_t account, unix_time when) = 0;
  // Empty secret turns TOTP off; either way the last used step is forgotten.
  [[nodiscard]] virtual core::result<void> set_totp_secret(id_t account, std::string_view secret) = 0;
  // Atomically: when `step` is above the last accepted step, records it and returns
  // true; otherwise false (RFC 6238 §5.2: a code is accepted once).
  [[nodiscard]] virtual core::result<bool> use_totp_step(id_t account, std::int64_t step) = 0;
  [[nodiscard]] virtual core::result<void> set_account_disabled(id_t account, bool disabled) = 0;

  // errc::exists for a name the account already uses.
  [[nodiscard]] virtual core::result<app_password> add_app_password(const app_password& p) = 0;
  // By name.
  [[nodiscard]] virtual core::result<std::vector<app_password>> list_app_passwords(id_t account) = 0;
  // errc::not_found when the account has no app password of that name.
  [[nodiscard]] virtual core::result<void> remove_app_password(id_t account, std::string_view name) = 0;
  // Returns how many were removed.
  [[nodiscard]] virtual core::result<std::size_t> remove_app_passwords(id_t account) = 0;
  [[nodiscard]] virtual core::result<void> touch_app_password(id_t id, unix_time when) = 0;

  // The records for these keys that exist, in any order.
  [[nodiscard]] virtual core::result<std::vector<login_throttle>> get_login_throttles(
      const std::vector<std::string>& keys) = 0;
  // Counts one failure under `key` atomically: a window that started before
  // now - window restarts at this failure; reaching `threshold` failures sets
  // blocked_until = now + block (and restarts the count). Returns the record.
  [[nodiscard]] virtual core::result<login_throttle> record_login_failure(std::string_view key, unix_time now,
                                                                          std::chrono::seconds window,
                                                                          std::uint32_t threshold,
                                                                          std::chrono::seconds block) = 0;
  [[nodiscard]] virtual core::result<void> clear_login_throttle(std::string_view key) = 0;
  // Records blocked beyond `now`, by key.
  [[nodiscard]] virtual core::result<std::vector<login_throttle>> list_login_blocks(unix_time now) = 0;
  // Removes every record whose key starts with one of the prefixes; returns how many.
  [[nodiscard]] virtual core::result<std::size_t> remove_login_throttles(
      const std::vector<std::string>& key_prefixes) = 0;

  // Appends to the account's login history, keeping its newest `keep` events.
  [[nodiscard]] virtual core::result<void> add_login_event(const login_event& e, std::size_t keep) = 0;
  // Newest first.
  [[nodiscard]] virtual core::result<std::vector<login_event>> list_login_events(id_t account,
                                                                                std::size_t limit) = 0;
  // Remembers that the account logged in from `network` ("192.0.2.0/24").
  [[nodiscard]] virtual core::result<network_seen> note_login_network(id_t account, std::string_view network,
                                                                     unix_time now) = 0;

  // errc::exists when the account is offboarded already.
  [[nodiscard]] virtual core::result<void> add_offboarding(const offboarding& o) = 0;
  // errc::not_found when the account is not offboarded.
  [[nodiscard]] virtual core::result<offboarding> get_offboarding(id_t account) = 0;
  [[nodiscard]] virtual core::result<void> remove_offboarding(id_t account) = 0;
  // Applies an offboarding or its undoing (offboarding_plan.hpp) in one write
  // transaction: all of it or nothing. Notifying the accounts is the caller's, after.
  [[nodiscard]] virtual core::result<offboarding_outcome> apply_offboarding(const offboarding_plan& plan) = 0;
  // RFC 3834 §2: at most one auto-reply per sender per interval. Atomically: true (and
  // records now) when none went to `sender` from this account within `interval`.
  [[nodiscard]] virtual core::result<bool> note_auto_reply(id_t account, std::string_view sender, unix_time now,
                                                           std::chrono::seconds interval) = 0;

  // === end of account security ===

  // === greylisting (RFC 6647; app/greylist.hpp) ===
  // Atomically looks up `triplet` and records this attempt: 0 when it passes (seen
  // first at least `delay` ago and retried within `retry_window` of that, or passed
  // before and seen within `expiry`), else the seconds still to wait. An unknown,
  // expired or too-late triplet starts again at `now`. Rows unseen for `expiry` go.
  [[nodiscard]] virtual core::result<std::int64_t> greylist_check(std::string_view triplet, unix_time now,
                                                                  std::chrono::seconds delay,
                                                                  std::chrono::seconds retry_window,
                                                                  std::chrono::seconds expiry) = 0;

  // === shared rate counters (abuse limits; issue 7: one count for every node) ===
  // Adds `add` events for `key` to the fixed window of length `window` that holds
  // `now` and returns the events of the sliding window ending at `now`: this fixed
  // window's count plus the previous one's, weighted by the share of it the sliding
  // window still covers. add 0 only counts. Rows two windows old go. errc::invalid for
  // an empty key or a window under one second.
  [[nodiscard]] virtual core::result<std::uint64_t> rate_hit(std::string_view key, unix_time now,
                                                             std::chrono::seconds window, std::uint64_t add) = 0;

  // === time ===
  // The store's clock, in seconds since the epoch: the database server's on
  // PostgreSQL, so that nodes whose clocks disagree still agree on leases and
  // windows; this machine's on SQLite.
  [[nodiscard]] virtual core::result<unix_time> clock() = 0;

  // === MTA-STS policy cache (RFC 8461 §5.1; delivery/outbound/mta_sts_cache.hpp) ===
  // errc::not_found when none is cached for the domain.
  [[nodiscard]] virtual core::result<mta_sts_record> get_mta_sts(std::string_view domain) = 0;
  // Inserts or replaces the domain's policy.
  [[nodiscard]] virtual core::result<void> put_mta_sts(const mta_sts_record& r) = 0;

  // === Bayesian classifier (store/bayes.hpp, filter/bayes.hpp) ===

  // The scope's message totals and the counts of each token (zeros when unseen).
  [[nodiscard]] virtual core::result<bayes_table> bayes_lookup(const bayes_scope& scope,
                                                               const std::vector<std::uint64_t>& tokens) = 0;
  // Atomically: records that `account` trained the message with this blob hash as
  // `cls` and adds one to the message total and to each token's count in every
  // scope of `scopes`, a domain scope only within `limit` (store/bayes.hpp; none:
  // always, for an administrator's training). If the account had trained it as the
  // other class, the old counts are first taken away from the scopes they were
  // added to (never below zero). Trained as the same class: unchanged.
  [[nodiscard]] virtual core::result<bayes_train_result> bayes_train(
      id_t account, std::string_view blob_hash, bayes_class cls, const std::vector<bayes_scope>& scopes,
      const std::vector<std::uint64_t>& tokens, const std::optional<bayes_company_limit>& limit) = 0;

  // === end of Bayesian classifier ===

  // --- maintenance ---
  // Removes blobs that no row references and that are older than min_age (pass
  // orphan_blob_min_age): a crash between blob_store::put and the commit of the rows
  // leaves such orphans. Younger ones are kept: their rows may be about to commit.
  // Returns how many were removed. Meant for `serve` at start and then daily; it walks
  // the whole blob store, so the CLI should not call it on every command.
  [[nodiscard]] virtual core::result<std::size_t> sweep_orphan_blobs(std::chrono::seconds min_age) {
    return 0;
  }

 private:
  change_notifier notifier_;
};

inline constexpr std::chrono::seconds orphan_blob_min_age{3600};

struct store_options {
  std::string backend = "sqlite";   // [store] backend
  std::string url;                  // [store] url (postgres)
  std::string blobs = "directory";  // [store] blobs: "directory" (data_dir/blobs) or "database" (postgres)
  std::string data_dir;             // sqlite file and blob directory live here
};

// Opens the configured backend, creating and migrating its schema as needed.
[[nodiscard]] core::result<std::unique_ptr<store>> open(const store_options& options);

}  // namespace letterhead::store
