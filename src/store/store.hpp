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
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/blob_store.hpp"
#include "store/notifier.hpp"
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
  [[nodiscard]] virtual core::result<mailbox> get_mailbox(id_t mailbox) { return todo_(); }

  // --- access control (RFC 4314) ---
  // Empty rights remove the entry. The grantee must be another account.
  [[nodiscard]] virtual core::result<void> set_acl(id_t mailbox, id_t grantee,
                                                   std::string_view rights) { return todo_(); }
  [[nodiscard]] virtual core::result<std::vector<acl_entry>> list_acl(id_t mailbox) { return todo_(); }
  // Every mailbox of other accounts with an entry for this grantee.
  [[nodiscard]] virtual core::result<std::vector<shared_mailbox>> list_shared_with(id_t grantee) { return todo_(); }

  // --- quota (RFC 9208) ---
  [[nodiscard]] virtual core::result<usage> account_usage(id_t account) { return todo_(); }
  // 0 = unlimited.
  [[nodiscard]] virtual core::result<void> set_quota(id_t account, std::uint64_t bytes) { return todo_(); }

  // --- DKIM keys ---
  // errc::exists if the domain already has a key with this selector.
  [[nodiscard]] virtual core::result<dkim_key> add_dkim_key(const dkim_key& k) { return todo_(); }
  // Every key of the domain (empty = all domains), active and retired, oldest first.
  [[nodiscard]] virtual core::result<std::vector<dkim_key>> list_dkim_keys(std::string_view domain) {
    return todo_();
  }
  // Marks a key retired at `when` (it stops signing; its DNS record should stay
  // published for a while so mail in flight still verifies).
  [[nodiscard]] virtual core::result<void> retire_dkim_key(id_t id, unix_time when) { return todo_(); }

  // --- parse cache ---
  // Entries for those of the blobs that have one, in any order. put_blob_meta
  // replaces; it need not be durable before returning (losing it costs a re-parse).
  [[nodiscard]] virtual core::result<std::vector<blob_meta>> get_blob_meta(
      const std::vector<std::string>& blobs) { return todo_(); }
  [[nodiscard]] virtual core::result<void> put_blob_meta(const std::vector<blob_meta>& metas) { return todo_(); }

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
  // leased by someone else (lease_until > now), oldest next_attempt first: sets
  // lease_owner/lease_until and returns them. An owner that dies loses its leases
  // when they expire, so another worker picks the entries up.
  [[nodiscard]] virtual core::result<std::vector<queue_entry>> claim_queue(
      unix_time now, std::size_t limit, std::string_view owner, unix_time lease_until) { return todo_(); }
  // Writes back an entry after an attempt: recipients' status/last_reply/remote_mta/
  // dsn_sent, attempts, last_attempt, next_attempt, delay_warned, held; clears the
  // lease. errc::conflict if the lease is no longer `e.lease_owner`'s.
  [[nodiscard]] virtual core::result<void> update_queue_entry(const queue_entry& e) { return todo_(); }
  // Admin actions (`letterhead queue hold|release|retry`): retry sets next_attempt
  // to now and clears held.
  [[nodiscard]] virtual core::result<void> set_queue_held(id_t id, bool held) { return todo_(); }
  [[nodiscard]] virtual core::result<void> retry_queue_entry(id_t id, unix_time now) { return todo_(); }

  // --- audit log ---
  [[nodiscard]] virtual core::result<void> audit(std::string_view actor, std::string_view action,
                                                 std::string_view detail) = 0;
  // Newest first, at most `limit` records.
  [[nodiscard]] virtual core::result<std::vector<audit_record>> list_audit(std::size_t limit) = 0;

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
  // Until every backend implements the interface of the issues in flight.
  [[nodiscard]] static std::unexpected<core::error> todo_() {
    return core::fail(core::errc::internal, "not implemented by this store backend");
  }
  change_notifier notifier_;
};

inline constexpr std::chrono::seconds orphan_blob_min_age{3600};

struct store_options {
  std::string backend = "sqlite";   // [store] backend
  std::string url;                  // [store] url (postgres)
  std::string data_dir;             // sqlite file and blob directory live here
};

// Opens the configured backend, creating and migrating its schema as needed.
[[nodiscard]] core::result<std::unique_ptr<store>> open(const store_options& options);

}  // namespace letterhead::store
