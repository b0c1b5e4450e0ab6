#include "http/response_writer.hpp"

#include <ctime>
#include <string_view>

#include <fmt/format.h>

namespace letterhead::http {
namespace {

// Fields every response carries unless the handler gives its own value.
constexpr std::pair<std::string_view, std::string_view> security_fields[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
};

// A field value from a handler can never end the field early (response splitting).
std::string field_text(std::string_view v) {
  std::string out(v);
  for (auto& c : out) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';
  }
  return out;
}

bool handler_sets(const response& r, std::string_view name) {
  for (const auto& f : r.headers) {
    if (iequals(f.name, name)) return true;
  }
  return false;
}

bool reserved(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Date") || iequals(name, "Connection") ||
         iequals(name, "Transfer-Encoding") || iequals(name, "Content-Type");
}

}  // namespace

std::string http_date(std::chrono::system_clock::time_point t) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", days[tm.tm_wday], tm.tm_mday,
                     months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string serialize(const response& r, const write_options& o) {
  std::string out;
  out.reserve(256 + r.body.size());
  const auto reason = reason_phrase(r.status);
  out += fmt::format("HTTP/1.1 {} {}\r\n", r.status, reason.empty() ? "Unknown" : reason);
  out += fmt::format("Date: {}\r\n", http_date(o.now));
  // RFC 9110 §15.3.5, §15.4.5: 204 and 304 have no content.
  const bool no_content = r.status == 204 || r.status == 304 || r.status < 200;
  if (!no_content) {
    if (!r.content_type.empty()) out += fmt::format("Content-Type: {}\r\n", field_text(r.content_type));
    out += fmt::format("Content-Length: {}\r\n", r.body.size());
  }
  if (o.close) {
    out += "Connection: close\r\n";
  } else if (o.request_version == 10) {
    // An HTTP/1.0 client asked for keep-alive: confirm it (RFC 9112 §C.2.2).
    out += "Connection: keep-alive\r\n";
  }
  for (const auto& [name, value] : security_fields) {
    if (!handler_sets(r, name)) out += fmt::format("{}: {}\r\n", name, value);
  }
  for (const auto& f : r.headers) {
    if (reserved(f.name)) continue;
    out += fmt::format("{}: {}\r\n", field_text(f.name), field_text(f.value));
  }
  out += "\r\n";
  if (!o.head && !no_content) out += r.body;
  return out;
}

}  // namespace letterhead::http
