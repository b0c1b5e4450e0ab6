#pragma once
// Access rights (RFC 4314 ACL) and the shared namespace (RFC 2342), pure helpers.
//
// Mailboxes another account shares with the logged-in one appear under the "other
// users" namespace as "Other Users/<owner address>/<mailbox name>". The owner of a
// mailbox always has every right; anybody else has what the owner's ACL entry for
// them says (store::set_acl). Only account addresses are identifiers: "anyone",
// groups and negative rights (RFC 4314 §2) are refused.

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::imap::server {

// RFC 2342 §5 "other users" namespace prefix; the hierarchy delimiter is "/".
inline constexpr std::string_view other_users_root = "Other Users";
inline constexpr std::string_view other_users_prefix = "Other Users/";

// RFC 4314 §2.1 rights in their canonical order; the owner has all of them.
inline constexpr std::string_view all_rights = "lrswipkxtea";

// A name in the other users namespace: the owner's address and the mailbox name in
// the owner's account ("INBOX" resolved case-insensitively).
struct shared_name {
  std::string owner;
  std::string mailbox;
};

// Splits "Other Users/<owner>/<mailbox>"; nullopt for names outside the namespace or
// without an owner or mailbox part.
[[nodiscard]] std::optional<shared_name> split_shared_name(std::string_view name);
// True for the namespace root and "Other Users/<owner>" (no mailbox part).
[[nodiscard]] bool is_shared_node(std::string_view name);
// True when `name` is in the other users namespace at all (root included).
[[nodiscard]] bool in_shared_namespace(std::string_view name);
// "Other Users/<owner>/<mailbox>".
[[nodiscard]] std::string shared_mailbox_name(std::string_view owner, std::string_view mailbox);

[[nodiscard]] bool has_right(std::string_view rights, char right);
// Every right of `needed` is in `rights`.
[[nodiscard]] bool has_rights(std::string_view rights, std::string_view needed);

// RFC 4314 §3.1 SETACL: applies a mod-rights ("+rights", "-rights" or a replacement)
// to `current`; the result is in canonical order. The obsolete "c" counts as "kx" and
// "d" as "te" (§2.1.1, RIGHTS=texk). errc::invalid for any other letter.
[[nodiscard]] core::result<std::string> apply_rights(std::string_view current, std::string_view mod);

}  // namespace letterhead::imap::server
