// DATA (RFC 5321 §4.1.1.4) and BDAT (RFC 3030), and the hand-over of the message.
#include <fmt/format.h>

#include "core/runtime.hpp"
#include "smtp/proto/data_reader.hpp"
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

namespace {

// Counts Received: fields in the header block (RFC 5321 §6.3 loop detection).
std::size_t count_received(std::string_view message) {
  std::size_t count = 0;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto eol = message.find('\n', pos);
    if (eol == std::string_view::npos) eol = message.size();
    const auto line = message.substr(pos, eol - pos);
    if (line.empty() || line == "\r") break;  // end of the header block
    if (line.size() >= 9 && (line[0] == 'R' || line[0] == 'r')) {
      std::string name(line.substr(0, 9));
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "received:") ++count;
    }
    pos = eol + 1;
  }
  return count;
}

}  // namespace

asio::awaitable<session::outcome> session::cmd_data(const proto::command& cmd) {
  if (state_ == state::mail) co_return co_await error_reply(554, "5.5.1", "No valid recipients");
  if (state_ != state::rcpt) co_return co_await error_reply(503, "5.5.1", "Need RCPT before DATA");
  if (!cmd.argument.empty()) co_return co_await error_reply(501, "5.5.4", "DATA takes no parameters");
  // RFC 3030 §3: BINARYMIME content can only be sent with BDAT.
  if (envelope_.body == "BINARYMIME") {
    co_return co_await error_reply(503, "5.5.1", "BINARYMIME requires BDAT");
  }
  if (!chunks_.empty()) co_return co_await error_reply(503, "5.5.1", "DATA after BDAT");
  if (!co_await reply(354, "", "End data with <CR><LF>.<CR><LF>")) co_return outcome::close;

  proto::data_reader reader(settings_.limits.message_size);
  std::string pending = lines_.take_buffered();
  for (;;) {
    std::size_t consumed = 0;
    const auto status = reader.feed(pending, consumed);
    if (status == proto::data_status::done) {
      // What follows the end marker is the next (pipelined) command.
      lines_.feed(std::string_view(pending).substr(consumed));
      break;
    }
    pending.clear();
    auto n = co_await transport_->read_some(pending, 64 * 1024, settings_.limits.data_timeout);
    if (!n || *n == 0) {
      // RFC 5321 §4.1.1.4: a connection lost mid-DATA means no message.
      log_.info("connection lost during DATA");
      co_return outcome::close;
    }
  }
  if (reader.too_large()) {
    log_.info("message over size limit refused");
    reset_transaction();
    co_return co_await error_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  }
  co_return co_await finish_message(reader.take_message(), reader.bare_line_ending());
}

asio::awaitable<session::outcome> session::cmd_bdat(const proto::command& cmd) {
  // The chunk's bytes follow the command whatever we answer (RFC 3030 §2): read
  // them first so that the session stays in step.
  const std::uint64_t size = cmd.chunk_size;
  const std::uint64_t room = settings_.limits.message_size >= chunks_.size()
                                 ? settings_.limits.message_size - chunks_.size()
                                 : 0;
  const bool keep = (state_ == state::rcpt) && !bdat_failed_ && size <= room;
  std::string buffered = lines_.take_buffered();
  std::uint64_t remaining = size;
  auto take = [&](std::string_view bytes) {
    const auto n = std::min<std::uint64_t>(remaining, bytes.size());
    if (keep) chunks_.append(bytes.substr(0, n));
    remaining -= n;
    return n;
  };
  const auto used = take(buffered);
  lines_.feed(std::string_view(buffered).substr(used));
  std::string in;
  while (remaining > 0) {
    in.clear();
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, 64 * 1024));
    auto n = co_await transport_->read_some(in, want, settings_.limits.data_timeout);
    if (!n || *n == 0) {
      log_.info("connection lost during BDAT");
      co_return outcome::close;
    }
    (void)take(in);
  }

  if (state_ == state::mail) co_return co_await error_reply(554, "5.5.1", "No valid recipients");
  if (state_ != state::rcpt) co_return co_await error_reply(503, "5.5.1", "Need RCPT before BDAT");
  if (bdat_failed_) {
    if (cmd.last_chunk) reset_transaction();
    co_return co_await error_reply(554, "5.5.0", "Transaction failed earlier, send RSET");
  }
  if (!keep) {
    bdat_failed_ = true;
    chunks_.clear();
    if (cmd.last_chunk) reset_transaction();
    co_return co_await error_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
  }
  if (!cmd.last_chunk) {
    if (!co_await reply(250, "2.0.0", fmt::format("{} octets received", size))) co_return outcome::close;
    co_return outcome::next;
  }
  // BDAT carries the message as is: no dot-stuffing and no end marker, so a bare
  // LF cannot end anything and is left alone.
  co_return co_await finish_message(std::exchange(chunks_, {}), false);
}

asio::awaitable<session::outcome> session::finish_message(std::string message, bool bare_line_ending) {
  if (bare_line_ending) {
    // RFC 5321 §2.3.8: lines end in CRLF. A bare CR or LF is how SMTP smuggling hides a
    // second message; we refuse the whole message instead of guessing.
    log_.warn("message with bare CR or LF refused");
    reset_transaction();
    co_return co_await error_reply(550, "5.6.0",
                                   "Message contains bare CR or LF; lines must end with CRLF");
  }
  if (count_received(message) >= settings_.max_received_headers) {
    log_.warn("mail loop suspected: too many Received headers");
    reset_transaction();
    co_return co_await error_reply(554, "5.4.6", "Too many hops, mail loop suspected");
  }
  {
    auto size_check = [&b = backend_, env = envelope_, size = message.size()]() { return b.check_size(env, size); };
    auto refused = co_await core::run_blocking(blocking_, std::move(size_check));
    if (!refused) {
      log_.error("size check failed: {}", refused.error().message);
      reset_transaction();
      co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
    }
    if (*refused) {
      const auto no = **refused;
      reset_transaction();
      co_return co_await error_reply(no.code, no.enhanced, no.text);
    }
  }
  {
    auto judge = [&b = backend_, env = envelope_, &message]() { return b.inspect(env, message); };
    auto verdict = co_await core::run_blocking(blocking_, std::move(judge));
    if (!verdict) {
      log_.error("inspection failed: {}", verdict.error().message);
      reset_transaction();
      co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
    }
    if (verdict->refuse) {
      const auto no = *verdict->refuse;
      log_.info("message from <{}> refused: {} {} {}", envelope_.mail_from, no.code, no.enhanced, no.text);
      reset_transaction();
      co_return co_await error_reply(no.code, no.enhanced, no.text);
    }
    envelope_.junk = verdict->junk;
  }
  const std::string from = envelope_.mail_from;
  const std::size_t count = envelope_.recipients.size();
  std::string full = received_header();
  full += message;
  auto accept = [&b = backend_, env = envelope_, msg = std::move(full)]() { return b.accept(env, msg); };
  auto accepted = co_await core::run_blocking(blocking_, std::move(accept));
  reset_transaction();
  if (!accepted) {
    const auto& e = accepted.error();
    if (e.code == core::errc::limit) {
      co_return co_await error_reply(552, "5.2.2", e.message);
    }
    if (e.code == core::errc::denied || e.code == core::errc::invalid) {
      co_return co_await error_reply(554, "5.7.1", e.message);
    }
    log_.error("could not store message: {}", e.message);
    co_return co_await error_reply(451, "4.3.0", "Temporary failure storing the message, try again later");
  }
  log_.info("accepted {} from <{}> for {} recipient(s)", accepted->queue_id, from, count);
  if (!co_await reply(250, "2.0.0", fmt::format("Ok: queued as {}", accepted->queue_id))) {
    co_return outcome::close;
  }
  co_return outcome::next;
}

}  // namespace letterhead::smtp::server
