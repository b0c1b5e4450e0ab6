// RSET, NOOP, QUIT, HELP, VRFY and EXPN (RFC 5321 §4.1.1.5-§4.1.1.10).
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_misc(const proto::command& cmd) {
  using proto::verb;
  switch (cmd.v) {
    case verb::rset:
      reset_transaction();
      if (!co_await reply(250, "2.0.0", "Ok")) co_return outcome::close;
      co_return outcome::next;
    case verb::noop:
      if (!co_await reply(250, "2.0.0", "Ok")) co_return outcome::close;
      co_return outcome::next;
    case verb::quit:
      (void)co_await reply(221, "2.0.0", "Bye");
      co_return outcome::close;
    case verb::help:
      if (!co_await reply(214, "2.0.0",
                          "Letterhead mail server. Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP "
                          "QUIT HELP VRFY STARTTLS AUTH")) {
        co_return outcome::close;
      }
      co_return outcome::next;
    case verb::vrfy:
      // RFC 5321 §3.5.3: 252 answers without confirming whether the user exists, so
      // VRFY cannot be used to harvest addresses.
      if (!co_await reply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery")) {
        co_return outcome::close;
      }
      co_return outcome::next;
    case verb::expn:
      // RFC 5321 §3.5.2: list expansion is not disclosed.
      co_return co_await error_reply(502, "5.5.1", "EXPN not available");
    default:
      co_return co_await error_reply(500, "5.5.1", "Command unrecognized");
  }
}

}  // namespace letterhead::smtp::server
