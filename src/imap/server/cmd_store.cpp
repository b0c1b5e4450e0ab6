// STORE (RFC 9051 §6.4.6, UNCHANGEDSINCE RFC 7162 §3.1.3), COPY (§6.4.7, UIDPLUS
// COPYUID RFC 4315) and MOVE (RFC 6851).
#include <fmt/format.h>

#include "imap/proto/sequence_set.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_store(const command& cmd) {
  const auto* a = std::get_if<proto::store_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "STORE needs a set, an operation and flags");
  if (selected_->read_only) co_return co_await no(cmd, "[READ-ONLY] Mailbox is read-only");
  auto parsed = parse_flags(a->flags);
  if (!parsed) co_return co_await bad(cmd, parsed.error().message);
  if (a->unchangedsince) condstore_ = true;
  co_await sync_selected(cmd.uid);
  const auto chosen = resolve_set(a->set, cmd.uid);
  std::vector<std::uint32_t> modified;  // RFC 7162 §3.1.3: failed UNCHANGEDSINCE
  for (const auto idx : chosen) {
    auto& msg = selected_->messages[idx];
    if (a->unchangedsince && msg.modseq > *a->unchangedsince) {
      modified.push_back(cmd.uid ? msg.uid : static_cast<std::uint32_t>(idx + 1));
      continue;
    }
    std::uint32_t flags = msg.flags;
    std::vector<std::string> keywords = msg.keywords;
    switch (a->how) {
      case proto::store_args::mode::replace:
        flags = parsed->bits;
        keywords = parsed->keywords;
        break;
      case proto::store_args::mode::add:
        flags |= parsed->bits;
        for (const auto& k : parsed->keywords) {
          if (std::find(keywords.begin(), keywords.end(), k) == keywords.end()) keywords.push_back(k);
        }
        break;
      case proto::store_args::mode::remove:
        flags &= ~parsed->bits;
        std::erase_if(keywords, [&](const std::string& k) {
          return std::find(parsed->keywords.begin(), parsed->keywords.end(), k) != parsed->keywords.end();
        });
        break;
    }
    if (flags != msg.flags || keywords != msg.keywords) {
      auto set = [&st = store_, mb = selected_->mailbox.id, uid = msg.uid, flags, keywords]() {
        return st.set_flags(mb, uid, flags, keywords);
      };
      auto modseq = co_await blocking(set);
      if (!modseq) {
        if (modseq.error().code == core::errc::not_found) continue;  // expunged meanwhile
        co_return co_await no(cmd, "[SERVERBUG] Cannot store flags");
      }
      msg.flags = flags;
      msg.keywords = std::move(keywords);
      msg.modseq = *modseq;
    }
    if (!a->silent) {
      std::string line = fmt::format("* {} FETCH (", idx + 1);
      // With QRESYNC a client keys its cache by UID: give it always.
      if (cmd.uid || qresync_) line += fmt::format("UID {} ", msg.uid);
      line += "FLAGS " + flag_list(msg);
      if (condstore_) line += fmt::format(" MODSEQ ({})", msg.modseq);
      out_ += line + ")\r\n";
    }
    if (!co_await maybe_flush()) co_return outcome::close;
  }
  if (!chosen.empty()) store_.notifier().notify(account_->id);
  if (!modified.empty()) {
    std::sort(modified.begin(), modified.end());
    co_return co_await ok(cmd, fmt::format("[MODIFIED {}] Conditional STORE failed for some",
                                           proto::format_sequence_set(modified)));
  }
  co_return co_await ok(cmd, fmt::format("{}STORE completed", cmd.uid ? "UID " : ""));
}

asio::awaitable<session::outcome> session::cmd_copy(const command& cmd) {
  const auto* a = std::get_if<proto::copy_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "COPY needs a set and a mailbox");
  const bool move = cmd.name == "MOVE";
  if (move && selected_->read_only) co_return co_await no(cmd, "[READ-ONLY] Mailbox is read-only");
  co_await sync_selected(cmd.uid);
  const auto chosen = resolve_set(a->set, cmd.uid);
  const std::string target = canonical_name(a->mailbox);
  auto find = [&st = store_, id = account_->id, target]() { return st.find_mailbox(id, target); };
  auto to = co_await blocking(find);
  if (!to) {
    if (to.error().code == core::errc::not_found) co_return co_await no(cmd, "[TRYCREATE] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open target mailbox");
  }
  if (chosen.empty()) co_return co_await ok(cmd, fmt::format("{} completed", cmd.name));
  std::vector<std::uint32_t> uids;
  for (const auto idx : chosen) uids.push_back(selected_->messages[idx].uid);
  auto copy = [&st = store_, from = selected_->mailbox.id, uids, to_id = to->id]() {
    return st.copy_messages(from, uids, to_id);
  };
  auto new_uids = co_await blocking(copy);
  if (!new_uids) {
    if (new_uids.error().code == core::errc::limit) co_return co_await no(cmd, "[OVERQUOTA] Quota exceeded");
    co_return co_await no(cmd, "[SERVERBUG] Cannot copy");
  }
  const std::string copyuid = fmt::format("COPYUID {} {} {}", to->uidvalidity, proto::format_sequence_set(uids),
                                          proto::format_sequence_set(*new_uids));
  if (move) {
    // RFC 6851 §3.3: COPYUID goes in an untagged OK before the expunges.
    auto del = [&st = store_, from = selected_->mailbox.id, uids]() { return st.expunge(from, uids); };
    auto done = co_await blocking(del);
    if (!done) co_return co_await no(cmd, "[SERVERBUG] Copied but cannot remove the originals");
    untagged(fmt::format("OK [{}] Moved", copyuid));
    store_.notifier().notify(account_->id);
    co_await sync_selected(true);
    co_return co_await ok(cmd, fmt::format("{}MOVE completed", cmd.uid ? "UID " : ""));
  }
  store_.notifier().notify(account_->id);
  co_return co_await ok(cmd, fmt::format("[{}] {}COPY completed", copyuid, cmd.uid ? "UID " : ""));
}

}  // namespace letterhead::imap::server
