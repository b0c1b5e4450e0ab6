#pragma once
// The Store on an SQL database: one implementation of every operation (the .cpp files
// of this folder), run by a driver (driver.hpp): SQLite (store/sqlite/, one file in
// WAL mode, the embedded default) or PostgreSQL (store/postgres/, many nodes), with
// content-addressed blob files. See store/README.md.
//
// Threads: every write goes through one writer thread (group_commit.hpp); reads use a
// pool of read-only connections and never wait for the writer.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "store/blobs/pinning_blob_store.hpp"
#include "store/sql/group_commit.hpp"
#include "store/sql/reader_pool.hpp"
#include "store/store.hpp"

namespace letterhead::store::sql {

// What a driver hands the store: a migrated writer connection, how to open readers,
// and the blob store.
struct backend {
  std::string database;  // the file path or the connection string without password
  std::unique_ptr<connection> writer;
  connection_factory open_reader;
  std::unique_ptr<pinning_blob_store> blobs;
  // Most write requests committed together (one transaction, one fsync).
  std::size_t max_group = 256;
  // Most read connections open at once.
  std::size_t max_readers = 16;
  // Connections for short writes outside the commit groups (write_short), opened
  // lazily; empty where the database has one writer (SQLite), whose short writes join
  // the commit groups.
  connection_factory open_short_writer;
  std::size_t max_short_writers = 4;
};

class sql_store final : public store {
 public:
  [[nodiscard]] static core::result<std::unique_ptr<sql_store>> open(backend b);
  ~sql_store() override;

  [[nodiscard]] blob_store& blobs() override { return *blobs_; }

  [[nodiscard]] core::result<domain> add_domain(std::string_view name) override;
  [[nodiscard]] core::result<void> remove_domain(std::string_view name) override;
  [[nodiscard]] core::result<std::vector<domain>> list_domains() override;
  [[nodiscard]] core::result<domain> find_domain(std::string_view name) override;
  [[nodiscard]] core::result<void> set_catch_all(std::string_view domain, std::string_view address) override;

  [[nodiscard]] core::result<account> add_account(const account& a) override;
  [[nodiscard]] core::result<account> find_account(std::string_view address) override;
  [[nodiscard]] core::result<account> get_account(id_t id) override;
  [[nodiscard]] core::result<std::vector<account>> list_accounts(std::string_view domain) override;
  [[nodiscard]] core::result<void> set_password_hash(std::string_view address, std::string_view hash) override;
  [[nodiscard]] core::result<void> remove_account(std::string_view address) override;

  [[nodiscard]] core::result<void> set_alias(const alias& a) override;
  [[nodiscard]] core::result<alias> find_alias(std::string_view address) override;
  [[nodiscard]] core::result<std::vector<alias>> list_aliases(std::string_view domain) override;
  [[nodiscard]] core::result<void> remove_alias(std::string_view address) override;

  [[nodiscard]] core::result<std::vector<mailbox>> list_mailboxes(id_t account) override;
  [[nodiscard]] core::result<mailbox> find_mailbox(id_t account, std::string_view name) override;
  [[nodiscard]] core::result<mailbox> find_mailbox_by_role(id_t account, mailbox_role role) override;
  [[nodiscard]] core::result<mailbox> create_mailbox(id_t account, std::string_view name,
                                                     mailbox_role role) override;
  [[nodiscard]] core::result<void> rename_mailbox(id_t account, std::string_view from,
                                                  std::string_view to) override;
  [[nodiscard]] core::result<void> delete_mailbox(id_t account, std::string_view name) override;
  [[nodiscard]] core::result<mailbox> get_mailbox(id_t mailbox) override;

  [[nodiscard]] core::result<void> set_acl(id_t mailbox, id_t grantee, std::string_view rights) override;
  [[nodiscard]] core::result<std::vector<acl_entry>> list_acl(id_t mailbox) override;
  [[nodiscard]] core::result<std::vector<shared_mailbox>> list_shared_with(id_t grantee) override;

  [[nodiscard]] core::result<usage> account_usage(id_t account) override;
  [[nodiscard]] core::result<void> set_quota(id_t account, std::uint64_t bytes) override;

  [[nodiscard]] core::result<dkim_key> add_dkim_key(const dkim_key& k) override;
  [[nodiscard]] core::result<std::vector<dkim_key>> list_dkim_keys(std::string_view domain) override;
  [[nodiscard]] core::result<void> retire_dkim_key(id_t id, unix_time when) override;

  [[nodiscard]] core::result<std::vector<blob_meta>> get_blob_meta(const std::vector<std::string>& blobs) override;
  [[nodiscard]] core::result<void> put_blob_meta(const std::vector<blob_meta>& metas) override;
  [[nodiscard]] core::result<std::vector<message_keys>> get_message_keys(
      id_t mailbox_id, std::span<const std::uint32_t> uids) override;
  [[nodiscard]] core::result<void> put_message_keys(id_t mailbox_id, const std::vector<message_keys>& keys) override;

  [[nodiscard]] core::result<void> set_subscribed(id_t account, std::string_view name, bool subscribed) override;
  [[nodiscard]] core::result<std::vector<delivered>> deliver(const delivery& d) override;
  [[nodiscard]] core::result<std::vector<message>> list_messages(id_t mailbox, std::uint32_t first_uid) override;
  [[nodiscard]] core::result<message> get_message(id_t mailbox, std::uint32_t uid) override;
  [[nodiscard]] core::result<std::uint64_t> set_flags(id_t mailbox, std::uint32_t uid, std::uint32_t flags,
                                                      const std::vector<std::string>& keywords) override;
  [[nodiscard]] core::result<flag_update> update_flags(id_t mailbox, std::span<const std::uint32_t> uids,
                                                       const flag_change& change) override;
  [[nodiscard]] core::result<void> expunge(id_t mailbox, const std::vector<std::uint32_t>& uids) override;
  [[nodiscard]] core::result<std::vector<std::uint32_t>> copy_messages(
      id_t from_mailbox, const std::vector<std::uint32_t>& uids, id_t to_mailbox) override;

  [[nodiscard]] core::result<std::uint64_t> highest_modseq(id_t account) override;
  [[nodiscard]] core::result<std::vector<change>> changes_since(id_t account, std::uint64_t modseq) override;

  [[nodiscard]] core::result<id_t> enqueue(const queue_entry& e) override;
  [[nodiscard]] core::result<std::vector<queue_entry>> list_queue() override;
  [[nodiscard]] core::result<queue_entry> get_queue_entry(id_t id) override;
  [[nodiscard]] core::result<void> remove_queue_entry(id_t id) override;
  [[nodiscard]] core::result<std::vector<queue_entry>> claim_queue(unix_time now, std::size_t limit,
                                                                   std::string_view owner,
                                                                   unix_time lease_until) override;
  [[nodiscard]] core::result<void> update_queue_entry(const queue_entry& e) override;
  [[nodiscard]] core::result<void> set_queue_held(id_t id, bool held) override;
  [[nodiscard]] core::result<void> retry_queue_entry(id_t id, unix_time now) override;

  [[nodiscard]] core::result<void> audit(std::string_view actor, std::string_view action,
                                         std::string_view detail) override;
  [[nodiscard]] core::result<std::vector<audit_record>> list_audit(std::size_t limit) override;
  [[nodiscard]] core::result<std::vector<audit_record>> query_audit(const audit_query& q) override;
  [[nodiscard]] core::result<void> add_admin_session(const admin_session& s, unix_time idle_before) override;
  [[nodiscard]] core::result<admin_session> get_admin_session(std::string_view token_hash) override;
  [[nodiscard]] core::result<mta_sts_record> get_mta_sts(std::string_view domain) override;
  [[nodiscard]] core::result<void> put_mta_sts(const mta_sts_record& r) override;
  [[nodiscard]] core::result<void> touch_admin_session(std::string_view token_hash, unix_time last_seen) override;
  [[nodiscard]] core::result<void> remove_admin_session(std::string_view token_hash) override;
  [[nodiscard]] core::result<std::size_t> remove_admin_sessions(id_t account) override;

  // === organisation (org_*.cpp) ===
  [[nodiscard]] core::result<department> add_department(std::string_view name, id_t parent_id) override;
  [[nodiscard]] core::result<department> get_department(id_t id) override;
  [[nodiscard]] core::result<std::vector<department>> list_departments() override;
  [[nodiscard]] core::result<void> move_department(id_t id, id_t new_parent) override;
  [[nodiscard]] core::result<void> remove_department(id_t id, std::optional<id_t> reparent_to) override;
  [[nodiscard]] core::result<profile> get_profile(id_t account_id) override;
  [[nodiscard]] core::result<void> set_profile(const profile& p) override;
  [[nodiscard]] core::result<std::vector<profile>> list_profiles(std::string_view domain) override;
  [[nodiscard]] core::result<std::vector<id_t>> accounts_in_departments(const std::vector<id_t>& departments) override;
  [[nodiscard]] core::result<bool> is_manager(id_t account_id) override;
  [[nodiscard]] core::result<std::string> address_format(std::string_view domain) override;
  [[nodiscard]] core::result<void> set_address_format(std::string_view domain, std::string_view format) override;
  [[nodiscard]] core::result<group> add_group(const group& g) override;
  [[nodiscard]] core::result<group> find_group(std::string_view address) override;
  [[nodiscard]] core::result<group> get_group(id_t id) override;
  [[nodiscard]] core::result<std::vector<group>> list_groups(std::string_view domain) override;
  [[nodiscard]] core::result<void> update_group(const group& g) override;
  [[nodiscard]] core::result<void> remove_group(id_t id) override;
  [[nodiscard]] core::result<void> add_group_member(id_t group, const group_member& m) override;
  [[nodiscard]] core::result<void> remove_group_member(id_t group, const group_member& m) override;
  [[nodiscard]] core::result<std::vector<group_member>> list_group_members(id_t group) override;
  [[nodiscard]] core::result<std::vector<group>> groups_owned_by(id_t account_id) override;
  [[nodiscard]] core::result<id_t> hold_message(const held_message& h) override;
  [[nodiscard]] core::result<held_message> get_held(id_t id) override;
  [[nodiscard]] core::result<std::vector<held_message>> list_held(id_t group) override;
  [[nodiscard]] core::result<void> remove_held(id_t id) override;
  [[nodiscard]] core::result<void> grant_role(const role_grant& r) override;
  [[nodiscard]] core::result<void> revoke_role(const role_grant& r) override;
  [[nodiscard]] core::result<std::vector<role_grant>> list_roles(id_t account_id) override;
  [[nodiscard]] core::result<void> set_mail_rule(const mail_rule& r) override;
  [[nodiscard]] core::result<void> remove_mail_rule(id_t account_id, std::string_view role) override;
  [[nodiscard]] core::result<std::vector<mail_rule>> list_mail_rules() override;
  // === end of organisation ===

  // === account security and offboarding (security.cpp) ===
  [[nodiscard]] core::result<password_policy> get_password_policy(id_t domain_id) override;
  [[nodiscard]] core::result<void> set_password_policy(const password_policy& p) override;
  [[nodiscard]] core::result<account_security> get_account_security(id_t account) override;
  [[nodiscard]] core::result<void> set_password(id_t account, std::string_view hash,
                                                const std::optional<scram_credentials>& scram, bool must_change,
                                                unix_time now, std::size_t keep_history) override;
  [[nodiscard]] core::result<std::vector<std::string>> password_history(id_t account) override;
  [[nodiscard]] core::result<void> set_must_change_password(id_t account, bool must) override;
  [[nodiscard]] core::result<void> set_expiry_warned(id_t account, unix_time when) override;
  [[nodiscard]] core::result<void> set_totp_secret(id_t account, std::string_view secret) override;
  [[nodiscard]] core::result<bool> use_totp_step(id_t account, std::int64_t step) override;
  [[nodiscard]] core::result<void> set_account_disabled(id_t account, bool disabled) override;
  [[nodiscard]] core::result<app_password> add_app_password(const app_password& p) override;
  [[nodiscard]] core::result<std::vector<app_password>> list_app_passwords(id_t account) override;
  [[nodiscard]] core::result<void> remove_app_password(id_t account, std::string_view name) override;
  [[nodiscard]] core::result<std::size_t> remove_app_passwords(id_t account) override;
  [[nodiscard]] core::result<void> touch_app_password(id_t id, unix_time when) override;
  [[nodiscard]] core::result<std::vector<login_throttle>> get_login_throttles(
      const std::vector<std::string>& keys) override;
  [[nodiscard]] core::result<login_throttle> record_login_failure(std::string_view key, unix_time now,
                                                                  std::chrono::seconds window,
                                                                  std::uint32_t threshold,
                                                                  std::chrono::seconds block) override;
  [[nodiscard]] core::result<void> clear_login_throttle(std::string_view key) override;
  [[nodiscard]] core::result<std::vector<login_throttle>> list_login_blocks(unix_time now) override;
  [[nodiscard]] core::result<std::size_t> remove_login_throttles(const std::vector<std::string>& key_prefixes) override;
  [[nodiscard]] core::result<void> add_login_event(const login_event& e, std::size_t keep) override;
  [[nodiscard]] core::result<std::vector<login_event>> list_login_events(id_t account, std::size_t limit) override;
  [[nodiscard]] core::result<network_seen> note_login_network(id_t account, std::string_view network,
                                                             unix_time now) override;
  [[nodiscard]] core::result<void> add_offboarding(const offboarding& o) override;
  [[nodiscard]] core::result<offboarding> get_offboarding(id_t account) override;
  [[nodiscard]] core::result<void> remove_offboarding(id_t account) override;
  [[nodiscard]] core::result<offboarding_outcome> apply_offboarding(const offboarding_plan& plan) override;
  [[nodiscard]] core::result<bool> note_auto_reply(id_t account, std::string_view sender, unix_time now,
                                                   std::chrono::seconds interval) override;
  // === end of account security ===
  [[nodiscard]] core::result<std::int64_t> greylist_check(std::string_view triplet, unix_time now,
                                                          std::chrono::seconds delay, std::chrono::seconds retry_window,
                                                          std::chrono::seconds expiry) override;
  [[nodiscard]] core::result<bayes_table> bayes_lookup(const bayes_scope& scope,
                                                       const std::vector<std::uint64_t>& tokens) override;
  [[nodiscard]] core::result<bayes_train_result> bayes_train(id_t account, std::string_view blob_hash,
                                                             bayes_class cls, const std::vector<bayes_scope>& scopes,
                                                             const std::vector<std::uint64_t>& tokens,
                                                             const std::optional<bayes_company_limit>& limit) override;

  [[nodiscard]] core::result<std::size_t> sweep_orphan_blobs(std::chrono::seconds min_age) override;

  [[nodiscard]] core::result<std::uint64_t> rate_hit(std::string_view key, unix_time now,
                                                     std::chrono::seconds window, std::uint64_t add) override;
  [[nodiscard]] core::result<unix_time> clock() override;

  // --- for tests and maintenance tools ---
  // Runs SQL on the writer connection as a write request (e.g. a PRAGMA that makes the
  // disk look full, to test that no caller ever sees a false success).
  [[nodiscard]] core::result<void> exec_on_writer(std::string_view sql);
  [[nodiscard]] group_commit::statistics commit_statistics() { return writer_->stats(); }
  [[nodiscard]] const std::string& database() const noexcept { return database_; }
  // Keeps an object that lives as long as the store and is destroyed before anything
  // else of it (a driver's background work, such as PostgreSQL's change listener).
  void attach(std::shared_ptr<void> companion) { companions_.push_back(std::move(companion)); }

 private:
  sql_store() = default;

  // Runs fn(write_context&) on the writer thread inside a savepoint of the current
  // commit group; returns its result once the group has committed (or the error).
  template <class F>
  [[nodiscard]] std::invoke_result_t<F&, write_context&> write(F&& fn) {
    using result_t = std::invoke_result_t<F&, write_context&>;
    struct request final : write_request {
      explicit request(F& f) : fn(f) {}
      core::result<void> run(write_context& ctx) override {
        result = fn(ctx);
        if (!result) return std::unexpected(result.error());
        return {};
      }
      void fail(core::error e) override { result = std::unexpected(std::move(e)); }
      F& fn;
      result_t result = std::unexpected(core::error{core::errc::internal, "write request not run"});
    } req(fn);
    writer_->submit(req);
    return std::move(req.result);
  }

  // Runs fn(connection&) as a transaction of its own on a short-write connection
  // (driver begin_short_write: READ COMMITTED on PostgreSQL), run again from its start
  // a few times when the database asks for it; without such connections (SQLite), as
  // a request of the commit group. For writes whose statements are correct under READ
  // COMMITTED on their own (row locks, upserts) and that touch no blob or change log.
  template <class F>
  [[nodiscard]] std::invoke_result_t<F&, connection&> write_short(F&& fn) {
    if (!short_writers_) return write([&](write_context& ctx) { return fn(ctx.db); });
    auto lease = short_writers_->acquire();
    if (!lease) return std::unexpected(lease.error());
    connection& db = **lease;
    for (int attempt = 1;; ++attempt) {
      if (auto b = db.begin_short_write(); !b) return std::unexpected(b.error());
      auto result = fn(db);
      if (result) {
        auto committed = db.commit();
        if (committed) return result;
        result = std::unexpected(committed.error());
      }
      const bool again = db.must_retry() && attempt < short_write_attempts;
      if (db.in_transaction()) (void)db.exec("ROLLBACK");
      if (!again) return result;
    }
  }
  static constexpr int short_write_attempts = 5;

  // Runs fn(connection&) on a reader connection inside one read transaction, so that
  // a read of several statements sees one snapshot.
  template <class F>
  [[nodiscard]] std::invoke_result_t<F&, connection&> read(F&& fn) {
    auto lease = readers_->acquire();
    if (!lease) return std::unexpected(lease.error());
    connection& db = **lease;
    if (auto b = db.begin_read(); !b) return std::unexpected(b.error());
    auto result = fn(db);
    if (db.in_transaction()) (void)db.exec(result ? "COMMIT" : "ROLLBACK");
    // The connection goes back to the pool: never with a transaction open.
    if (db.in_transaction()) (void)db.exec("ROLLBACK");
    return result;
  }

  void after_commit(connection& db, const write_effects& effects);

  std::string database_;
  std::vector<std::shared_ptr<void>> companions_;
  std::unique_ptr<pinning_blob_store> blobs_;
  std::unique_ptr<reader_pool> readers_;
  std::unique_ptr<reader_pool> short_writers_;  // null: short writes join the commit groups
  // clock(): the database server's clock minus this machine's, asked again after
  // clock_recheck; the server's clock is then never more than a query away.
  static constexpr std::int64_t clock_recheck_seconds = 60;
  std::atomic<std::int64_t> clock_offset_ms_{0};
  std::atomic<std::int64_t> clock_checked_{INT64_MIN};  // steady clock, seconds
  std::atomic<bool> clock_local_{false};                  // the driver has no server clock
  std::unique_ptr<group_commit> writer_;  // last: stops first, while blobs_ still exists
};

}  // namespace letterhead::store::sql
