#pragma once
// One SMTP server session (RFC 5321), MX or submission: the command loop, the
// state of the transaction, and the relay policy. One coroutine per connection
// owns this object; commands live in cmd_*.cpp, one file per command family.
//
// SECURITY
// - Never an open relay: without authentication, RCPT is accepted only for our own
//   domains, and only for addresses that exist (550 5.1.1 otherwise).
// - AUTH only over TLS (RFC 4954 §4; RFC 8314), unless the test setting
//   allow_plaintext_auth_on_loopback is on and the peer is on loopback.
// - STARTTLS throws away any plaintext pipelined after it (CVE-2011-0411) and
//   forgets everything learned before it (RFC 3207 §4.2).
// - DATA ends only at CRLF.CRLF; a message with a bare CR or LF is refused whole
//   (SMTP smuggling, 2023).
// - Every read has a deadline, every input a limit; too many errors end the session.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/rate_counter.hpp"
#include "core/tcp_server.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/line_reader.hpp"
#include "smtp/server/backend.hpp"
#include "core/transport.hpp"

namespace letterhead::smtp::server {

struct session_settings {
  std::string hostname;
  listener_kind kind = listener_kind::mx;
  bool implicit_tls = false;     // port 465: TLS before the greeting
  bool tls_available = true;     // STARTTLS offered
  bool allow_plaintext_auth_on_loopback = false;
  std::size_t max_received_headers = 50;
  core::limits limits;
  // New connections per client IP in the last minute ([limits]
  // smtp_connections_per_minute_per_ip); null = no limit.
  std::shared_ptr<core::rate_counter> connection_rate;
};

class session final : public core::connection_session {
 public:
  session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
          backend& backend, boost::asio::thread_pool& blocking, std::uint64_t id);

  // Runs the session to its end; never throws.
  boost::asio::awaitable<void> run() override;

  // Asks the session to finish: an idle session says 421 and closes at once, one in
  // the middle of a transaction finishes it first.
  void request_shutdown() override;

 private:
  enum class state { greeted, hello, mail, rcpt };
  enum class outcome { next, close };

  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<std::optional<std::string>> read_line();
  boost::asio::awaitable<bool> reply(std::string text);
  boost::asio::awaitable<bool> reply(int code, std::string_view enhanced, std::string_view text);
  boost::asio::awaitable<outcome> error_reply(int code, std::string_view enhanced,
                                              std::string_view text);
  boost::asio::awaitable<outcome> dispatch(const proto::command& cmd);

  // cmd_hello.cpp
  boost::asio::awaitable<outcome> cmd_helo(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_ehlo(const proto::command& cmd);
  // cmd_starttls.cpp
  boost::asio::awaitable<outcome> cmd_starttls(const proto::command& cmd);
  // cmd_auth.cpp
  boost::asio::awaitable<outcome> cmd_auth(const proto::command& cmd);
  boost::asio::awaitable<outcome> auth_failed(std::string_view mechanism, std::string_view username,
                                              const core::error& e, std::chrono::milliseconds delay);
  // cmd_mail.cpp
  boost::asio::awaitable<outcome> cmd_mail(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_rcpt(const proto::command& cmd);
  // cmd_data.cpp
  boost::asio::awaitable<outcome> cmd_data(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_bdat(const proto::command& cmd);
  boost::asio::awaitable<outcome> finish_message(std::string message, bool bare_line_ending);
  // cmd_misc.cpp
  boost::asio::awaitable<outcome> cmd_misc(const proto::command& cmd);

  void reset_transaction();
  [[nodiscard]] bool auth_allowed() const;
  [[nodiscard]] std::string received_header() const;

  std::shared_ptr<core::transport> transport_;
  std::shared_ptr<const session_settings> settings_holder_;
  const session_settings& settings_;
  backend& backend_;
  boost::asio::thread_pool& blocking_;
  core::conn_log log_;

  std::string in_;  // bytes read but not yet consumed
  proto::line_reader lines_;
  state state_ = state::greeted;
  bool esmtp_ = false;
  std::string helo_;
  std::optional<identity> identity_;
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  bool shutdown_ = false;
  bool closing_ = false;

  // The current transaction (RFC 5321 §3.3).
  envelope envelope_;
  std::uint64_t declared_size_ = 0;
  // BDAT (RFC 3030): chunks gathered so far, and whether one was refused.
  std::string chunks_;
  bool chunk_too_large_ = false;
  bool bdat_failed_ = false;
};

}  // namespace letterhead::smtp::server
