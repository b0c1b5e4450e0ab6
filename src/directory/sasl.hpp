#pragma once
// One SASL exchange on the server side (RFC 4422 §3), without I/O, shared by the
// SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 §6.2.2) and POP3 AUTH (RFC 5034)
// sessions: each decodes the client's base64 response, passes the bytes to
// respond(), and sends back the challenge it gets (base64), until `done`.
//
// Mechanisms: SCRAM-SHA-256 (RFC 7677; scram.hpp). PLAIN and LOGIN stay with each
// protocol's own decoder and directory::authenticate.
//
// SCRAM round trips: client-first -> server-first; client-final -> server-final
// ("v=..."), which the session sends as a challenge (RFC 4954 §4, RFC 9051 §6.2.2,
// RFC 5034 §4: additional data with success goes in a last challenge); the client's
// empty answer -> done. Calls may block (store): run them on the blocking pool.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "store/types.hpp"

namespace letterhead::directory {

class sasl_exchange {
 public:
  struct step {
    std::string challenge;  // raw bytes, to be base64-encoded by the session
    bool done = false;      // success: account() is the user
  };

  virtual ~sasl_exchange() = default;
  // Errors are authenticate()'s: errc::denied (refusal_text() says what to show),
  // errc::limit when blocked, errc::invalid for a malformed message, others are
  // server errors.
  [[nodiscard]] virtual core::result<step> respond(std::string_view response) = 0;
  [[nodiscard]] virtual const store::account& account() const = 0;
  // After a failure: how long the session should wait before answering.
  [[nodiscard]] virtual std::chrono::milliseconds delay() const = 0;
};

// The mechanisms start_sasl() knows, for capability lists.
inline constexpr std::string_view sasl_scram_sha256 = "SCRAM-SHA-256";

}  // namespace letterhead::directory
