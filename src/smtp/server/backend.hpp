#pragma once
// What the SMTP server asks of the rest of the program. The server owns the
// protocol and the relay policy (RFC 5321 §3.6, §7.1: never an open relay); app/
// wires this interface to the directory and the delivery pipeline.
//
// Every call may block (store, argon2id, fsync): the session runs them on the
// blocking pool.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "directory/sasl.hpp"
#include "directory/security.hpp"

namespace letterhead::smtp::server {

enum class listener_kind {
  mx,           // port 25: mail from the world to our domains
  submission,   // port 587: our users, STARTTLS then AUTH (RFC 6409)
  submissions,  // port 465: our users, implicit TLS (RFC 8314 §3.3)
};

// The authenticated user of a session.
struct identity {
  std::int64_t account_id = 0;
  std::string address;
};

struct recipient {
  std::string address;  // as given in RCPT TO, without <>
  std::string notify;   // RFC 3461 §4.1 NOTIFY, upper-cased, empty if absent
  std::string orcpt;    // RFC 3461 §4.2 ORCPT, decoded, empty if absent
  bool local = false;   // true when the address is in one of our domains
};

struct envelope {
  std::string mail_from;         // empty for the null reverse-path <>
  std::vector<recipient> recipients;
  std::string body;              // BODY= (7BIT, 8BITMIME, BINARYMIME) or empty
  bool smtputf8 = false;         // RFC 6531
  std::string dsn_ret;           // RFC 3461 §4.3 RET
  std::string dsn_envid;         // RFC 3461 §4.4 ENVID, decoded
  bool requiretls = false;       // RFC 8689 §4.1: MAIL FROM had REQUIRETLS (over TLS)
  std::optional<identity> authenticated;
  std::string client_ip;
  std::string helo;
  bool tls = false;
  listener_kind kind = listener_kind::mx;
  // Set from inspection::junk before accept(): file the message in each local
  // recipient's Junk mailbox instead of INBOX.
  bool junk = false;
};

// How a recipient address relates to us.
enum class recipient_status {
  local,          // one of our domains and it resolves to a mailbox
  local_unknown,  // one of our domains, but nobody there (RFC 5321 §3.6.2: 550 5.1.1)
  foreign,        // not one of our domains
};

// A policy refusal and the exact reply for it (RFC 3463 enhanced code).
struct refusal {
  int code = 550;
  std::string enhanced = "5.7.1";
  std::string text;
};

// What the receiving side decided about a message before answering the end of DATA.
// Judging at the door means bad mail is refused in the SMTP dialogue, so nobody is
// sent a bounce for it later (no backscatter).
struct inspection {
  std::optional<refusal> refuse;  // answer this (4xx or 5xx) instead of accepting
  bool junk = false;              // accept, but into the recipients' Junk mailbox
};

// Result of accepting a message: an id for the 250 reply and the logs.
struct accepted {
  std::string queue_id;
};

class backend {
 public:
  virtual ~backend() = default;

  // Checks a username and password. errc::denied for any failure the client caused
  // (unknown user and wrong password look the same).
  [[nodiscard]] virtual core::result<identity> authenticate(const std::string& username,
                                                            const std::string& password) = 0;

  // The same with what the session knows of the client (protocol, address), for the
  // brute-force limits, app passwords and login history of directory::authenticate;
  // ctx.delay comes back set on failure. The default ignores the context.
  [[nodiscard]] virtual core::result<identity> login(const std::string& username, const std::string& password,
                                                     directory::login_context& ctx) {
    (void)ctx;
    return authenticate(username, password);
  }
  // The mechanisms start_sasl() offers, space-separated, for EHLO ("" = none).
  [[nodiscard]] virtual std::string sasl_mechanisms() const { return {}; }
  // A SASL exchange (directory/sasl.hpp) for a mechanism other than PLAIN and LOGIN;
  // nullptr when it is not offered (the default).
  [[nodiscard]] virtual std::unique_ptr<directory::sasl_exchange> start_sasl(std::string_view mechanism,
                                                                             const directory::login_context& ctx) {
    (void)mechanism;
    (void)ctx;
    return nullptr;
  }

  // Whether a logged-in account may still act (false once it is disabled, frozen or
  // offboarded): checked at every MAIL so that open sessions end. Default: yes.
  [[nodiscard]] virtual core::result<bool> still_active(const identity& who) {
    (void)who;
    return true;
  }

  [[nodiscard]] virtual core::result<recipient_status> lookup_recipient(const std::string& address) = 0;

  // May this user use `address` as MAIL FROM (its own or one of its aliases)?
  [[nodiscard]] virtual core::result<bool> may_send_as(const identity& who,
                                                       const std::string& address) = 0;

  // Policies beyond relaying for one more recipient of `env` (which holds the
  // recipients accepted so far): groups' send policies, per-account mail rules.
  // Called once lookup_recipient and the relay check let the recipient through.
  [[nodiscard]] virtual core::result<std::optional<refusal>> check_recipient(const envelope& env,
                                                                            const recipient& r) {
    (void)env;
    (void)r;
    return std::nullopt;
  }

  // Per-account message size limits: at MAIL with the declared SIZE (RFC 1870), and
  // at the end of DATA with the real size.
  [[nodiscard]] virtual core::result<std::optional<refusal>> check_size(const envelope& env, std::uint64_t size) {
    (void)env;
    (void)size;
    return std::nullopt;
  }

  // Judges a message once its size is accepted and before accept(): authentication
  // (SPF, DKIM, DMARC), spam and virus checks. It may rewrite `message` (the message
  // as the client sent it, without our Received header), e.g. to add an
  // Authentication-Results header or remove a forged one. Default: nothing to say.
  [[nodiscard]] virtual core::result<inspection> inspect(const envelope& env, std::string& message) {
    (void)env;
    (void)message;
    return inspection{};
  }

  // Takes responsibility for the message: when this returns success the message is
  // on stable storage for every recipient (local mailboxes or the outbound queue).
  // `message` already carries our Received header.
  [[nodiscard]] virtual core::result<accepted> accept(const envelope& env,
                                                      const std::string& message) = 0;
};

}  // namespace letterhead::smtp::server
