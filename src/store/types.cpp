#include "store/types.hpp"

namespace letterhead::store {

// RFC 6154 §2 special-use attributes; INBOX has none of its own.
const char* to_string(mailbox_role r) noexcept {
  switch (r) {
    case mailbox_role::none: return "";
    case mailbox_role::inbox: return "";
    case mailbox_role::sent: return "\\Sent";
    case mailbox_role::drafts: return "\\Drafts";
    case mailbox_role::trash: return "\\Trash";
    case mailbox_role::junk: return "\\Junk";
    case mailbox_role::archive: return "\\Archive";
  }
  return "";
}

}  // namespace letterhead::store
