// QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA, SETQUOTA. Each account is one quota
// root with one resource, STORAGE (§5.1, in units of 1024 octets), limited by the
// account's quota_bytes (`letterhead user quota`). Our own root is ""; the root of a
// shared mailbox is "Other Users/<owner>". An account without a limit has no quota
// root. Limits are an administrator's to set, so SETQUOTA is refused (§4.3.3 lets a
// server refuse it); delivery, APPEND, COPY and MOVE enforce them ([OVERQUOTA]).
#include <fmt/format.h>

#include "imap/proto/response.hpp"
#include "imap/server/access.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

struct root_state {
  std::uint64_t limit = 0;  // bytes, 0 = none
  std::uint64_t used = 0;   // bytes
};

core::result<root_state> read_root(store::store& st, store::id_t owner) {
  auto acc = st.get_account(owner);
  if (!acc) return std::unexpected(acc.error());
  auto use = st.account_usage(owner);
  if (!use) return std::unexpected(use.error());
  return root_state{acc->quota_bytes, use->bytes};
}

// RFC 9208 §5.1: STORAGE counts 1024-octet units; usage rounds up, the limit down.
std::string quota_response(std::string_view root, const root_state& r, bool utf8) {
  return fmt::format("QUOTA {} (STORAGE {} {})", proto::astring(root, utf8), (r.used + 1023) / 1024,
                     r.limit / 1024);
}

}  // namespace

asio::awaitable<core::result<void>> session::check_quota(store::id_t owner, std::uint64_t bytes) {
  auto read = [&st = store_, owner]() { return read_root(st, owner); };
  auto r = co_await blocking(read);
  if (!r) co_return std::unexpected(r.error());
  if (r->limit != 0 && r->used + bytes > r->limit) co_return core::fail(core::errc::limit, "quota exceeded");
  co_return core::result<void>{};
}

asio::awaitable<session::outcome> session::cmd_quota(const command& cmd) {
  const bool utf8 = utf8_accept_;
  if (cmd.name == "SETQUOTA") {
    co_return co_await no(cmd, "[NOPERM] Quotas are set by an administrator");
  }
  const auto* a = std::get_if<proto::mailbox_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, cmd.name + " needs an argument");
  if (cmd.name == "GETQUOTAROOT") {
    auto t = co_await resolve_target(a->mailbox);
    if (!t) {
      if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such mailbox");
      co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
    }
    auto read = [&st = store_, owner = t->owner]() { return read_root(st, owner); };
    auto r = co_await blocking(read);
    if (!r) co_return co_await no(cmd, "[SERVERBUG] Cannot read the quota");
    const std::string root = t->shared() ? std::string(other_users_prefix) + t->owner_address : std::string();
    if (r->limit == 0) {
      untagged(fmt::format("QUOTAROOT {}", encode_mailbox(t->name)));
    } else {
      untagged(fmt::format("QUOTAROOT {} {}", encode_mailbox(t->name), proto::astring(root, utf8)));
      untagged(quota_response(root, *r, utf8));
    }
    co_return co_await ok(cmd, "GETQUOTAROOT completed");
  }
  // GETQUOTA: our root, or the root of an account that shares a mailbox with us.
  const std::string& root = a->mailbox;
  store::id_t owner = 0;
  if (root.empty()) {
    owner = account_->id;
  } else if (root.starts_with(other_users_prefix)) {
    auto find = [&st = store_, me = account_->id,
                 who = root.substr(other_users_prefix.size())]() -> core::result<store::id_t> {
      auto shared = st.list_shared_with(me);
      if (!shared) return std::unexpected(shared.error());
      for (const auto& s : *shared) {
        if (s.owner == who && !s.rights.empty()) return s.box.account_id;
      }
      return core::fail(core::errc::not_found, "no such quota root");
    };
    auto found = co_await blocking(find);
    if (!found) {
      if (found.error().code == core::errc::not_found) co_return co_await no(cmd, "[NONEXISTENT] No such quota root");
      co_return co_await no(cmd, "[SERVERBUG] Cannot read the quota");
    }
    owner = *found;
  } else {
    co_return co_await no(cmd, "[NONEXISTENT] No such quota root");
  }
  auto read = [&st = store_, owner]() { return read_root(st, owner); };
  auto r = co_await blocking(read);
  if (!r) co_return co_await no(cmd, "[SERVERBUG] Cannot read the quota");
  if (r->limit == 0) co_return co_await no(cmd, "[NONEXISTENT] No quota limit on this root");
  untagged(quota_response(root, *r, utf8));
  co_return co_await ok(cmd, "GETQUOTA completed");
}

}  // namespace letterhead::imap::server
