#include "http/request_reader.hpp"

#include <optional>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace letterhead::http {

namespace beast_http = boost::beast::http;
namespace urls = boost::urls;

namespace {

constexpr std::size_t header_slack = 16;

// Does the request line end in "HTTP/d.d" with a major version other than 1?
bool other_http_version(std::string_view buffer) {
  const auto eol = buffer.find("\r\n");
  if (eol == std::string_view::npos || eol < 9) return false;
  const auto v = buffer.substr(eol - 9, 9);
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  return v.starts_with(" HTTP/") && digit(v[6]) && v[7] == '.' && digit(v[8]) && v[6] != '1';
}

}  // namespace

struct request_reader::impl {
  std::optional<beast_http::request_parser<beast_http::string_body>> parser;
  bool keep_alive = false;

  void make(const reader_limits& l) {
    parser.emplace();
    // Beast's own limit, a little above ours: near its limit Beast's answer depends
    // on how the bytes were split (it refuses once its resume point is 4 octets from
    // the limit), so feed() enforces header_size exactly itself.
    parser->header_limit(static_cast<std::uint32_t>(l.header_size + header_slack));
    parser->body_limit(static_cast<std::uint64_t>(l.body_size));
    // Stop after the header, so that check_header() sees it before any body byte is
    // parsed; feed() then turns eager on for the body.
    parser->eager(false);
  }
};

request_reader::request_reader(reader_limits limits) : impl_(std::make_unique<impl>()), limits_(limits) {
  impl_->make(limits_);
}
request_reader::~request_reader() = default;
request_reader::request_reader(request_reader&&) noexcept = default;
request_reader& request_reader::operator=(request_reader&&) noexcept = default;

void request_reader::reset() {
  impl_->make(limits_);
  impl_->keep_alive = false;
  request_ = {};
  error_status_ = 0;
  error_reason_.clear();
  started_ = false;
  header_bytes_ = 0;
  continue_pending_ = false;
  header_checked_ = false;
  state_ = read_state::need_more;
}

read_state request_reader::fail(unsigned status, std::string reason) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  state_ = read_state::error;
  return state_;
}

read_state request_reader::feed(std::string& buffer) {
  if (state_ != read_state::need_more) return state_;
  if (!buffer.empty()) started_ = true;
  while (!buffer.empty()) {
    boost::system::error_code ec;
    // Beast leaves an unfinished header (beyond the request line) in the buffer and
    // re-reads it from the front on the next call.
    const bool header_pending = !impl_->parser->is_header_done();
    const auto n = impl_->parser->put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
    // Beast may consume the request line before the rest of the header; with eager
    // off, the put() that completes the header stops at its end.
    if (header_pending) header_bytes_ += n;
    if (header_pending && impl_->parser->is_header_done() && header_bytes_ > limits_.header_size) {
      return fail(431, "request header too large");
    }
    buffer.erase(0, n);
    if (ec == beast_http::error::need_more) {
      if (header_pending && header_bytes_ + buffer.size() > limits_.header_size) {
        return fail(431, "request header too large");
      }
      break;
    }
    if (ec == beast_http::error::header_limit) {
      // RFC 9110 §15.5.20 (via RFC 6585 §5).
      return fail(431, "request header too large");
    }
    if (ec == beast_http::error::body_limit) return fail(413, "request body too large");  // RFC 9110 §15.5.14
    if (ec == beast_http::error::bad_version && other_http_version(buffer)) {
      // RFC 9110 §15.6.6: a well-formed version we do not speak (Beast reads 1.x only).
      return fail(505, "unsupported HTTP version");
    }
    if (ec) return fail(400, ec.message());
    if (impl_->parser->is_header_done() && !header_checked_) {
      if (check_header() == read_state::error) return state_;
      impl_->parser->eager(true);
    }
    if (impl_->parser->is_done()) return finish_request();
    if (n == 0) break;
  }
  return state_;
}

read_state request_reader::check_header() {
  header_checked_ = true;
  const auto& msg = impl_->parser->get();
  // RFC 9110 §2.5: any HTTP/1.x is answered as HTTP/1.1; other majors are refused.
  if (msg.version() < 10 || msg.version() >= 20) return fail(505, "unsupported HTTP version");
  // RFC 9110 §9.1: a method the server does not recognise is 501.
  if (msg.method() == beast_http::verb::unknown) return fail(501, "unknown method");
  // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
  const auto hosts = msg.count(beast_http::field::host);
  if ((msg.version() >= 11 && hosts != 1) || hosts > 1) return fail(400, "missing or repeated Host");
  // RFC 9112 §6.3 ¶3: Transfer-Encoding together with Content-Length is an attack or a
  // mistake; either way the framing cannot be trusted.
  if (msg.count(beast_http::field::transfer_encoding) > 0 && msg.count(beast_http::field::content_length) > 0) {
    return fail(400, "both Transfer-Encoding and Content-Length");
  }
  // RFC 9110 §15.5.12: we take bodies with a Content-Length only. Every client of
  // ours sends one, and Beast 1.81's chunk parser asserts on some malformed chunk
  // trailers fed in pieces (found by fuzz/fuzz_http_request.cpp).
  // todo: chunked request bodies, if a JMAP client ever streams an upload.
  if (msg.count(beast_http::field::transfer_encoding) > 0) return fail(411, "Transfer-Encoding in a request");
  request_.target = std::string(msg.target());
  if (auto r = parse_target(request_.target, request_); !r) return fail(400, r.error().message);
  // RFC 9110 §10.1.1: answer 100 (Continue) only when a body is still to come.
  const auto expect = msg[beast_http::field::expect];
  if (iequals(expect, "100-continue") && !impl_->parser->is_done()) continue_pending_ = true;
  return state_;
}

read_state request_reader::finish_request() {
  auto& msg = impl_->parser->get();
  request_.method = std::string(msg.method_string());
  request_.version = msg.version() == 10 ? 10 : 11;
  request_.headers.clear();
  for (const auto& f : msg) {
    request_.headers.push_back({std::string(f.name_string()), std::string(f.value())});
  }
  request_.body = std::move(msg.body());
  impl_->keep_alive = impl_->parser->keep_alive();
  continue_pending_ = false;
  state_ = read_state::done;
  return state_;
}

read_state request_reader::finish() {
  if (state_ != read_state::need_more) return state_;
  if (started_) return fail(400, "connection closed in the middle of a request");
  return state_;
}

request request_reader::take() { return std::move(request_); }

bool request_reader::keep_alive() const { return impl_->keep_alive; }

bool request_reader::take_continue() noexcept {
  const bool c = continue_pending_;
  continue_pending_ = false;
  return c;
}

core::result<void> parse_target(std::string_view target, request& out) {
  out.query.clear();
  // RFC 9112 §3.2.4: asterisk-form, for OPTIONS to the server as a whole.
  if (target == "*") {
    out.path = "*";
    return {};
  }
  // RFC 9112 §3.2.1 origin-form; §3.2.2: a server must accept absolute-form too.
  auto parsed = (!target.empty() && target.front() == '/') ? urls::parse_origin_form(target)
                                                           : urls::parse_absolute_uri(target);
  if (!parsed) return core::fail(core::errc::invalid, "malformed request-target");
  // Dot segments removed from the decoded segments (RFC 3986 §5.2.4, after decoding
  // as §6.2.2.2 allows), by hand: url::normalize_path() in Boost.URL 1.81 leaves
  // stray bytes at the end of the path.
  std::vector<std::string> segments;
  bool trailing_slash = false;
  for (auto seg : parsed->segments()) {
    std::string text = seg;
    trailing_slash = false;
    if (text == ".") {
      trailing_slash = true;
    } else if (text == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = true;
    } else {
      segments.push_back(std::move(text));
    }
  }
  out.path = "/";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.path += '/';
    out.path += segments[i];
  }
  if (trailing_slash && !segments.empty()) out.path += '/';
  if (out.path.find('\0') != std::string::npos) {
    return core::fail(core::errc::invalid, "NUL in the request path");
  }
  for (const auto& p : parsed->params(urls::encoding_opts(true, false, false))) {
    out.query.emplace_back(p.key, p.value);
  }
  return {};
}

}  // namespace letterhead::http
