// One mail transaction of the SMTP client: MAIL, RCPT (pipelined, RFC 2920), and the
// message by DATA (RFC 5321 §4.1.1.4) or BDAT (RFC 3030).
#include <fmt/format.h>

#include "smtp/client/client.hpp"
#include "smtp/client/requirements.hpp"
#include "smtp/proto/data_writer.hpp"
#include "smtp/proto/xtext.hpp"

namespace letterhead::smtp::client {

namespace asio = boost::asio;

namespace {

// Bytes per write of the DATA body: each write has the data-block deadline.
constexpr std::size_t data_block_size = 64 * 1024;

status lost(std::string_view stage, const core::error& e) {
  return status{outcome::temporary, 0, "4.4.2", fmt::format("{}: {}", stage, e.message)};
}

std::string mail_command(const envelope& env, const message_needs& needs, const proto::extensions& ext,
                         bool esmtp, bool tls, std::size_t size) {
  std::string out = fmt::format("MAIL FROM:<{}>", env.mail_from);
  if (esmtp) {
    if (ext.size) out += fmt::format(" SIZE={}", size);  // RFC 1870 §6
    if (needs.binary) {
      out += " BODY=BINARYMIME";  // RFC 3030 §3
    } else if (needs.eight_bit) {
      out += " BODY=8BITMIME";  // RFC 6152 §2
    }
    if (needs.smtputf8) out += " SMTPUTF8";  // RFC 6531 §3.4
    if (send_requiretls(env, ext, esmtp, tls)) out += " REQUIRETLS";  // RFC 8689 §4.2.1 step 6
    if (ext.dsn) {
      // RFC 3461 §4.3, §4.4: passed on as the sender asked.
      if (env.dsn_ret == "FULL" || env.dsn_ret == "HDRS") out += " RET=" + env.dsn_ret;
      if (!env.dsn_envid.empty()) out += " ENVID=" + proto::xtext_encode(env.dsn_envid);
    }
  }
  out += "\r\n";
  return out;
}

std::string rcpt_command(const recipient& r, const proto::extensions& ext, bool esmtp) {
  std::string out = fmt::format("RCPT TO:<{}>", r.address);
  if (esmtp && ext.dsn) {
    // RFC 3461 §4.1, §4.2.
    if (!r.notify.empty()) out += " NOTIFY=" + r.notify;
    const auto semi = r.orcpt.find(';');
    if (semi != std::string::npos && semi > 0) {
      out += " ORCPT=" + r.orcpt.substr(0, semi) + ";" + proto::xtext_encode(r.orcpt.substr(semi + 1));
    }
  }
  out += "\r\n";
  return out;
}

}  // namespace

asio::awaitable<transaction_result> session::send(const envelope& env, std::string_view message) {
  transaction_result out;
  const std::size_t n = env.recipients.size();
  out.recipients.assign(n, status{outcome::temporary, 0, "4.4.2", "connection no longer usable"});
  if (broken_ || n == 0) co_return out;

  const auto needs = analyse(env, message);
  auto refused = check_peer(needs, ext_, esmtp_, message.size());
  // RFC 8689 §4.2.1 (a bounce, with the null sender, is exempt: §5).
  if (!refused && env.requiretls && !env.mail_from.empty()) {
    refused = check_requiretls(ext_, esmtp_, verified_tls(), peer_);
  }
  if (refused) {
    log_.info("not sending to {}: {}", peer_, refused->describe());
    out.recipients.assign(n, *refused);
    out.reusable = true;
    co_return out;
  }
  ++transactions_;

  const std::string mail = mail_command(env, needs, ext_, esmtp_, tls(), message.size());
  std::vector<bool> accepted(n, false);
  std::size_t accepted_count = 0;
  if (esmtp_ && ext_.pipelining) {
    // RFC 2920 §3.1: MAIL and every RCPT in one write; replies come in order.
    std::string batch = mail;
    for (const auto& r : env.recipients) batch += rcpt_command(r, ext_, esmtp_);
    if (auto w = co_await write(batch, opts_.timeouts.mail); !w) {
      out.recipients.assign(n, lost("MAIL", w.error()));
      co_return out;
    }
    auto mr = co_await read_reply(opts_.timeouts.mail);
    if (!mr) {
      out.recipients.assign(n, lost("MAIL", mr.error()));
      co_return out;
    }
    const bool mail_ok = mr->code / 100 == 2;
    for (std::size_t i = 0; i < n; ++i) {
      auto rr = co_await read_reply(opts_.timeouts.rcpt);
      if (!rr) {
        out.recipients.assign(n, lost("RCPT", rr.error()));
        co_return out;
      }
      // After a refused MAIL the RCPT replies (503) say nothing about the recipients.
      out.recipients[i] = from_reply(mail_ok ? *rr : *mr);
    }
  } else {
    auto mr = co_await command(mail, opts_.timeouts.mail);
    if (!mr) {
      out.recipients.assign(n, lost("MAIL", mr.error()));
      co_return out;
    }
    if (mr->code / 100 != 2) {
      out.recipients.assign(n, from_reply(*mr));
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        auto rr = co_await command(rcpt_command(env.recipients[i], ext_, esmtp_), opts_.timeouts.rcpt);
        if (!rr) {
          out.recipients.assign(n, lost("RCPT", rr.error()));
          co_return out;
        }
        out.recipients[i] = from_reply(*rr);
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    accepted[i] = out.recipients[i].result == outcome::delivered;
    if (accepted[i]) ++accepted_count;
  }

  if (accepted_count > 0) {
    core::result<proto::reply> final_reply = core::fail(core::errc::internal, "not sent");
    // No co_await inside ?: (TOOLCHAIN.md).
    if (esmtp_ && ext_.chunking) {
      final_reply = co_await send_bdat(message);
    } else {
      final_reply = co_await send_data(message);
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!accepted[i]) continue;
      out.recipients[i] = final_reply ? from_reply(*final_reply) : lost("DATA", final_reply.error());
    }
    if (final_reply && final_reply->code / 100 == 2) {
      log_.info("{} accepted the message for {} recipient(s): {}", peer_, accepted_count,
                from_reply(*final_reply).describe());
      out.reusable = !broken_;
      co_return out;
    }
  }
  // Nothing accepted, or the message refused: clear the transaction for the next one.
  out.reusable = co_await reset();
  co_return out;
}

asio::awaitable<core::result<proto::reply>> session::send_data(std::string_view message) {
  auto r = co_await command("DATA\r\n", opts_.timeouts.data_init);
  if (!r || r->code != 354) co_return r;
  const std::string body = proto::dot_stuff(message);
  for (std::size_t pos = 0; pos < body.size(); pos += data_block_size) {
    const auto block = std::string_view(body).substr(pos, data_block_size);
    if (auto w = co_await write(block, opts_.timeouts.data_block); !w) co_return std::unexpected(w.error());
  }
  co_return co_await read_reply(opts_.timeouts.data_end);
}

asio::awaitable<core::result<proto::reply>> session::send_bdat(std::string_view message) {
  // RFC 3030 §2: "BDAT size [LAST]" then exactly size octets, no dot-stuffing. An
  // empty message is one empty LAST chunk.
  const std::size_t chunk = std::max<std::size_t>(opts_.chunk_size, 1);
  std::size_t pos = 0;
  for (;;) {
    const auto piece = message.substr(pos, chunk);
    pos += piece.size();
    const bool last = pos >= message.size();
    const auto header = fmt::format("BDAT {}{}\r\n", piece.size(), last ? " LAST" : "");
    if (auto w = co_await write(header, opts_.timeouts.data_block); !w) co_return std::unexpected(w.error());
    if (auto w = co_await write(piece, opts_.timeouts.data_block); !w) co_return std::unexpected(w.error());
    auto r = co_await read_reply(last ? opts_.timeouts.data_end : opts_.timeouts.data_block);
    if (!r || last || r->code != 250) co_return r;
  }
}

}  // namespace letterhead::smtp::client
