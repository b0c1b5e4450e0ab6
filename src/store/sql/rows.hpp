#pragma once
// Row readers and the bookkeeping every write shares: MODSEQs, the change log, blob
// reference counts, UIDVALIDITY. Private to the SQLite backend.
//
// The column lists below and the readers go together: a SELECT that uses
// STORE_SQL_MAILBOX_COLUMNS is read by read_mailbox.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/sql/driver.hpp"
#include "store/sql/group_commit.hpp"
#include "store/types.hpp"

#define STORE_SQL_DOMAIN_COLUMNS "id, name, catch_all, created"
#define STORE_SQL_ACCOUNT_COLUMNS \
  "id, domain_id, address, display_name, password_hash, quota_bytes, disabled, created"
#define STORE_SQL_MAILBOX_COLUMNS \
  "id, account_id, name, role, uidvalidity, uidnext, highest_modseq, messages, size, subscribed"
#define STORE_SQL_MESSAGE_COLUMNS \
  "id, account_id, mailbox_id, uid, blob, size, internal_date, flags, keywords, modseq"

namespace letterhead::store::sql {

[[nodiscard]] unix_time now();

[[nodiscard]] domain read_domain(const statement& st);
[[nodiscard]] account read_account(const statement& st);
[[nodiscard]] mailbox read_mailbox(const statement& st);
[[nodiscard]] message read_message(const statement& st);

// Lookups that fail with errc::not_found and a message naming what was missing.
[[nodiscard]] core::result<domain> load_domain(connection& db, std::string_view name);
[[nodiscard]] core::result<account> load_account(connection& db, id_t id);
[[nodiscard]] core::result<account> load_account_by_address(connection& db, std::string_view address);
[[nodiscard]] core::result<mailbox> load_mailbox(connection& db, id_t id);
[[nodiscard]] core::result<mailbox> load_mailbox_by_name(connection& db, id_t account,
                                                        std::string_view normalized_name);

// Reserves `count` consecutive MODSEQs of the account and returns the first. MODSEQs
// strictly increase per account (RFC 7162 §3.1.2): each change gets its own.
[[nodiscard]] core::result<std::uint64_t> reserve_modseqs(connection& db, id_t account,
                                                          std::uint64_t count = 1);

[[nodiscard]] core::result<void> log_change(connection& db, id_t account, std::uint64_t modseq,
                                            change_kind kind, id_t mailbox, std::uint32_t uid,
                                            unix_time time);

// errc::invalid for bits that are no system flag (store::all_flags).
[[nodiscard]] core::result<void> check_flags(std::uint32_t flags);

// blobs.refcount += count (creating the row). The blob must exist in the blob store.
[[nodiscard]] core::result<void> add_blob_refs(write_context& ctx, std::string_view hash,
                                               std::uint64_t size, std::int64_t count);
// blobs.refcount -= count; at zero the row goes and the blob is removed after commit.
[[nodiscard]] core::result<void> release_blob_refs(write_context& ctx, std::string_view hash,
                                                   std::int64_t count);

// A new UIDVALIDITY: the current time in seconds, but always above the last one
// handed out by this store (the scheme is explained in rows.cpp).
[[nodiscard]] core::result<std::uint32_t> next_uidvalidity(connection& db);

// Inserts a mailbox row with a fresh UIDVALIDITY and logs mailbox_created. The name
// must be normalised and free; superiors are the caller's business.
[[nodiscard]] core::result<mailbox> insert_mailbox(connection& db, id_t account, std::string_view name,
                                                   mailbox_role role, unix_time time);

// Mailboxes of `account` named `prefix` or under it (every one when prefix is empty),
// by name, through a prefix test that does not treat '%' or '_' as LIKE wildcards.
[[nodiscard]] core::result<std::vector<mailbox>> mailboxes_under(connection& db, id_t account,
                                                                 std::string_view prefix);

[[nodiscard]] core::result<bool> mailbox_exists(connection& db, id_t account, std::string_view name);

// RFC 9051 §6.3.4 (CREATE) and §6.3.6 (RENAME): the server SHOULD create the superior
// names a new name needs. They get no role.
[[nodiscard]] core::result<void> create_superiors(connection& db, id_t account, std::string_view name,
                                                  unix_time time);

// Moves every message of `from` into `to` (the same account or another) by updating
// the rows, as IMAP MOVE does (RFC 6851 §3.3): each message gets the next UID of `to`
// and a new MODSEQ of to's account (RFC 7162 §3.1.2); from's change log gets an
// expunge per message, to's an add; both mailboxes' counters follow, `to.uidnext`
// too. Blob references do not change (the rows are the same) and the search keys
// stay with their row. Returns how many moved.
[[nodiscard]] core::result<std::size_t> move_all_messages(connection& db, const mailbox& from, mailbox& to,
                                                          unix_time time);

// RFC 4314 §2.1: each right once, in canonical order ("lrswipkxtea"); errc::invalid
// for any other character (including the obsolete "c" and "d" of RFC 2086, which the
// protocol layer maps).
[[nodiscard]] core::result<std::string> canonical_rights(std::string_view rights);

}  // namespace letterhead::store::sql
