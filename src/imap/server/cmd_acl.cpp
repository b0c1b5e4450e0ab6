// ACL (RFC 4314 §3): SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, and how a
// command's mailbox name finds our own mailbox or one another account shares with us
// in the other users namespace (RFC 2342 §5, access.hpp).
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "imap/proto/response.hpp"
#include "imap/server/access.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

bool same_address(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// RFC 4314 §3.4: rights an identifier may be given, each independently.
constexpr std::string_view listed_rights = "l r s w i p k x t e a";

}  // namespace

asio::awaitable<core::result<session::target>> session::resolve_target(std::string_view client_name) {
  const std::string name = canonical_name(client_name);
  if (in_shared_namespace(name)) {
    auto parts = split_shared_name(name);
    if (!parts) co_return core::fail(core::errc::not_found, "no such mailbox");
    auto find = [&st = store_, me = account_->id, p = *parts]() -> core::result<target> {
      auto shared = st.list_shared_with(me);
      if (!shared) return std::unexpected(shared.error());
      for (auto& s : *shared) {
        if (s.box.name != p.mailbox || !same_address(s.owner, p.owner) || s.rights.empty()) continue;
        target t{std::move(s.box), 0, std::move(s.owner), std::move(s.rights), {}};
        t.owner = t.box.account_id;
        t.name = shared_mailbox_name(t.owner_address, t.box.name);
        return t;
      }
      return core::fail(core::errc::not_found, "no such mailbox");
    };
    co_return co_await blocking(find);
  }
  auto find = [&st = store_, me = account_->id, name]() { return st.find_mailbox(me, name); };
  auto mb = co_await blocking(find);
  if (!mb) co_return std::unexpected(mb.error());
  target t{std::move(*mb), account_->id, {}, std::string(all_rights), {}};
  t.name = t.box.name;
  co_return t;
}

asio::awaitable<void> session::refresh_rights() {
  if (!selected_ || !account_ || selected_->owner == account_->id) co_return;
  auto read = [&st = store_, mb = selected_->mailbox.id, me = account_->id]() -> core::result<std::string> {
    auto acl = st.list_acl(mb);
    if (!acl) return std::unexpected(acl.error());
    for (const auto& e : *acl) {
      if (e.grantee == me) return e.rights;
    }
    return std::string();
  };
  auto rights = co_await blocking(read);
  // A store error is no reason to take rights away: the next command reads again.
  if (rights) selected_->set_rights(*rights);
}

void session::watch_owner(store::id_t owner) {
  if (owner == watched_owner_) return;
  if (owner_subscription_ != 0) store_.notifier().unsubscribe(owner_subscription_);
  owner_subscription_ = 0;
  watched_owner_ = owner;
  if (owner == 0 || owner == account_->id) return;
  // As for our own account (cmd_auth.cpp): the notifier runs on the writer's thread.
  owner_subscription_ = store_.notifier().subscribe(owner, [wake = wake_, exec = executor_] {
    asio::post(exec, [wake] { wake->wake(); });
  });
}

asio::awaitable<session::outcome> session::cmd_acl(const command& cmd) {
  const std::string& n = cmd.name;
  std::string mailbox;
  const proto::setacl_args* acl = std::get_if<proto::setacl_args>(&cmd.args);
  if (acl != nullptr) {
    mailbox = acl->mailbox;
  } else if (const auto* a = std::get_if<proto::mailbox_args>(&cmd.args)) {
    mailbox = a->mailbox;
  } else {
    co_return co_await bad(cmd, n + " needs a mailbox");
  }
  auto t = co_await resolve_target(mailbox);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
  }
  const std::string shown = encode_mailbox(t->name);
  const bool utf8 = utf8_accept_;
  if (n == "MYRIGHTS") {
    // RFC 4314 §3.5: any right at all lets one ask (resolve_target saw one).
    untagged(fmt::format("MYRIGHTS {} {}", shown, proto::astring(t->rights, utf8)));
    co_return co_await ok(cmd, "MYRIGHTS completed");
  }
  // RFC 4314 §3.3, §3.4, §3.1, §3.2: reading or changing the ACL needs "a".
  if (!t->may('a')) co_return co_await no(cmd, "[NOPERM] You may not administer this mailbox's ACL");
  auto owner_address = t->owner_address;
  if (!t->shared()) owner_address = account_->address;
  if (n == "GETACL") {
    auto list = [&st = store_, mb = t->box.id]() { return st.list_acl(mb); };
    auto entries = co_await blocking(list);
    if (!entries) co_return co_await no(cmd, "[SERVERBUG] Cannot read the ACL");
    std::string line = fmt::format("ACL {} {} {}", shown, proto::astring(owner_address, utf8), all_rights);
    for (const auto& e : *entries) {
      line += fmt::format(" {} {}", proto::astring(e.grantee_address, utf8), proto::astring(e.rights, utf8));
    }
    untagged(line);
    co_return co_await ok(cmd, "GETACL completed");
  }
  if (acl == nullptr) co_return co_await bad(cmd, n + " needs a mailbox and an identifier");
  const std::string& who = acl->identifier;
  if (n == "LISTRIGHTS") {
    // RFC 4314 §3.4: the owner's rights are all required; anybody else may get any.
    if (same_address(who, owner_address)) {
      untagged(fmt::format("LISTRIGHTS {} {} {}", shown, proto::astring(who, utf8), all_rights));
    } else {
      untagged(fmt::format("LISTRIGHTS {} {} \"\" {}", shown, proto::astring(who, utf8), listed_rights));
    }
    co_return co_await ok(cmd, "LISTRIGHTS completed");
  }
  // SETACL and DELETEACL.
  if (who == "anyone" || who == "authenticated" || who.starts_with('-') || who.starts_with('$')) {
    co_return co_await no(cmd, "[CANNOT] Only account addresses are supported as identifiers");
  }
  if (same_address(who, owner_address)) co_return co_await no(cmd, "[CANNOT] The owner always has all rights");
  struct change_result {
    store::id_t grantee = 0;
    std::string rights;
  };
  const std::string mod = n == "SETACL" ? acl->rights : std::string();
  const bool deleting = n == "DELETEACL";
  auto change = [&st = store_, mb = t->box.id, who, mod, deleting]() -> core::result<change_result> {
    auto grantee = st.find_account(who);
    if (!grantee) return std::unexpected(grantee.error());
    std::string current;
    auto entries = st.list_acl(mb);
    if (!entries) return std::unexpected(entries.error());
    for (const auto& e : *entries) {
      if (e.grantee == grantee->id) current = e.rights;
    }
    std::string rights;
    if (!deleting) {
      auto applied = apply_rights(current, mod);
      if (!applied) return std::unexpected(applied.error());
      rights = std::move(*applied);
    }
    if (auto r = st.set_acl(mb, grantee->id, rights); !r) return std::unexpected(r.error());
    return change_result{grantee->id, std::move(rights)};
  };
  auto done = co_await blocking(change);
  if (!done) {
    switch (done.error().code) {
      case core::errc::not_found: co_return co_await no(cmd, "[NONEXISTENT] No such account");
      case core::errc::invalid: co_return co_await no(cmd, "[CANNOT] " + done.error().message);
      default: co_return co_await no(cmd, "[SERVERBUG] Cannot change the ACL");
    }
  }
  log_.info("{} on {} for {}: \"{}\"", n, t->box.id, who, done->rights);
  // Sessions of the grantee with the mailbox selected re-read rights at their next
  // command; an IDLE one hears about it now.
  store_.notifier().notify(done->grantee);
  store_.notifier().notify(t->owner);
  co_return co_await ok(cmd, fmt::format("{} completed", n));
}

}  // namespace letterhead::imap::server
