#include "imap/server/access.hpp"

namespace letterhead::imap::server {

namespace {

// A rights string is short; beyond this it is garbage.
constexpr std::size_t max_rights_length = 64;

}  // namespace

std::optional<shared_name> split_shared_name(std::string_view name) {
  if (!name.starts_with(other_users_prefix)) return std::nullopt;
  name.remove_prefix(other_users_prefix.size());
  const auto slash = name.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == name.size()) return std::nullopt;
  shared_name out{std::string(name.substr(0, slash)), std::string(name.substr(slash + 1))};
  // RFC 9051 §5.1: INBOX is case-insensitive, also as the first level of a hierarchy.
  if (out.mailbox.size() >= 5) {
    std::string head = out.mailbox.substr(0, 5);
    for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (head == "INBOX" && (out.mailbox.size() == 5 || out.mailbox[5] == '/')) out.mailbox.replace(0, 5, "INBOX");
  }
  return out;
}

bool is_shared_node(std::string_view name) {
  while (name.ends_with('/')) name.remove_suffix(1);
  if (name == other_users_root) return true;
  if (!name.starts_with(other_users_prefix)) return false;
  name.remove_prefix(other_users_prefix.size());
  return !name.empty() && name.find('/') == std::string_view::npos;
}

bool in_shared_namespace(std::string_view name) {
  return name == other_users_root || name.starts_with(other_users_prefix);
}

std::string shared_mailbox_name(std::string_view owner, std::string_view mailbox) {
  std::string out(other_users_prefix);
  out += owner;
  out += '/';
  out += mailbox;
  return out;
}

bool has_right(std::string_view rights, char right) { return rights.find(right) != std::string_view::npos; }

bool has_rights(std::string_view rights, std::string_view needed) {
  for (const char c : needed) {
    if (!has_right(rights, c)) return false;
  }
  return true;
}

core::result<std::string> apply_rights(std::string_view current, std::string_view mod) {
  if (mod.size() > max_rights_length) return core::fail(core::errc::invalid, "rights string too long");
  char how = '=';
  if (!mod.empty() && (mod.front() == '+' || mod.front() == '-')) {
    how = mod.front();
    mod.remove_prefix(1);
  }
  std::string named;
  for (const char c : mod) {
    if (c == 'c') named += "kx";
    else if (c == 'd') named += "te";
    else if (has_right(all_rights, c)) named += c;
    else return core::fail(core::errc::invalid, std::string("unknown right \"") + c + "\"");
  }
  std::string out;
  for (const char c : all_rights) {
    const bool before = has_right(current, c);
    const bool listed = has_right(named, c);
    bool after = listed;
    if (how == '+') after = before || listed;
    else if (how == '-') after = before && !listed;
    if (after) out += c;
  }
  return out;
}

}  // namespace letterhead::imap::server
