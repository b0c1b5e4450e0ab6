#pragma once
// One POP3 server session (RFC 1939): AUTHORIZATION, TRANSACTION and UPDATE, with
// CAPA (RFC 2449), STLS (RFC 2595) and AUTH (RFC 5034). One coroutine per connection
// owns this object; commands live in cmd_*.cpp, one file per command family, and the
// command table in session.cpp says which states allow each.
//
// SECURITY
// - USER/PASS and AUTH only over TLS (RFC 2595 §2.1; RFC 8314), unless the test
//   setting allow_plaintext_auth_on_loopback is on and the peer is on loopback. Before
//   TLS, CAPA offers STLS and neither USER nor SASL. APOP is refused (it needs the
//   password in clear on the server, and MD5).
// - STLS throws away any plaintext pipelined after it (CVE-2011-0411) and forgets
//   the USER name given before it (RFC 2595 §4).
// - Passwords never reach a log line; a failed login logs the user name only.
// - Too many failed logins or bad commands end the session.
// - Every read has a deadline (the autologout timer, RFC 1939 §3); every line a limit
//   (RFC 2449 §4: 255 octets; longer only for a SASL response).
// - Nothing is deleted unless the client says QUIT in TRANSACTION (RFC 1939 §6): a
//   dropped connection, a timeout or a shutdown deletes nothing.
// - Message bytes go out dot-stuffed with every line ending in CRLF, so a stored
//   message cannot end a multi-line response early.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/limits.hpp"
#include "core/log.hpp"
#include "core/tcp_server.hpp"
#include "core/transport.hpp"
#include "pop3/proto/command.hpp"
#include "pop3/proto/line_reader.hpp"
#include "pop3/proto/response.hpp"
#include "pop3/server/backend.hpp"

namespace letterhead::pop3::server {

struct session_settings {
  std::string hostname;
  bool implicit_tls = false;   // port 995: TLS before the greeting (RFC 8314 §3.3)
  bool tls_available = true;   // STLS offered
  bool allow_plaintext_auth_on_loopback = false;
  // RFC 1939 §3: the autologout timer "MUST be of at least 10 minutes duration".
  std::chrono::seconds autologout{600};
  // Command lines, CRLF included (RFC 2449 §4), and SASL responses (RFC 5034 §4).
  std::size_t line_length = proto::max_command_length;
  std::size_t sasl_line_length = 12288;
  // Failed logins in one session before we hang up (brute-force damping).
  std::size_t max_auth_failures = 3;
  // Messages go out in pieces of this size, bounding the output buffer.
  std::size_t write_chunk = 64 * 1024;
  core::limits limits;  // errors, and the write deadline (command_timeout)
};

class session final : public core::connection_session {
 public:
  session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
          backend& backend, boost::asio::thread_pool& blocking, std::uint64_t id);

  // Runs the session to its end; never throws.
  boost::asio::awaitable<void> run() override;

  // Asks the session to finish: one waiting for a command says so and closes at
  // once; one sending a message closes after it. Nothing is deleted.
  void request_shutdown() override;

  // RFC 1939 §3 states. UPDATE is entered only by QUIT in TRANSACTION.
  enum class state : unsigned { authorization = 1, transaction = 2, update = 4 };

 private:
  enum class outcome { next, close };
  using handler = boost::asio::awaitable<outcome> (session::*)(const proto::command&);
  struct command_entry {
    proto::verb v;
    unsigned states;  // bits of `state`
    handler run;
  };
  static const command_entry commands_[];

  boost::asio::awaitable<void> loop();
  // The next command line; an overlong one is answered -ERR and skipped.
  boost::asio::awaitable<std::optional<std::string>> read_line();
  // The next line or overlong-line event, unanswered; nullopt when the session ends.
  boost::asio::awaitable<std::optional<proto::line_event>> read_event();
  boost::asio::awaitable<bool> send(std::string_view text);
  boost::asio::awaitable<outcome> ok(std::string_view text);
  // An -ERR that counts towards the error limit.
  boost::asio::awaitable<outcome> error(std::string_view text, proto::resp_code code = proto::resp_code::none);
  boost::asio::awaitable<outcome> dispatch(const proto::command& cmd);

  // cmd_auth.cpp
  boost::asio::awaitable<outcome> cmd_user(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_pass(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_apop(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_auth(const proto::command& cmd);
  boost::asio::awaitable<outcome> login(std::string username, std::string password, std::string_view how);
  // `refusal`: directory::refusal_text() of the failure, "" for plain bad credentials.
  boost::asio::awaitable<outcome> login_failed(std::string_view username, std::string_view how,
                                               std::string_view refusal = {});
  boost::asio::awaitable<outcome> authenticate_sasl(const proto::command& cmd);  // SCRAM-SHA-256
  boost::asio::awaitable<outcome> open_session(identity who, std::string_view how);
  // cmd_stls.cpp
  boost::asio::awaitable<outcome> cmd_stls(const proto::command& cmd);
  // cmd_maildrop.cpp
  boost::asio::awaitable<outcome> cmd_stat(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_list(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_uidl(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_dele(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_rset(const proto::command& cmd);
  // cmd_retr.cpp
  boost::asio::awaitable<outcome> cmd_retr(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_top(const proto::command& cmd);
  boost::asio::awaitable<outcome> send_message(const maildrop_message& m, std::optional<std::uint64_t> lines);
  // cmd_misc.cpp
  boost::asio::awaitable<outcome> cmd_capa(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_noop(const proto::command& cmd);
  boost::asio::awaitable<outcome> cmd_quit(const proto::command& cmd);

  [[nodiscard]] bool auth_allowed() const;
  // Message n (RFC 1939 §5: numbers start at 1), or nullptr with `why` set when it
  // does not exist or is marked as deleted.
  [[nodiscard]] const maildrop_message* find(std::uint32_t n, std::string& why) const;
  [[nodiscard]] std::string uid_of(const maildrop_message& m) const;
  // "count octets" of the messages not marked as deleted (RFC 1939 §5 STAT).
  [[nodiscard]] std::string drop_summary() const;
  // Octets of the whole maildrop, as at login.
  [[nodiscard]] std::uint64_t drop_size() const;

  std::shared_ptr<core::transport> transport_;
  std::shared_ptr<const session_settings> settings_holder_;
  const session_settings& settings_;
  backend& backend_;
  boost::asio::thread_pool& blocking_;
  core::conn_log log_;

  std::string in_;  // bytes of the last read
  proto::line_reader lines_;
  state state_ = state::authorization;
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  bool shutdown_ = false;
  bool waiting_ = false;  // a read is pending: a shutdown may cancel it
  bool closing_ = false;

  // AUTHORIZATION: the name from USER, waiting for PASS (RFC 1939 §7).
  std::optional<std::string> user_;
  // TRANSACTION.
  std::optional<identity> identity_;
  maildrop drop_;
  std::vector<bool> deleted_;
  std::size_t deleted_count_ = 0;
  std::uint64_t deleted_size_ = 0;
};

}  // namespace letterhead::pop3::server
