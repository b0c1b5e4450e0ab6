// Fuzzes what an HTTP client sends before any authentication: request_reader (Beast's
// parser behind our limits), parse_target (Boost.URL), and the autodiscover scan.
//
// Input: one control byte (split seed and small-limits switch), then the byte stream.
// Checks: the same stream split differently yields the same complete requests (Beast
// may notice malformed input earlier with some splits than others, so whether and
// how the stream's last, unfinished request fails is not compared); the buffer held never exceeds the header limit plus one read while a header
// is pending; a request's header and body stay within the limits; errors carry one
// of the statuses we answer; decoded paths begin with "/" (or are "*") and hold no NUL.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/autoconfig/documents.hpp"
#include "http/request_reader.hpp"

namespace http = letterhead::http;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct event {
  std::string method, target, path, body;
  std::size_t headers = 0;
  unsigned status = 0;
  bool operator==(const event&) const = default;
};

std::vector<event> run(std::string_view data, std::size_t chunk, const http::reader_limits& limits) {
  std::vector<event> out;
  http::request_reader reader(limits);
  std::string buf;
  std::size_t at = 0;
  while (at < data.size()) {
    const auto n = std::min(chunk, data.size() - at);
    buf.append(data.substr(at, n));
    at += n;
    for (;;) {
      const auto state = reader.feed(buf);
      if (state == http::read_state::need_more) {
        // Held bytes are bounded: a pending header never grows past its limit plus
        // one read, and body bytes are consumed as they come.
        check(buf.size() <= limits.header_size + chunk);
        break;
      }
      if (state == http::read_state::error) {
        const auto s = reader.error_status();
        check(s == 400 || s == 411 || s == 413 || s == 431 || s == 501 || s == 505);
        return out;
      }
      auto req = reader.take();
      std::size_t header_bytes = req.method.size() + req.target.size();
      for (const auto& h : req.headers) header_bytes += h.name.size() + h.value.size();
      check(header_bytes <= limits.header_size);
      check(req.body.size() <= limits.body_size);
      check(req.path == "*" || (!req.path.empty() && req.path.front() == '/'));
      check(req.path.find('\0') == std::string::npos);
      (void)http::autoconfig::autodiscover_request_address(req.body);
      out.push_back(event{req.method, req.target, req.path, req.body, req.headers.size(), 0});
      if (!reader.keep_alive()) return out;
      reader.reset();
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned control = data[0];
  const std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);
  const http::reader_limits limits = (control & 0x80) ? http::reader_limits{1024, 1024} : http::reader_limits{};
  const std::size_t chunk = 1 + (control & 0x3f);
  const auto whole = run(stream, stream.size() + 1, limits);
  const auto split = run(stream, chunk, limits);
  check(whole == split);

  http::request target_check;
  if (http::parse_target(stream.substr(0, 512), target_check)) {
    check(target_check.path == "*" || target_check.path.front() == '/');
  }
  return 0;
}
