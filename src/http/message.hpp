#pragma once
// What a handler sees and returns: a complete request (line, header fields, body,
// who sent it) and a complete response. No Beast or Asio here: handlers and their
// tests include only this and router.hpp.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace letterhead::http {

struct header_field {
  std::string name;
  std::string value;
};

struct request {
  std::string method;  // as sent, case-sensitive (RFC 9110 §9.1): "GET", "POST", ...
  std::string target;  // the request-target as sent, e.g. "/mail/config-v1.1.xml?emailaddress=..."
  std::string path;    // percent-decoded path with dot segments removed, e.g. "/mail/config-v1.1.xml"
  std::vector<std::pair<std::string, std::string>> query;  // decoded name/value pairs, in order
  std::vector<header_field> headers;                       // in order, names as sent
  std::string body;
  unsigned version = 11;  // 10 or 11
  std::string client_ip;
  bool tls = false;

  // The first field of that name (names compare case-insensitively, RFC 9110 §5.1).
  [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const;
  // The first query parameter of that name (case-sensitive).
  [[nodiscard]] std::optional<std::string_view> query_param(std::string_view name) const;
};

struct response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  // Extra fields. Content-Length, Date and Connection are the server's; a field named
  // here replaces a default security field of the same name.
  std::vector<header_field> headers;
  std::string body;
  // Wait this long before sending the answer (brute-force delay after a failed
  // login). The session waits on a timer, holding no thread.
  std::chrono::milliseconds delay{0};
};

// A short plain-text answer for a status, in English and Simplified Chinese.
[[nodiscard]] response error_response(unsigned status);

// "Not Found" for 404, and so on; "" for a code we never send.
[[nodiscard]] std::string_view reason_phrase(unsigned status) noexcept;

[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace letterhead::http
