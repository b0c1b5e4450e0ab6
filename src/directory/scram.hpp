#pragma once
// SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without I/O: the credentials kept
// for a password, and the two messages of an exchange. The directory wraps it into a
// sasl_exchange (sasl.hpp) that the SMTP, IMAP and POP3 sessions drive alike.
//
// Not implemented: channel binding (the -PLUS variants; a client asking for it with
// "p=" is refused), SASLprep (RFC 4013) of usernames and passwords (they are used as
// given, which is the same for ASCII; todo(rfc): RFC 5802 §2.2 Normalize()).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::directory {

// RFC 7677 §4: at least 4096 iterations.
inline constexpr std::uint32_t scram_iterations = 10000;

// RFC 5802 §3: StoredKey and ServerKey for a password, with a fresh random salt
// (or the given one, for tests).
[[nodiscard]] store::scram_credentials derive_scram_sha256(std::string_view password,
                                                           std::uint32_t iterations = scram_iterations,
                                                           std::string_view salt = {});

// The server's half of one exchange.
class scram_server {
 public:
  // RFC 5802 §7 client-first-message. Returns the username (decoded from saslname) so
  // that the caller can look up the credentials; errc::invalid for a malformed
  // message, errc::denied for channel binding or an authzid other than the user.
  [[nodiscard]] core::result<std::string> client_first(std::string_view message);
  // The server-first-message for these credentials. For an unknown user pass
  // made-up credentials: the exchange then fails at client_final like a wrong password.
  [[nodiscard]] std::string server_first(const store::scram_credentials& credentials,
                                         std::string_view server_nonce = {});
  // RFC 5802 §7 client-final-message: checks the proof; returns the server-final-message
  // ("v=" ServerSignature). errc::denied for a wrong proof, errc::invalid for a
  // malformed message or a nonce or channel binding that does not match.
  [[nodiscard]] core::result<std::string> client_final(std::string_view message);

 private:
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string client_nonce_;
  std::string nonce_;  // client's + ours
  std::string server_first_;
  store::scram_credentials credentials_;
};

}  // namespace letterhead::directory
