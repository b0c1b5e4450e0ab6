#pragma once
// One offboarding, or its undoing, as a list of state changes that
// store::apply_offboarding carries out in ONE write transaction (issue 6: "nothing
// half-applied"). directory/ decides what goes in (security_offboard.cpp: who the
// successor is, which groups the actor may touch, where the mail goes, the audit
// texts); the store only applies it, and checks inside the transaction what may have
// changed since the plan was made (accounts, groups, mailboxes, the record).
//
// Invariant: a plan either commits whole or changes nothing; a kill -9 at any moment
// leaves the state before or after, never between.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::store {

// Every message of each mailbox of `from_account` named `from_prefix` or under it
// (every mailbox when empty) moves to the mailbox of `to_account` named
// `to_prefix` + "/" + the rest of its name (the rest alone when to_prefix is empty),
// created with its superiors when missing. A move is a row update: new UID and
// MODSEQ in the target, an expunge and an add in the change logs, the blob shared.
struct mail_transfer {
  id_t from_account = 0;
  std::string from_prefix;
  id_t to_account = 0;
  std::string to_prefix;
};

// After the transfers: mailbox `name` of `account` (and, with `inferiors`, every
// mailbox under it) is deleted if it is then empty and has no inferiors left,
// deepest first; a mailbox that is not empty, or absent, is left alone.
struct mailbox_cleanup {
  id_t account = 0;
  std::string name;
  bool inferiors = false;
};

// RFC 4314: `rights` for `grantee` on every mailbox of `owner`; empty removes them.
struct acl_change {
  id_t owner = 0;
  id_t grantee = 0;
  std::string rights;
};

// A list ownership: `remove` stops owning group `group_id`, `add` starts (0 = none).
struct owner_change {
  id_t group_id = 0;
  id_t remove = 0;
  id_t add = 0;
};

struct audit_entry {
  std::string action;
  std::string detail;
};

// What a plan did, counted inside the transaction.
struct offboarding_outcome {
  std::size_t app_passwords_revoked = 0;
  std::size_t admin_sessions_ended = 0;
  std::size_t messages_moved = 0;
  std::size_t mailboxes_shared = 0;  // mailboxes whose ACL entry was set or removed
  std::size_t groups_changed = 0;
};

struct offboarding_plan {
  // Offboarding: inserted (errc::exists when the account has one, by the table's key).
  // Restore: removed (errc::not_found when there is none).
  offboarding record;
  bool restore = false;
  std::optional<bool> set_disabled;  // of record.account_id
  bool revoke_credentials = false;   // app passwords and admin sessions of record.account_id
  std::vector<mail_transfer> transfers;
  std::vector<mailbox_cleanup> cleanups;
  std::vector<acl_change> acls;
  std::vector<owner_change> owners;
  // The audit records, composed from the counts inside the transaction and written in it.
  std::string actor;
  std::function<std::vector<audit_entry>(const offboarding_outcome&)> audit;
  // Fault injection for tests, called inside the transaction after each part
  // ("disable", "app_passwords", "transfer", "share", "groups", "record"): an error
  // rolls the whole plan back. It must not call the store.
  std::function<core::result<void>(std::string_view part)> fault;
};

}  // namespace letterhead::store
