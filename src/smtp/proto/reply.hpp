#pragma once
// SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 2034, RFC 3463):
// writing them for the server, and reading them for the client and tests.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "smtp/proto/line_reader.hpp"

namespace letterhead::smtp::proto {

// RFC 5321 §4.5.3.1.5: a reply line, code and CRLF included.
inline constexpr std::size_t max_reply_line_length = 512;

// RFC 3463 §2 status-code = class "." subject "." detail, class 2/4/5, subject and
// detail 1*3digit, e.g. "2.1.0".
[[nodiscard]] bool is_enhanced_code(std::string_view s) noexcept;

// One reply: `text` split at '\n' gives its lines, all but the last written
// "250-...", the last "250 ..." (RFC 5321 §4.2.1), each CRLF-terminated and each
// prefixed with `enhanced` when it is not empty (RFC 2034 §4). One trailing '\n' is
// ignored. Text is sanitised, as it may quote the client: bytes outside printable
// ASCII become '?', TAB a space, so nothing can end a line or start another reply.
// Lines are cut to max_reply_line_length. `code` must be 200..599 and `enhanced` ""
// or a status code of the same class (programmer errors, asserted).
[[nodiscard]] std::string format_reply(int code, std::string_view enhanced, std::string_view text);

// The EHLO (or LHLO) reply, RFC 5321 §4.1.1.1 ehlo-ok-rsp: "250-<hostname> Hello
// <greeting_name>" (just the hostname when greeting_name is empty), then one line
// per keyword ("PIPELINING", "SIZE 52428800"). No enhanced codes: RFC 2034 §3 exempts
// EHLO. greeting_name (the client's EHLO argument) is sanitised.
[[nodiscard]] std::string ehlo_reply(std::string_view hostname, std::string_view greeting_name,
                                     const std::vector<std::string>& keywords);

struct reply {
  int code = 0;
  std::string enhanced;            // from the first line when present, else ""
  std::vector<std::string> lines;  // text of each line, code and enhanced code removed

  // The lines joined with '\n'.
  [[nodiscard]] std::string text() const;
};

struct reply_reader_options {
  // Longer than RFC 5321's 512: servers exceed it and a client should cope.
  std::size_t max_line_length = 4096;
  std::size_t max_lines = 1000;
};

// Reads replies from a server's byte stream. Lines may end with CRLF or a bare LF.
class reply_reader {
 public:
  reply_reader() : reply_reader(reply_reader_options{}) {}
  explicit reply_reader(const reply_reader_options& options);

  void feed(std::string_view bytes);

  // The next complete reply, std::nullopt when more bytes are needed, or an error
  // (errc::invalid) for a malformed reply: a bad code, codes differing between the
  // lines of one reply (RFC 5321 §4.2.1), a line or a reply over the limits. After an
  // error the reader stays failed: the connection is not worth reading on.
  [[nodiscard]] core::result<std::optional<reply>> next();

  [[nodiscard]] bool has_buffered() const noexcept { return lines_.has_buffered(); }
  void clear() noexcept;

 private:
  reply_reader_options options_;
  line_reader lines_;
  reply partial_;
  bool failed_ = false;
};

}  // namespace letterhead::smtp::proto
