#pragma once
// Sans-I/O accumulation of POP3 command lines: the session feeds bytes as they
// arrive and takes complete lines out. RFC 2449 §4 bounds a command line at 255
// octets with its CRLF; a SASL response during AUTH may be longer (RFC 5034 §4), so
// the limit can be raised for the lines of an exchange. The buffer never holds more
// than the limit plus what one feed() added.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace letterhead::pop3::proto {

// RFC 2449 §4: "The maximum length of a command is increased from 47 characters
// (4 character command, single space, 40 character argument, CRLF) to 255 octets,
// including the terminating CRLF."
inline constexpr std::size_t max_command_length = 255;

// What one line of the reader turned out to be.
struct line_event {
  std::string text;       // the line without its line end; empty when too_long
  bool too_long = false;  // the line went over the limit; its bytes were dropped
};

class line_reader {
 public:
  explicit line_reader(std::size_t max_length = max_command_length) : max_length_(max_length) {}

  // Appends bytes; call next() until it returns std::nullopt before feeding again.
  void feed(std::string_view bytes) { buf_.append(bytes); }

  // The next line, or std::nullopt when no complete line is buffered. A line ends at
  // LF, and one CR before it is removed: RFC 1939 §3 asks for CRLF, but a bare LF
  // command line cannot smuggle anything, and some clients send it. An overlong line
  // is dropped up to its LF and reported once, so replies stay in step.
  [[nodiscard]] std::optional<line_event> next();

  // Bytes received and not yet returned. After STLS these are plaintext the client
  // sent before the handshake: the session throws them away (RFC 2595 §3.1 by
  // analogy with RFC 3207 §5; CVE-2011-0411).
  [[nodiscard]] bool has_buffered() const noexcept { return start_ < buf_.size() || discarding_; }
  void clear() noexcept;

  void set_max_length(std::size_t n) noexcept { max_length_ = n; }
  [[nodiscard]] std::size_t max_length() const noexcept { return max_length_; }
  // Bytes held right now (for the fuzzer's bound check).
  [[nodiscard]] std::size_t buffered_size() const noexcept { return buf_.size() - start_; }

 private:
  void compact() noexcept;

  std::size_t max_length_;
  std::string buf_;
  std::size_t start_ = 0;    // first byte not yet returned
  std::size_t scanned_ = 0;  // bytes after start_ known to hold no LF
  bool discarding_ = false;  // inside an overlong line, waiting for its LF
};

}  // namespace letterhead::pop3::proto
