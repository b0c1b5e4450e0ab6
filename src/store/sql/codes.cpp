#include "store/sql/codes.hpp"

namespace letterhead::store::sql {

std::optional<std::string_view> role_name(mailbox_role r) noexcept {
  switch (r) {
    case mailbox_role::none: return std::nullopt;
    case mailbox_role::inbox: return "inbox";
    case mailbox_role::sent: return "sent";
    case mailbox_role::drafts: return "drafts";
    case mailbox_role::trash: return "trash";
    case mailbox_role::junk: return "junk";
    case mailbox_role::archive: return "archive";
  }
  return std::nullopt;
}

mailbox_role role_from_name(std::optional<std::string_view> name) noexcept {
  if (!name) return mailbox_role::none;
  if (*name == "inbox") return mailbox_role::inbox;
  if (*name == "sent") return mailbox_role::sent;
  if (*name == "drafts") return mailbox_role::drafts;
  if (*name == "trash") return mailbox_role::trash;
  if (*name == "junk") return mailbox_role::junk;
  if (*name == "archive") return mailbox_role::archive;
  return mailbox_role::none;
}

int change_code(change_kind k) noexcept {
  switch (k) {
    case change_kind::mailbox_created: return 1;
    case change_kind::mailbox_deleted: return 2;
    case change_kind::mailbox_renamed: return 3;
    case change_kind::message_added: return 4;
    case change_kind::message_flags: return 5;
    case change_kind::message_expunged: return 6;
  }
  return 0;
}

change_kind change_from_code(int code) noexcept {
  switch (code) {
    case 1: return change_kind::mailbox_created;
    case 2: return change_kind::mailbox_deleted;
    case 3: return change_kind::mailbox_renamed;
    case 4: return change_kind::message_added;
    case 5: return change_kind::message_flags;
    default: return change_kind::message_expunged;
  }
}

std::string_view recipient_status_name(queue_recipient::state s) noexcept {
  switch (s) {
    case queue_recipient::state::pending: return "pending";
    case queue_recipient::state::delivered: return "delivered";
    case queue_recipient::state::failed: return "failed";
  }
  return "pending";
}

queue_recipient::state recipient_status_from_name(std::string_view s) noexcept {
  if (s == "delivered") return queue_recipient::state::delivered;
  if (s == "failed") return queue_recipient::state::failed;
  return queue_recipient::state::pending;
}

std::string_view dkim_status_name(dkim_key::state s) noexcept {
  return s == dkim_key::state::retired ? "retired" : "active";
}

dkim_key::state dkim_status_from_name(std::string_view s) noexcept {
  return s == "retired" ? dkim_key::state::retired : dkim_key::state::active;
}

}  // namespace letterhead::store::sql
