// RETR (RFC 1939 §5) and TOP (RFC 1939 §7).
#include <algorithm>

#include <fmt/format.h>

#include "core/runtime.hpp"
#include "pop3/server/session.hpp"

namespace letterhead::pop3::server {

namespace asio = boost::asio;
using proto::resp_code;

asio::awaitable<session::outcome> session::cmd_retr(const proto::command& cmd) {
  std::string why;
  const auto* m = find(*cmd.message, why);
  if (!m) co_return co_await error(why);
  co_return co_await send_message(*m, std::nullopt);
}

asio::awaitable<session::outcome> session::cmd_top(const proto::command& cmd) {
  std::string why;
  const auto* m = find(*cmd.message, why);
  if (!m) co_return co_await error(why);
  co_return co_await send_message(*m, cmd.lines);
}

asio::awaitable<session::outcome> session::send_message(const maildrop_message& m,
                                                        std::optional<std::uint64_t> lines) {
  auto fetch = [&b = backend_, drop = &drop_, m]() { return b.fetch(*drop, m); };
  auto bytes = co_await core::run_blocking(blocking_, std::move(fetch));
  if (!bytes) {
    if (bytes.error().code == core::errc::not_found) {
      co_return co_await error("Message was removed by another session");
    }
    log_.error("cannot read message uid {}: {}", m.uid, bytes.error().message);
    co_return co_await error("Unable to read the message", resp_code::sys_temp);
  }
  std::string_view body = *bytes;
  if (lines) body = body.substr(0, proto::top_length(body, *lines));

  // The first piece carries the status line; the message goes out in bounded pieces,
  // dot-stuffed (RFC 1939 §3).
  std::string out = lines ? std::string("+OK Top of message follows\r\n")
                          : fmt::format("+OK {} octets\r\n", m.size);
  proto::multiline_writer writer;
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min(settings_.write_chunk, body.size() - pos);
    writer.append(body.substr(pos, n), out);
    pos += n;
    if (pos == body.size()) writer.finish(out);
    if (!co_await send(out)) co_return outcome::close;
    out.clear();
  } while (pos < body.size());
  co_return outcome::next;
}

}  // namespace letterhead::pop3::server
