#pragma once
// Serialises a response (RFC 9112 §4, §6): status line, Date (RFC 9110 §6.6.1),
// Content-Type and Content-Length, Connection, the handler's fields and the security
// fields every response carries. No Server field: the version stays private.

#include <chrono>
#include <string>

#include "http/message.hpp"

namespace letterhead::http {

struct write_options {
  bool head = false;         // a HEAD request: fields as for GET, no body (RFC 9110 §9.3.2)
  bool close = false;        // "Connection: close" and the server closes after this
  unsigned request_version = 11;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

[[nodiscard]] std::string serialize(const response& r, const write_options& o);

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
[[nodiscard]] std::string http_date(std::chrono::system_clock::time_point t);

}  // namespace letterhead::http
