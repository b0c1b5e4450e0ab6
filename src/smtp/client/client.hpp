#pragma once
// The SMTP client (RFC 5321): one session on one connection to one server, used by
// the outbound queue to hand messages to other MTAs or to a smarthost. A session
// connects, reads the greeting, says EHLO (HELO when EHLO is refused), starts TLS
// when offered (opportunistic, RFC 7435) or as the policy demands, authenticates to
// a smarthost (RFC 4954: PLAIN, LOGIN), and then sends any number of transactions
// (RSET between them when one was abandoned) until QUIT.
//
// Extensions used when the server offers them: PIPELINING (RFC 2920) for MAIL and
// RCPT, SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), CHUNKING and
// BINARYMIME (RFC 3030), DSN (RFC 3461: NOTIFY, ORCPT, RET, ENVID passed on),
// ENHANCEDSTATUSCODES (RFC 2034), REQUIRETLS (RFC 8689). What a message needs and the server lacks is a
// permanent failure decided before MAIL (see requirements.hpp): no downgrade yet.
//
// SECURITY
// - The server is untrusted: replies are bounded in line length and line count
//   (proto::reply_reader), every read and write has the stage's deadline
//   (RFC 5321 §4.5.3.2), and a malformed reply ends the session.
// - After STARTTLS anything the server sent in plaintext beyond its 220 is dropped
//   and the session fails (the client side of CVE-2011-0411), and all that EHLO told
//   before TLS is forgotten (RFC 3207 §4.2).
// - Credentials are sent only over TLS unless the admin chose tls = "none".
// - Nothing secret reaches the logs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "core/log.hpp"
#include "core/transport.hpp"
#include "smtp/client/dane.hpp"
#include "smtp/proto/ehlo.hpp"
#include "smtp/proto/reply.hpp"

namespace boost::asio::ssl {
class context;
}

namespace letterhead::smtp::client {

// RFC 5321 §4.5.3.2 suggests these minimum waits for each stage's reply.
struct timeouts {
  std::chrono::seconds connect{30};
  std::chrono::seconds greeting{300};    // §4.5.3.2.1 initial 220
  std::chrono::seconds command{300};     // EHLO, STARTTLS, AUTH, RSET, QUIT
  std::chrono::seconds mail{300};        // §4.5.3.2.2
  std::chrono::seconds rcpt{300};        // §4.5.3.2.3
  std::chrono::seconds data_init{120};   // §4.5.3.2.4 the 354 to DATA
  std::chrono::seconds data_block{180};  // §4.5.3.2.5 each write of the message
  std::chrono::seconds data_end{600};    // §4.5.3.2.6 the reply to the final "."
};

enum class tls_mode {
  opportunistic,  // STARTTLS when offered, no certificate check; plaintext otherwise
  starttls,       // STARTTLS required (a smarthost): no TLS is a temporary failure
  implicit,       // TLS from the first byte (RFC 8314 §3.3, port 465)
  none,           // never TLS
};

struct credentials {
  std::string user;
  std::string password;
};

struct options {
  std::string helo_name;    // our hostname, for EHLO
  std::string server_name;  // the peer's host name: SNI, certificate check, logs
  tls_mode tls = tls_mode::opportunistic;
  bool verify_certificate = false;
  // DANE (RFC 7672): set when the host has DNSSEC-validated TLSA records. TLS is then
  // mandatory (never a plaintext fallback) and the certificate must match them.
  std::optional<dane_policy> dane;
  // MTA-STS "testing" (RFC 8461 §5): verify the certificate for server_name, log a
  // failure, deliver anyway.
  bool report_unverified = false;
  std::optional<credentials> auth;
  client::timeouts timeouts;
  // Bounds on what a hostile server can make us buffer per reply.
  proto::reply_reader_options replies{.max_line_length = 2048, .max_lines = 100};
  // Bytes per BDAT chunk (RFC 3030 §2); one chunk for smaller messages.
  std::size_t chunk_size = 1024 * 1024;
};

struct recipient {
  std::string address;
  std::string notify;  // RFC 3461 §4.1 NOTIFY value, e.g. "SUCCESS,FAILURE"; "" = none
  std::string orcpt;   // RFC 3461 §4.2 as "addr-type;address" (decoded); "" = none
};

struct envelope {
  std::string mail_from;  // "" = the null reverse-path <>
  std::vector<recipient> recipients;
  std::string dsn_ret;    // RFC 3461 §4.3 FULL or HDRS; "" = none
  std::string dsn_envid;  // RFC 3461 §4.4, decoded; "" = none
  std::string body_type;  // what the submitter declared: "", "7BIT", "8BITMIME", "BINARYMIME"
  bool smtputf8 = false;  // the submitter used SMTPUTF8 (RFC 6531)
  // RFC 8689: the message was tagged REQUIRETLS. MAIL carries REQUIRETLS when the
  // server offers it over TLS; a message with a sender (not a bounce, §5) is sent
  // only over TLS with a verified certificate to a server that offers it.
  bool requiretls = false;
};

enum class outcome { delivered, permanent, temporary };

// What happened to a recipient (or why a session could not be had).
struct status {
  outcome result = outcome::temporary;
  int code = 0;          // the server's reply code; 0 when no reply decided it
  std::string enhanced;  // RFC 3463 code, the server's or ours
  std::string text;      // the server's reply text, or our reason

  // "550 5.1.1 text" or "4.4.1 text": for logs, the queue and DSNs.
  [[nodiscard]] std::string describe() const;
};

// A status from a server reply: 2xx delivered, 5xx permanent, anything else temporary.
[[nodiscard]] status from_reply(const proto::reply& r);

struct transaction_result {
  std::vector<status> recipients;  // one per envelope recipient, in order
  // False when the connection must not carry another transaction (an I/O error, a
  // timeout, a 421, a reply out of step).
  bool reusable = false;
};

class session {
 public:
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Connects to `address` (an IP) and `port`, and runs greeting, EHLO/HELO, TLS and
  // AUTH as `opts` say. With tls_mode::opportunistic a failed TLS handshake is
  // retried once on a new connection without TLS (RFC 7435 §3). On failure the
  // status tells why; its outcome is temporary unless the server refused us with a
  // 5xx (then permanent: the caller decides whether to try another host).
  [[nodiscard]] static boost::asio::awaitable<std::expected<std::unique_ptr<session>, status>> open(
      boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
      std::string address, std::uint16_t port, options opts);

  // One mail transaction. Checks first what the message needs against what the
  // server offers (SIZE, 8BITMIME, SMTPUTF8, BINARYMIME); then MAIL and RCPT
  // (pipelined when offered), and DATA or BDAT when a recipient was accepted.
  [[nodiscard]] boost::asio::awaitable<transaction_result> send(const envelope& env,
                                                                std::string_view message);

  // RSET (RFC 5321 §4.1.1.5); false when the connection is no longer usable.
  [[nodiscard]] boost::asio::awaitable<bool> reset();

  // QUIT (RFC 5321 §4.1.1.10) and close; never fails.
  boost::asio::awaitable<void> quit();

  [[nodiscard]] const proto::extensions& extensions() const noexcept { return ext_; }
  [[nodiscard]] bool tls() const;
  // TLS is up and its certificate was authenticated: PKIX for server_name
  // (verify_certificate) or DANE with usable TLSA records (RFC 8689 §4.2.1 step 4).
  [[nodiscard]] bool verified_tls() const;
  [[nodiscard]] bool esmtp() const noexcept { return esmtp_; }
  // "name[ip]:port", for logs and the queue's remote_mta.
  [[nodiscard]] const std::string& peer() const noexcept { return peer_; }
  [[nodiscard]] std::uint64_t transactions() const noexcept { return transactions_; }

 private:
  session(std::shared_ptr<core::transport> t, options opts, std::string peer);

  struct failure {
    status why;
    bool tls_handshake = false;  // the TLS handshake itself failed: retry without TLS
  };
  [[nodiscard]] static boost::asio::awaitable<std::expected<std::unique_ptr<session>, failure>>
  open_once(boost::asio::any_io_executor ex, std::shared_ptr<boost::asio::ssl::context> tls,
            std::string address, std::uint16_t port, options opts);
  [[nodiscard]] boost::asio::awaitable<std::expected<void, failure>> handshake();
  [[nodiscard]] boost::asio::awaitable<std::expected<void, failure>> hello();
  [[nodiscard]] boost::asio::awaitable<std::expected<void, failure>> start_tls();
  [[nodiscard]] boost::asio::awaitable<std::expected<void, failure>> authenticate();

  // I/O helpers: a reply within `timeout`, a write within `timeout`.
  [[nodiscard]] boost::asio::awaitable<core::result<proto::reply>> read_reply(std::chrono::seconds timeout);
  [[nodiscard]] boost::asio::awaitable<core::result<void>> write(std::string_view data,
                                                                 std::chrono::seconds timeout);
  [[nodiscard]] boost::asio::awaitable<core::result<proto::reply>> command(std::string_view line,
                                                                           std::chrono::seconds timeout);

  // transaction.cpp
  [[nodiscard]] boost::asio::awaitable<core::result<proto::reply>> send_data(std::string_view message);
  [[nodiscard]] boost::asio::awaitable<core::result<proto::reply>> send_bdat(std::string_view message);

  std::shared_ptr<core::transport> transport_;
  options opts_;
  std::string peer_;
  core::conn_log log_;
  std::string in_;
  proto::reply_reader replies_;
  proto::extensions ext_;
  bool esmtp_ = false;
  bool broken_ = false;
  std::uint64_t transactions_ = 0;
};

}  // namespace letterhead::smtp::client
