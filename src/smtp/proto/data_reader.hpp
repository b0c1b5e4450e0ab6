#pragma once
// Sans-I/O reader of the DATA body (RFC 5321 §4.1.1.4, §4.5.2): removes dot-stuffing
// and finds the end of the message, which is <CRLF>.<CRLF> and nothing else.
//
// SMTP smuggling (CVE-2023-51764/51765/51766): a sender that ends a message with a
// sequence another server reads as the end, such as <LF>.<LF> or <CR>.<CR>, can have a
// second, forged message accepted behind the first. Here only a CR immediately
// followed by LF ends a line, and only "." alone on a line that starts the body or
// follows CRLF ends the message. Any other CR or LF is a bare line ending: it is kept
// in the message as received, and bare_line_ending() tells the server to refuse the
// message after its end (550 5.6.0) rather than pass ambiguous bytes on.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/limits.hpp"

namespace letterhead::smtp::proto {

enum class data_status { need_more, done };

// RFC 5322 §2.1.1: at most 998 characters on a line, CRLF excluded.
inline constexpr std::size_t max_text_line_length = 998;

class data_reader {
 public:
  data_reader() = default;
  // max_size: largest message kept ([limits] message_size, RFC 1870); beyond it the
  // rest of the message is read and dropped, and too_large() is set.
  explicit data_reader(std::uint64_t max_size) : max_size_(max_size) {}

  // Reads message bytes from `in`. `consumed` is set to how many bytes of `in` belong
  // to the message (all of them while need_more; up to and including the final
  // <CRLF>.<CRLF> when done). Bytes after that are the client's next commands
  // (pipelining) and stay the caller's. Once done, feed() consumes nothing and returns
  // done until reset().
  [[nodiscard]] data_status feed(std::string_view in, std::size_t& consumed);

  // The message bytes gathered so far, handed over and cleared: line ends exactly as
  // received, the stuffed dots removed, the final ".<CRLF>" not included (its CRLF is
  // the last line's). May be called before done to stream a large message to storage;
  // the size limit counts all bytes. After too_large() nothing more is gathered.
  [[nodiscard]] std::string take_message();

  [[nodiscard]] bool done() const noexcept { return state_ == state::done; }
  // The message exceeded max_size: answer 552 5.3.4 after its end (RFC 5321 §4.5.3.1.10).
  [[nodiscard]] bool too_large() const noexcept { return too_large_; }
  // A CR not followed by LF, or an LF not preceded by CR, was seen (see above).
  [[nodiscard]] bool bare_line_ending() const noexcept { return bare_line_ending_; }
  // A line longer than 998 octets (RFC 5322 §2.1.1): accepted, recorded.
  [[nodiscard]] bool long_lines() const noexcept { return long_lines_; }
  // An octet >= 0x80: the server checks BODY=8BITMIME / SMTPUTF8 (RFC 6152 §3).
  [[nodiscard]] bool has_8bit() const noexcept { return has_8bit_; }
  // A NUL octet (RFC 5321 §4.5.2 / RFC 6152 forbid it in 7bit and 8bit text).
  [[nodiscard]] bool has_nul() const noexcept { return has_nul_; }
  // Message octets seen so far, after unstuffing, including any beyond the limit.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  // Ready for the next message, same limit.
  void reset() noexcept;

 private:
  enum class state {
    line_start,  // after CRLF, or at the start of the body
    text,        // inside a line
    cr,          // after a CR that may start a CRLF
    dot,         // "." at line_start
    dot_cr,      // "." CR at line_start: LF ends the message
    done,
  };

  void emit_content(std::string_view run);
  void emit_crlf();
  void add(std::string_view bytes);

  std::uint64_t max_size_ = core::limits{}.message_size;
  std::string out_;
  state state_ = state::line_start;
  std::uint64_t size_ = 0;
  std::size_t line_length_ = 0;
  bool too_large_ = false;
  bool bare_line_ending_ = false;
  bool long_lines_ = false;
  bool has_8bit_ = false;
  bool has_nul_ = false;
};

}  // namespace letterhead::smtp::proto
