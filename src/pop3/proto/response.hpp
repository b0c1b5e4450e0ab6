#pragma once
// POP3 responses (RFC 1939 §3): single lines "+OK text" / "-ERR text", extended
// response codes in brackets after "-ERR " (RFC 2449 §8; RFC 3206), and multi-line
// responses whose lines are dot-stuffed and end with a line holding one ".".

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace letterhead::pop3::proto {

// RFC 2449 §4: a response, CRLF included, is at most 512 octets.
inline constexpr std::size_t max_response_length = 512;

// Extended response codes (RFC 2449 §8), each only after the capability that
// announces it (RESP-CODES, AUTH-RESP-CODE).
enum class resp_code {
  none,
  auth,         // RFC 3206 §4: the credentials were wrong (not a system problem)
  sys_temp,     // RFC 3206 §5: temporary system failure, try again later
  sys_perm,     // RFC 3206 §5: permanent system failure
  login_delay,  // RFC 2449 §8.1.1: logged in again too soon
  in_use,       // RFC 2449 §8.1.2: the maildrop is locked by another session
};

[[nodiscard]] std::string_view to_string(resp_code c) noexcept;  // "AUTH", "SYS/TEMP", ...

// "+OK text\r\n" ("+OK\r\n" for empty text). Text bytes outside printable ASCII
// become '?', and text is cut to keep the line within max_response_length, so any
// text gives exactly one well-formed line.
[[nodiscard]] std::string ok(std::string_view text);
// "-ERR [CODE] text\r\n", same guarantees.
[[nodiscard]] std::string err(std::string_view text, resp_code code = resp_code::none);

// The body of a multi-line response (RFC 1939 §3), written incrementally so that a
// large message goes out in bounded pieces. Every line gets a CRLF end: a bare LF in
// the input ends a line and gains its CR, so no client that splits at LF can see the
// terminating "." early (the stored message cannot inject responses). A line starting
// with "." gets one more. finish() ends an unterminated last line and adds ".\r\n".
class multiline_writer {
 public:
  void append(std::string_view bytes, std::string& out);
  void finish(std::string& out);

 private:
  bool line_start_ = true;
  bool after_cr_ = false;
};

// The whole multi-line body for `bytes` in one call: append() plus finish().
[[nodiscard]] std::string multiline(std::string_view bytes);

// RFC 1939 §7 TOP msg n: how many leading bytes of `message` hold its header, the
// blank line after it, and then at most `lines` lines of the body. A message without
// a blank line is all header. Lines end at LF, as multiline_writer sees them.
[[nodiscard]] std::size_t top_length(std::string_view message, std::uint64_t lines) noexcept;

}  // namespace letterhead::pop3::proto
