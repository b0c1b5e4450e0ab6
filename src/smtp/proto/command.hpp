#pragma once
// SMTP command lines (RFC 5321 §4.1.1, §4.1.2; ESMTP parameters of §4.1.2; BDAT of
// RFC 3030 §2; AUTH of RFC 4954 §4; LHLO of RFC 2033 §4.1) parsed into values. Sans-I/O:
// the caller hands over one line without its CRLF (see line_reader).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "smtp/proto/address.hpp"

namespace letterhead::smtp::proto {

enum class verb { helo, ehlo, lhlo, mail, rcpt, data, bdat, rset, noop, quit, help, vrfy, expn, starttls, auth, unknown };

// The verb as written on the wire, upper-case ("MAIL"); "" for verb::unknown.
[[nodiscard]] std::string_view to_string(verb v) noexcept;

// RFC 5321 §4.1.2 esmtp-param = esmtp-keyword ["=" esmtp-value]
struct esmtp_param {
  std::string keyword;               // upper-cased
  std::optional<std::string> value;  // as written: xtext (RFC 3461 §4) is not decoded here
};

// RFC 5321 §4.1.2 does not bound the number of parameters; we do.
inline constexpr std::size_t max_esmtp_params = 16;

struct command {
  verb v = verb::unknown;
  std::string domain;  // HELO/EHLO/LHLO argument: a domain or an address literal "[...]"
  std::string path;    // MAIL/RCPT address without <> and source route, "" for the null path <>
  bool null_path = false;
  std::vector<esmtp_param> params;  // MAIL/RCPT; keywords unique
  std::uint64_t chunk_size = 0;     // BDAT, RFC 3030 §2
  bool last_chunk = false;          // BDAT ... LAST
  // AUTH: "PLAIN <ir>" as written after "AUTH "; VRFY/EXPN/HELP/NOOP: the argument as
  // written; verb::unknown: the whole line (for logging: it is client text).
  std::string argument;
  // AUTH, RFC 4954 §4: the mechanism upper-cased, and the initial response if any
  // (base64 text as written, or "=" for an empty one).
  std::string auth_mechanism;
  std::optional<std::string> auth_initial_response;
};

// The parameter with this keyword (upper-case), or nullptr.
[[nodiscard]] const esmtp_param* find_param(const command& cmd, std::string_view keyword) noexcept;

// Parses one command line without its CRLF. Verbs are case-insensitive.
// - An unrecognised verb is not an error: the result has v == verb::unknown (the server
//   answers 500 5.5.1, RFC 5321 §4.2.4).
// - Bad syntax for a known verb, and any control character (NUL, bare CR, ...) in the
//   line, is an error with errc::invalid and a message fit to send to the client (no
//   client text in it); the server answers 501 (RFC 5321 §4.3.2).
// Liberal where harmless and common: trailing spaces, several spaces between words,
// spaces after "FROM:"/"TO:". Strict on the path itself (see address.hpp).
[[nodiscard]] core::result<command> parse_command(std::string_view line,
                                                  const parse_options& options = {});

}  // namespace letterhead::smtp::proto
