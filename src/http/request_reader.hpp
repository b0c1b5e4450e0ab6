#pragma once
// Reading HTTP/1.1 requests without I/O (RFC 9112): the session appends the bytes it
// receives to a buffer and calls feed(), which consumes what it parsed and says
// need_more, done or error (with the status to answer). Beast's request parser does
// the grammar, so this header keeps Beast out of everything that includes it.
//
// SECURITY (what a client controls, before any authentication)
// - The request line plus header fields are at most `header_size` octets (431
//   beyond), the body at most `body_size` (413 beyond, known from Content-Length
//   before the body is read); memory held is bounded by these plus one read.
// - A body framed by both Content-Length and chunked, duplicate differing
//   Content-Length fields, a missing or repeated Host in HTTP/1.1 (RFC 9112 §3.2),
//   or a malformed request-target are 400: no request smuggling through a proxy.
//   A request with Transfer-Encoding (chunked) is 411: bodies need Content-Length.
// - The header is checked before any body byte is parsed.
// - Bytes after a complete request stay in the buffer for the next (pipelining,
//   RFC 9112 §9.3.2); after an error the connection must be closed.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace letterhead::http {

struct reader_limits {
  std::size_t header_size = 16 * 1024;
  std::size_t body_size = 1024 * 1024;
};

enum class read_state { need_more, done, error };

class request_reader {
 public:
  explicit request_reader(reader_limits limits);
  ~request_reader();
  request_reader(request_reader&&) noexcept;
  request_reader& operator=(request_reader&&) noexcept;

  // Parses what it can from the front of `buffer` and erases it there.
  [[nodiscard]] read_state feed(std::string& buffer);

  // The peer closed its side: a request cut short becomes an error (400).
  [[nodiscard]] read_state finish();

  // After done: the request (method, target, path, query, headers, body, version).
  // client_ip and tls are left for the session to fill in.
  [[nodiscard]] request take();
  // After done: whether the connection may carry another request (RFC 9112 §9.3).
  [[nodiscard]] bool keep_alive() const;

  // After error: the status to answer (400, 411, 413, 431, 501 or 505) and why.
  [[nodiscard]] unsigned error_status() const noexcept { return error_status_; }
  [[nodiscard]] const std::string& error_reason() const noexcept { return error_reason_; }

  // True once, when the header asked for "Expect: 100-continue" and the body has not
  // begun (RFC 9110 §10.1.1): the session then sends a 100 (Continue) interim reply.
  [[nodiscard]] bool take_continue() noexcept;

  // True when any byte of the current request has been consumed.
  [[nodiscard]] bool started() const noexcept { return started_; }

  // Forgets the request and gets ready for the next one on the same connection.
  void reset();

 private:
  read_state fail(unsigned status, std::string reason);
  read_state check_header();
  read_state finish_request();

  struct impl;
  std::unique_ptr<impl> impl_;
  reader_limits limits_;
  request request_;
  unsigned error_status_ = 0;
  std::string error_reason_;
  bool started_ = false;
  std::size_t header_bytes_ = 0;  // of the current request, consumed by the parser so far
  bool continue_pending_ = false;
  bool header_checked_ = false;
  read_state state_ = read_state::need_more;
};

// Splits a request-target (RFC 9112 §3.2: origin-form, absolute-form or "*") into
// the decoded path, with dot segments removed (RFC 3986 §5.2.4), and the decoded query
// parameters ("+" as space, as HTML forms send them). errc::invalid when malformed
// or when the path decodes to a NUL.
[[nodiscard]] core::result<void> parse_target(std::string_view target, request& out);

}  // namespace letterhead::http
