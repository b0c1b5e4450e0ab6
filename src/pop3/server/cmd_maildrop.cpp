// STAT, LIST, UIDL, DELE, RSET (RFC 1939 §5, §7).
#include <fmt/format.h>

#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_stat(const proto::command&) {
  // RFC 1939 §5: "+OK nn mm", messages marked as deleted not counted.
  co_return co_await ok(drop_summary());
}

asio::awaitable<session::outcome> session::cmd_list(const proto::command& cmd) {
  if (cmd.message) {
    std::string why;
    const auto* m = find(*cmd.message, why);
    if (!m) co_return co_await error(why);
    co_return co_await ok(fmt::format("{} {}", *cmd.message, m->size));
  }
  // RFC 1939 §5: a multi-line scan listing, deleted messages left out.
  std::string out = fmt::format("+OK {} messages ({} octets)\r\n", drop_.messages.size() - deleted_count_,
                                drop_size() - deleted_size_);
  for (std::size_t i = 0; i < drop_.messages.size(); ++i) {
    if (!deleted_[i]) out += fmt::format("{} {}\r\n", i + 1, drop_.messages[i].size);
  }
  out += ".\r\n";
  if (!co_await send(out)) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::cmd_uidl(const proto::command& cmd) {
  if (cmd.message) {
    std::string why;
    const auto* m = find(*cmd.message, why);
    if (!m) co_return co_await error(why);
    co_return co_await ok(fmt::format("{} {}", *cmd.message, uid_of(*m)));
  }
  std::string out = "+OK Unique-ID listing follows\r\n";
  for (std::size_t i = 0; i < drop_.messages.size(); ++i) {
    if (!deleted_[i]) out += fmt::format("{} {}\r\n", i + 1, uid_of(drop_.messages[i]));
  }
  out += ".\r\n";
  if (!co_await send(out)) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::cmd_dele(const proto::command& cmd) {
  std::string why;
  const auto* m = find(*cmd.message, why);
  if (!m) co_return co_await error(why);
  // RFC 1939 §5: only marked; removed in the UPDATE state.
  deleted_[*cmd.message - 1] = true;
  ++deleted_count_;
  deleted_size_ += m->size;
  co_return co_await ok(fmt::format("Message {} deleted", *cmd.message));
}

asio::awaitable<session::outcome> session::cmd_rset(const proto::command&) {
  // RFC 1939 §5: unmark every message marked as deleted.
  deleted_.assign(drop_.messages.size(), false);
  deleted_count_ = 0;
  deleted_size_ = 0;
  co_return co_await ok(fmt::format("Maildrop has {} messages ({} octets)", drop_.messages.size(), drop_size()));
}

}  // namespace letterhead::pop3::server
