#pragma once
// Sans-I/O accumulation of SMTP command lines (RFC 5321 §2.3.8, §4.5.3.1.4): the
// session feeds bytes as they arrive and takes complete lines out. The reader owns its
// buffer; its size is bounded by the line limit plus what one feed() adds.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/limits.hpp"

namespace letterhead::smtp::proto {

enum class line_status {
  need_more,  // no complete line buffered: feed more bytes
  line,       // a line was stored in the out-parameter
  too_long,   // a line over the limit ended here (its bytes were discarded): 500 5.5.2
};

struct line_reader_options {
  // Longest line accepted, CRLF included ([limits] line_length).
  std::size_t max_length = core::limits{}.line_length;
  // RFC 4954 §4: "AUTH" command lines may be up to 12288 octets (initial responses).
  std::size_t max_auth_length = 12288;
};

// One event of next() in its optional-returning form.
struct line_event {
  std::string text;       // the line without CRLF; empty when too_long
  bool too_long = false;  // see line_status::too_long
};

class line_reader {
 public:
  line_reader() = default;
  explicit line_reader(std::size_t max_length) : options_{.max_length = max_length} {}
  explicit line_reader(const line_reader_options& options) : options_(options) {}

  // Appends bytes. Call next() until need_more before feeding again, or the buffer
  // grows by each feed.
  void feed(std::string_view bytes);

  // The next event. A line ends at LF; one CR before the LF is removed. RFC 5321 §2.3.8
  // asks for CRLF, but many clients end commands with a bare LF and nothing can be
  // smuggled through a command line, so LF alone is accepted here (never in DATA, see
  // data_reader). A line longer than the limit is discarded up to its LF and reported
  // once as too_long when that LF arrives, so replies stay in step with the client;
  // lines after it are read normally.
  [[nodiscard]] line_status next(std::string& line);
  // The same as an optional: std::nullopt for need_more.
  [[nodiscard]] std::optional<line_event> next();

  // Bytes received but not yet returned as lines: after a DATA or BDAT command they
  // belong to the message (pipelining, RFC 2920 §3; RFC 3030 §2), and after STARTTLS
  // they are plaintext the client sent before the handshake, which the session must
  // discard and should count as an attack (RFC 3207 §5; CVE-2011-0411).
  [[nodiscard]] bool has_buffered() const noexcept { return start_ < buf_.size(); }
  [[nodiscard]] std::string_view buffered() const noexcept {
    return std::string_view(buf_).substr(start_);
  }
  // Hands over the buffered bytes and empties the buffer.
  [[nodiscard]] std::string take_buffered();
  // Drops the first n buffered bytes (those the session handed to a data reader).
  void consume(std::size_t n) noexcept;
  // Drops everything buffered, including an overlong line in progress.
  void clear() noexcept;

  // Changes the limit for the lines to come, e.g. 12288 while an AUTH exchange reads
  // base64 responses (RFC 4954 §4).
  void set_max_length(std::size_t max_length) noexcept { options_.max_length = max_length; }
  [[nodiscard]] std::size_t max_length() const noexcept { return options_.max_length; }

  // True while the rest of an overlong line is being discarded.
  [[nodiscard]] bool discarding() const noexcept { return discarding_; }

 private:
  [[nodiscard]] std::size_t limit_for(std::string_view line_start) const noexcept;
  void compact() noexcept;

  line_reader_options options_{};
  std::string buf_;
  std::size_t start_ = 0;    // first byte not yet returned
  std::size_t scanned_ = 0;  // bytes after start_ known to hold no LF
  bool discarding_ = false;
};

}  // namespace letterhead::smtp::proto
