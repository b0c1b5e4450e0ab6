#pragma once
// Sans-I/O assembly of IMAP commands out of a byte stream (RFC 9051 §2.2, §4.3, §7.5):
// lines, and the literals that continue them, until a line ends without a literal. The
// session feeds bytes as they arrive, answers literal requests ("+ Ready" or a tagged
// NO/BAD), and takes complete commands out for parse_command (parser.hpp).
//
// Memory is bounded: a line is held up to max_line (an overlong one is discarded up to
// its LF), a command up to max_command; literals are counted and limited.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::imap::proto {

struct reader_limits {
  // Longest line, CRLF included (RFC 9051 §4 sets no limit; RFC 7162 §4 asks servers to
  // take at least 8192 octets, and UID sets after QRESYNC can be long).
  std::size_t max_line = 64 * 1024;
  // Largest literal (APPENDLIMIT, RFC 7889), the default message size.
  std::uint64_t max_literal = 50ull << 20;
  // Largest command: its lines and literals together (MULTIAPPEND may hold several).
  std::size_t max_command = 64ull << 20;
  // Most literals in one command.
  std::size_t max_literals = 1000;
};

struct reader_event {
  enum class kind {
    need_more,        // feed more bytes
    command,          // `text` holds a complete command
    literal_request,  // a line ended with a literal marker: call accept_literal() or refuse_literal()
    error,            // the command (or line) is dropped: answer "TAG BAD"/"TAG NO" ("*" without a tag)
  };
  kind k = kind::need_more;
  // command: the command as received, literal markers, line ends and literal bytes
  // inline, without its final line end.
  std::string text;
  // The command's tag (RFC 9051 §9) when one could be read from its first line, else "".
  // Holds only ASTRING-CHARs: safe to echo.
  std::string tag;
  // literal_request, and error about a literal: its announced size and form.
  std::uint64_t literal_size = 0;
  bool synchronizing = false;  // "{n}": the client waits for "+" (RFC 9051 §7.5)
  bool binary = false;         // literal8 "~{n}" (RFC 3516 §4.1)
  // error: a fixed text (never client bytes), what kind of error, and whether the
  // session should close after answering (RFC 7888 §4: a non-synchronizing literal the
  // server will not take; the reader still skips its bytes if the session stays).
  std::string message;
  core::errc code = core::errc::invalid;
  bool close = false;
};

class command_reader {
 public:
  using event = reader_event;

  command_reader() = default;
  explicit command_reader(const reader_limits& limits) : limits_(limits) {}

  // Appends bytes. Call next() until need_more before feeding again, or the buffer grows
  // by each feed.
  void feed(std::string_view bytes);

  // The next event.
  //
  // - A line ends at LF (a CR before it is removed; RFC 9051 asks for CRLF, bare LF is
  //   taken as the SMTP reader does). Empty lines between commands are ignored.
  // - A line ending in "{n}", "{n+}", "~{n}" or "~{n+}" reports literal_request. After
  //   it the reader waits (need_more) until the session decides:
  //   synchronizing: accept_literal() after sending "+ Ready", or refuse_literal()
  //   after a tagged NO/BAD (the client then sends no bytes and the command is over);
  //   non-synchronizing (LITERAL+/LITERAL-, RFC 7888): the bytes come anyway; the
  //   session calls accept_literal() without sending anything, or refuse_literal()
  //   (answering BAD), after which the reader skips the bytes and the rest of the command.
  // - A literal over max_literal, past max_literals or making the command larger than
  //   max_command is an error event instead (code limit). Synchronizing: the session
  //   answers a tagged NO [TOOBIG]/BAD and the client sends nothing. Non-synchronizing:
  //   `close` is set; the bytes are skipped if the session goes on.
  // - A line over max_line is discarded and reported once, when its LF arrives; if it
  //   ended with a non-synchronizing literal marker, that literal and the rest of the
  //   command are skipped too, so the reader stays in step with the client.
  [[nodiscard]] event next();

  // Answers the last literal_request (see next()). Calling them at another time is a
  // programmer error.
  void accept_literal();
  void refuse_literal();
  // True between a literal_request and the session's answer to it.
  [[nodiscard]] bool awaiting_decision() const noexcept { return state_ == state::await_decision; }

  // While on, an empty line is a command event with empty text instead of being
  // skipped: a SASL client's empty response (RFC 9051 §6.2.2, e.g. after SCRAM's
  // server-final challenge) is one.
  void set_empty_lines(bool on) noexcept { empty_lines_ = on; }

  // Bytes received and not yet part of an event: after STARTTLS they are plaintext sent
  // before the handshake and must be discarded (RFC 9051 §6.2.1; CVE-2011-0411 for
  // SMTP); after COMPRESS they are compressed data for the inflater (RFC 4978 §3).
  [[nodiscard]] bool has_buffered() const noexcept { return pos_ < buf_.size(); }
  // Hands over the buffered bytes and resets the reader.
  [[nodiscard]] std::string take_buffered();
  // Drops everything: buffered bytes and any command in progress.
  void clear() noexcept;

 private:
  enum class state {
    line,            // reading a command line
    await_decision,  // literal_request reported
    literal,         // copying literal bytes into the command
    overlong,        // discarding an overlong line; reported at its LF
    skip_literal,    // skipping a literal of a dropped command
    drop_line,       // skipping the rest of a dropped command, silently
  };
  struct marker {
    bool found = false;
    bool valid = true;  // false: "{...}" whose size is not a number64
    std::uint64_t size = 0;
    bool sync = true;
    bool binary = false;
  };
  [[nodiscard]] static marker find_marker(std::string_view line) noexcept;

  [[nodiscard]] event on_line(std::string_view content, std::string_view ending);
  [[nodiscard]] event error(std::string message, core::errc code);
  // Skips the bytes of a dropped non-synchronizing literal (and the rest of its command)
  // or, for any other marker, ends the dropped command.
  void drop_after(marker m);
  void reset_command() noexcept;
  void keep_tail(std::string_view bytes);
  void compact() noexcept;

  reader_limits limits_{};
  state state_ = state::line;
  std::string buf_;
  std::size_t pos_ = 0;      // first byte not yet used
  std::size_t scanned_ = 0;  // bytes after pos_ known to hold no LF
  std::string cmd_;          // the command so far
  bool in_command_ = false;  // a first line has been taken
  bool empty_lines_ = false;  // see set_empty_lines()
  std::string tag_;
  std::size_t literals_ = 0;
  std::uint64_t remaining_ = 0;  // literal bytes to copy or skip
  marker pending_;               // the literal awaiting the session's decision
  std::string tail_;             // the last bytes of a line being discarded
};

}  // namespace letterhead::imap::proto
