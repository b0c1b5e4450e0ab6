// LIST and LSUB (RFC 9051 §6.3.9, LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154),
// STATUS (§6.3.11), CREATE (§6.3.4, CREATE-SPECIAL-USE), DELETE (§6.3.5),
// MAILBOXID in CREATE, STATUS and LIST-STATUS (OBJECTID RFC 8474 §4),
// RENAME (§6.3.6), SUBSCRIBE and UNSUBSCRIBE (§6.3.7-8).
#include <algorithm>

#include <fmt/format.h>

#include "imap/server/access.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

// RFC 9051 §6.3.9: "*" matches anything, "%" anything but the hierarchy delimiter.
bool matches(std::string_view pattern, std::string_view name) {
  // Iterative matcher with backtracking over the last wildcard: linear in practice
  // and without recursion, whatever the client sends.
  std::size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
  bool star_is_percent = false;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '*' || pattern[p] == '%')) {
      star_is_percent = pattern[p] == '%';
      star_p = p++;
      star_n = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star_p != std::string_view::npos && !(star_is_percent && name[star_n] == '/')) {
      p = star_p + 1;
      n = ++star_n;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && (pattern[p] == '*' || pattern[p] == '%')) ++p;
  return p == pattern.size();
}

const char* role_attribute(store::mailbox_role r) {
  switch (r) {
    case store::mailbox_role::sent: return "\\Sent";
    case store::mailbox_role::drafts: return "\\Drafts";
    case store::mailbox_role::trash: return "\\Trash";
    case store::mailbox_role::junk: return "\\Junk";
    case store::mailbox_role::archive: return "\\Archive";
    default: return nullptr;
  }
}

std::optional<store::mailbox_role> role_from_attribute(std::string_view a) {
  std::string l(a);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "\\sent") return store::mailbox_role::sent;
  if (l == "\\drafts") return store::mailbox_role::drafts;
  if (l == "\\trash") return store::mailbox_role::trash;
  if (l == "\\junk") return store::mailbox_role::junk;
  if (l == "\\archive") return store::mailbox_role::archive;
  return std::nullopt;
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

asio::awaitable<session::outcome> session::cmd_list(const command& cmd) {
  const auto* a = std::get_if<proto::list_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "LIST needs a reference and a pattern");
  const bool lsub = a->lsub || cmd.name == "LSUB";
  const char* word = lsub ? "LSUB" : "LIST";
  if (a->patterns.size() == 1 && a->patterns[0].empty()) {
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and root.
    untagged(fmt::format("{} (\\Noselect) \"/\" \"\"", word));
    co_return co_await ok(cmd, fmt::format("{} completed", word));
  }
  // Our mailboxes, then those others share with us where we have "l" (RFC 4314 §4),
  // named in the other users namespace below \Noselect nodes for the root and each
  // owner (RFC 2342 §5). A node has id 0.
  // Shared mailboxes listed with "l" but without "r" get no LIST-STATUS (RFC 4314 §4).
  std::vector<store::id_t> unreadable;
  auto list = [&st = store_, id = account_->id, &unreadable]() -> core::result<std::vector<store::mailbox>> {
    auto own = st.list_mailboxes(id);
    if (!own) return std::unexpected(own.error());
    auto shared = st.list_shared_with(id);
    if (!shared) return std::unexpected(shared.error());
    std::string last_owner;
    for (auto& sh : *shared) {
      if (!has_right(sh.rights, 'l')) continue;
      if (!has_right(sh.rights, 'r')) unreadable.push_back(sh.box.id);
      if (last_owner.empty()) {
        store::mailbox root;
        root.name = other_users_root;
        own->push_back(std::move(root));
      }
      if (sh.owner != last_owner) {
        store::mailbox node;
        node.name = std::string(other_users_prefix) + sh.owner;
        own->push_back(std::move(node));
        last_owner = sh.owner;
      }
      // Subscriptions are the owner's; a grantee sees what is shared as subscribed.
      sh.box.name = shared_mailbox_name(sh.owner, sh.box.name);
      sh.box.subscribed = true;
      // Another account's \Sent is not ours: no special-use attributes (RFC 6154).
      sh.box.role = store::mailbox_role::none;
      own->push_back(std::move(sh.box));
    }
    return own;
  };
  auto boxes = co_await blocking(list);
  if (!boxes) co_return co_await no(cmd, "[SERVERBUG] Cannot list mailboxes");
  const bool only_subscribed = lsub || contains(a->select_options, "SUBSCRIBED");
  const bool only_special = contains(a->select_options, "SPECIAL-USE");
  const bool show_subscribed = lsub || only_subscribed || contains(a->return_options, "SUBSCRIBED");
  std::vector<const store::mailbox*> chosen;
  for (const auto& mb : *boxes) {
    bool hit = false;
    for (const auto& pattern : a->patterns) {
      const std::string full = canonical_name(a->reference + pattern);
      if (matches(full, mb.name) || (full.starts_with("INBOX") && matches(full, canonical_name(mb.name)))) {
        hit = true;
        break;
      }
    }
    if (!hit) continue;
    if (only_subscribed && (!mb.subscribed || mb.id == 0)) continue;
    if (only_special && role_attribute(mb.role) == nullptr) continue;
    chosen.push_back(&mb);
  }
  for (const auto* mb : chosen) {
    std::vector<std::string> attrs;
    const bool children = std::any_of(boxes->begin(), boxes->end(), [&](const store::mailbox& o) {
      return o.name.size() > mb->name.size() + 1 && o.name.starts_with(mb->name) && o.name[mb->name.size()] == '/';
    });
    if (mb->id == 0) attrs.emplace_back("\\Noselect");
    if (!lsub) attrs.emplace_back(children ? "\\HasChildren" : "\\HasNoChildren");
    if (const char* r = role_attribute(mb->role)) attrs.emplace_back(r);
    if (show_subscribed && mb->subscribed && !lsub) attrs.emplace_back("\\Subscribed");
    std::string joined;
    for (const auto& at : attrs) joined += (joined.empty() ? "" : " ") + at;
    untagged(fmt::format("{} ({}) \"/\" {}", word, joined, encode_mailbox(mb->name)));
    if (!a->status_items.empty() && mb->id != 0 &&
        std::find(unreadable.begin(), unreadable.end(), mb->id) == unreadable.end()) {
      // RFC 5819 LIST-STATUS: a STATUS response right after each LIST line.
      std::string items;
      for (const auto& it : a->status_items) {
        if (it == "MESSAGES") items += fmt::format(" MESSAGES {}", mb->messages);
        else if (it == "UIDNEXT") items += fmt::format(" UIDNEXT {}", mb->uidnext);
        else if (it == "UIDVALIDITY") items += fmt::format(" UIDVALIDITY {}", mb->uidvalidity);
        else if (it == "SIZE") items += fmt::format(" SIZE {}", mb->size);
        else if (it == "HIGHESTMODSEQ") items += fmt::format(" HIGHESTMODSEQ {}", mb->highest_modseq);
        else if (it == "MAILBOXID") items += fmt::format(" MAILBOXID ({})", mailbox_objectid(mb->id));
      }
      if (!items.empty()) untagged(fmt::format("STATUS {} ({})", encode_mailbox(mb->name), items.substr(1)));
    }
    if (!co_await maybe_flush()) co_return outcome::close;
  }
  co_return co_await ok(cmd, fmt::format("{} completed", word));
}

asio::awaitable<session::outcome> session::cmd_status(const command& cmd) {
  const auto* a = std::get_if<proto::status_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "STATUS needs a mailbox and items");
  auto t = co_await resolve_target(a->mailbox);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot read mailbox");
  }
  // RFC 4314 §4: STATUS needs "r".
  if (!t->may('r')) co_return co_await no(cmd, "[NOPERM] You may not read this mailbox");
  struct counts {
    store::mailbox mb;
    std::uint32_t unseen = 0, deleted = 0;
  };
  auto read = [&st = store_, box = t->box.id]() -> core::result<counts> {
    auto mb = st.get_mailbox(box);
    if (!mb) return std::unexpected(mb.error());
    counts c{*mb};
    auto msgs = st.list_messages(mb->id);
    if (!msgs) return std::unexpected(msgs.error());
    for (const auto& m : *msgs) {
      if (!(m.flags & store::flag_seen)) ++c.unseen;
      if (m.flags & store::flag_deleted) ++c.deleted;
    }
    return c;
  };
  auto c = co_await blocking(read);
  if (!c) {
    if (c.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot read mailbox");
  }
  std::string items;
  for (const auto& it : a->items) {
    if (it == "MESSAGES") items += fmt::format(" MESSAGES {}", c->mb.messages);
    else if (it == "UIDNEXT") items += fmt::format(" UIDNEXT {}", c->mb.uidnext);
    else if (it == "UIDVALIDITY") items += fmt::format(" UIDVALIDITY {}", c->mb.uidvalidity);
    else if (it == "UNSEEN") items += fmt::format(" UNSEEN {}", c->unseen);
    else if (it == "DELETED") items += fmt::format(" DELETED {}", c->deleted);
    else if (it == "SIZE") items += fmt::format(" SIZE {}", c->mb.size);
    else if (it == "RECENT") items += " RECENT 0";
    else if (it == "HIGHESTMODSEQ") items += fmt::format(" HIGHESTMODSEQ {}", c->mb.highest_modseq);
    else if (it == "APPENDLIMIT") items += fmt::format(" APPENDLIMIT {}", settings_.append_limit);
    else if (it == "MAILBOXID") items += fmt::format(" MAILBOXID ({})", mailbox_objectid(c->mb.id));  // RFC 8474 §4.3
    else co_return co_await bad(cmd, "Unknown STATUS item");
  }
  untagged(fmt::format("STATUS {} ({})", encode_mailbox(t->name), items.empty() ? "" : items.substr(1)));
  co_return co_await ok(cmd, "STATUS completed");
}

asio::awaitable<session::outcome> session::cmd_create(const command& cmd) {
  const auto* a = std::get_if<proto::mailbox_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "CREATE needs a mailbox name");
  std::string name = canonical_name(a->mailbox);
  // RFC 9051 §6.3.4: a trailing delimiter only says the client means to add children.
  while (!name.empty() && name.back() == '/') name.pop_back();
  if (name.empty() || name == "INBOX") co_return co_await no(cmd, "[ALREADYEXISTS] Mailbox exists");
  if (in_shared_namespace(name)) co_return co_await create_shared(cmd, name);
  store::mailbox_role role = store::mailbox_role::none;
  for (const auto& use : a->special_use) {
    auto r = role_from_attribute(use);
    if (!r) co_return co_await no(cmd, "[USEATTR] Unsupported special-use attribute");
    role = *r;
  }
  auto create = [&st = store_, id = account_->id, name, role]() { return st.create_mailbox(id, name, role); };
  auto made = co_await blocking(create);
  if (!made) {
    switch (made.error().code) {
      case core::errc::exists:
        co_return co_await no(cmd, role == store::mailbox_role::none ? "[ALREADYEXISTS] Mailbox exists"
                                                                     : "[USEATTR] Mailbox or special use exists");
      case core::errc::invalid: co_return co_await no(cmd, "[CANNOT] Invalid mailbox name");
      default: co_return co_await no(cmd, "[SERVERBUG] Cannot create mailbox");
    }
  }
  // RFC 8474 §4.1: the new mailbox's MAILBOXID in the tagged OK.
  co_return co_await ok(cmd, fmt::format("[MAILBOXID ({})] CREATE completed", mailbox_objectid(made->id)));
}

asio::awaitable<session::outcome> session::cmd_delete(const command& cmd) {
  const auto* a = std::get_if<proto::mailbox_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "DELETE needs a mailbox name");
  const std::string name = canonical_name(a->mailbox);
  if (name == "INBOX") co_return co_await no(cmd, "[CANNOT] INBOX cannot be deleted");
  if (in_shared_namespace(name)) co_return co_await delete_shared(cmd, name);
  auto del = [&st = store_, id = account_->id, name]() { return st.delete_mailbox(id, name); };
  auto done = co_await blocking(del);
  if (!done) {
    if (done.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[CANNOT] Cannot delete mailbox");
  }
  co_return co_await ok(cmd, "DELETE completed");
}

asio::awaitable<session::outcome> session::cmd_rename(const command& cmd) {
  const auto* a = std::get_if<proto::rename_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "RENAME needs two mailbox names");
  const std::string from = canonical_name(a->from);
  std::string to = canonical_name(a->to);
  while (!to.empty() && to.back() == '/') to.pop_back();
  if (in_shared_namespace(from) || in_shared_namespace(to)) {
    co_return co_await no(cmd, "[CANNOT] Mailboxes in the other users namespace cannot be renamed");
  }
  auto ren = [&st = store_, id = account_->id, from, to]() { return st.rename_mailbox(id, from, to); };
  auto done = co_await blocking(ren);
  if (!done) {
    switch (done.error().code) {
      case core::errc::not_found: co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
      case core::errc::exists: co_return co_await no(cmd, "[ALREADYEXISTS] Target mailbox exists");
      default: co_return co_await no(cmd, "[CANNOT] Cannot rename mailbox");
    }
  }
  co_return co_await ok(cmd, "RENAME completed");
}

asio::awaitable<session::outcome> session::cmd_subscribe(const command& cmd) {
  const auto* a = std::get_if<proto::mailbox_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "SUBSCRIBE needs a mailbox name");
  const bool on = cmd.name == "SUBSCRIBE";
  if (in_shared_namespace(canonical_name(a->mailbox))) {
    // Subscriptions are the owner's: a visible shared mailbox counts as subscribed.
    auto t = co_await resolve_target(a->mailbox);
    if (!t) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await ok(cmd, fmt::format("{} completed", cmd.name));
  }
  auto set = [&st = store_, id = account_->id, name = canonical_name(a->mailbox), on]() {
    return st.set_subscribed(id, name, on);
  };
  auto done = co_await blocking(set);
  if (!done) {
    if (done.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot change subscription");
  }
  co_return co_await ok(cmd, fmt::format("{} completed", cmd.name));
}

asio::awaitable<session::outcome> session::create_shared(const command& cmd, const std::string& name) {
  // RFC 4314 §4: CREATE needs "k" on the parent, which must be a shared mailbox; the
  // new mailbox starts with the parent's ACL, so that whoever may create it keeps
  // access (the owner has all rights anyway).
  const auto slash = name.rfind('/');
  const std::string parent = name.substr(0, slash);
  if (is_shared_node(name) || is_shared_node(parent)) {
    co_return co_await no(cmd, "[NOPERM] Mailboxes cannot be created here");
  }
  auto t = co_await resolve_target(parent);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such parent mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open the parent mailbox");
  }
  if (!t->may('k')) co_return co_await no(cmd, "[NOPERM] You may not create mailboxes here");
  auto create = [&st = store_, owner = t->owner, from = t->box.id,
                 child = t->box.name + name.substr(slash)]() -> core::result<store::mailbox> {
    auto made = st.create_mailbox(owner, child, store::mailbox_role::none);
    if (!made) return made;
    auto acl = st.list_acl(from);
    if (!acl) return std::unexpected(acl.error());
    for (const auto& e : *acl) {
      if (auto r = st.set_acl(made->id, e.grantee, e.rights); !r) return std::unexpected(r.error());
    }
    return made;
  };
  auto made = co_await blocking(create);
  if (!made) {
    switch (made.error().code) {
      case core::errc::exists: co_return co_await no(cmd, "[ALREADYEXISTS] Mailbox exists");
      case core::errc::invalid: co_return co_await no(cmd, "[CANNOT] Invalid mailbox name");
      default: co_return co_await no(cmd, "[SERVERBUG] Cannot create mailbox");
    }
  }
  store_.notifier().notify(t->owner);
  co_return co_await ok(cmd, fmt::format("[MAILBOXID ({})] CREATE completed", mailbox_objectid(made->id)));
}

asio::awaitable<session::outcome> session::delete_shared(const command& cmd, const std::string& name) {
  auto t = co_await resolve_target(name);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
  }
  // RFC 4314 §4: DELETE needs "x".
  if (!t->may('x')) co_return co_await no(cmd, "[NOPERM] You may not delete this mailbox");
  if (t->box.name == "INBOX") co_return co_await no(cmd, "[CANNOT] INBOX cannot be deleted");
  auto del = [&st = store_, owner = t->owner, box = t->box.name]() { return st.delete_mailbox(owner, box); };
  auto done = co_await blocking(del);
  if (!done) co_return co_await no(cmd, "[CANNOT] Cannot delete mailbox");
  store_.notifier().notify(t->owner);
  co_return co_await ok(cmd, "DELETE completed");
}

}  // namespace letterhead::imap::server
