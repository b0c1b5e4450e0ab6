#pragma once
// What the POP3 server asks of the rest of the program. The server owns the protocol
// (states, message numbers, deletion marks); app/ wires this interface to the
// directory and the store.
//
// Every call may block (store, blobs, argon2id): the session runs them on the
// blocking pool.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "directory/sasl.hpp"
#include "directory/security.hpp"

namespace letterhead::pop3::server {

// The authenticated user of a session.
struct identity {
  std::int64_t account_id = 0;
  std::string address;
};

// One message of the maildrop as the session sees it from login to QUIT.
struct maildrop_message {
  std::uint32_t uid = 0;   // the INBOX UID (same as IMAP's)
  std::uint64_t size = 0;  // octets of the stored message, which has CRLF line ends
  std::string blob;        // the store's content hash, for the backend's own use
};

// A snapshot of the user's INBOX taken at login (RFC 1939 §8: message numbers and
// sizes do not change during a session).
struct maildrop {
  std::int64_t mailbox_id = 0;
  std::uint32_t uidvalidity = 0;
  std::vector<maildrop_message> messages;  // in UID order: message n is messages[n-1]
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
  // The mechanisms start_sasl() offers, space-separated, for CAPA ("" = none).
  [[nodiscard]] virtual std::string sasl_mechanisms() const { return {}; }
  // A SASL exchange (directory/sasl.hpp) for a mechanism other than PLAIN; nullptr
  // when it is not offered (the default).
  [[nodiscard]] virtual std::unique_ptr<directory::sasl_exchange> start_sasl(std::string_view mechanism,
                                                                             const directory::login_context& ctx) {
    (void)mechanism;
    (void)ctx;
    return nullptr;
  }

  // Whether a logged-in account may still act (false once it is disabled, frozen or
  // offboarded): checked before each command so that open sessions end. Default: yes.
  [[nodiscard]] virtual core::result<bool> still_active(const identity& who) {
    (void)who;
    return true;
  }

  // The user's INBOX.
  [[nodiscard]] virtual core::result<maildrop> open_maildrop(const identity& who) = 0;

  // The bytes of one message. errc::not_found when another session removed it since
  // the snapshot.
  [[nodiscard]] virtual core::result<std::string> fetch(const maildrop& drop,
                                                        const maildrop_message& message) = 0;

  // Removes the messages (the UPDATE state, RFC 1939 §6): all of them or, on error,
  // possibly some. UIDs another session removed already are ignored.
  [[nodiscard]] virtual core::result<void> remove(const maildrop& drop,
                                                  const std::vector<std::uint32_t>& uids) = 0;
};

}  // namespace letterhead::pop3::server
