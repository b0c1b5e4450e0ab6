#include "store/types.hpp"

#include <algorithm>

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

bool flag_set::same_as(std::uint32_t other_flags, const std::vector<std::string>& other_keywords) const {
  if (flags != other_flags || keywords.size() != other_keywords.size()) return false;
  auto a = keywords;
  auto b = other_keywords;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// RFC 9051 §6.4.6: FLAGS replaces, +FLAGS adds to, -FLAGS removes from what the
// message has.
flag_set apply_flag_change(const flag_change& c, std::uint32_t flags, std::vector<std::string> keywords) {
  flag_set out{flags, std::move(keywords)};
  auto named = [&c](const std::string& k) {
    return std::find(c.keywords.begin(), c.keywords.end(), k) != c.keywords.end();
  };
  switch (c.op) {
    case flag_op::set:
      out.flags = (flags & ~c.set_mask) | c.flags;
      if (c.set_keywords) out.keywords = c.keywords;
      break;
    case flag_op::add:
      out.flags |= c.flags;
      for (const auto& k : c.keywords) {
        if (std::find(out.keywords.begin(), out.keywords.end(), k) == out.keywords.end()) out.keywords.push_back(k);
      }
      break;
    case flag_op::remove:
      out.flags &= ~c.flags;
      std::erase_if(out.keywords, named);
      break;
  }
  return out;
}

}  // namespace letterhead::store
