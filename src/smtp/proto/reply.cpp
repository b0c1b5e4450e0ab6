#include "smtp/proto/reply.hpp"

#include <cassert>
#include <utility>

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

namespace {

// Length of an RFC 3463 §2 status code at the start of s, followed by SP or the end;
// 0 when there is none.
std::size_t enhanced_prefix_length(std::string_view s) noexcept {
  if (s.size() < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.') return 0;
  std::size_t i = 2;
  for (int part = 0; part < 2; ++part) {
    std::size_t digits = 0;
    while (i < s.size() && detail::is_digit(s[i]) && digits < 4) {
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3) return 0;
    if (part == 0) {
      if (i >= s.size() || s[i] != '.') return 0;
      ++i;
    }
  }
  if (i < s.size() && s[i] != ' ') return 0;
  return i;
}

void append_sanitised(std::string& out, std::string_view text, std::size_t room) {
  for (char c : text) {
    if (room == 0) return;
    auto u = static_cast<unsigned char>(c);
    if (c == '\t') {
      out.push_back(' ');
    } else if (u < 0x20 || u >= 0x7f) {
      out.push_back('?');
    } else {
      out.push_back(c);
    }
    --room;
  }
}

// RFC 5321 §4.2.1 Reply-line: Reply-code ("-" / SP) [ textstring ] CRLF.
void append_line(std::string& out, int code, bool last, std::string_view enhanced, std::string_view text) {
  if (text.ends_with('\r')) text.remove_suffix(1);
  const std::size_t begin = out.size();
  out.push_back(static_cast<char>('0' + code / 100));
  out.push_back(static_cast<char>('0' + code / 10 % 10));
  out.push_back(static_cast<char>('0' + code % 10));
  if (!last) {
    out.push_back('-');
  } else if (!enhanced.empty() || !text.empty()) {
    out.push_back(' ');
  }
  if (!enhanced.empty()) {
    out += enhanced;
    if (!text.empty()) out.push_back(' ');
  }
  const std::size_t used = out.size() - begin + 2;  // + CRLF
  append_sanitised(out, text, used < max_reply_line_length ? max_reply_line_length - used : 0);
  out += "\r\n";
}

}  // namespace

bool is_enhanced_code(std::string_view s) noexcept {
  return !s.empty() && enhanced_prefix_length(s) == s.size();
}

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  assert(code >= 200 && code <= 599);
  assert(enhanced.empty() || (is_enhanced_code(enhanced) && enhanced[0] == '0' + code / 100));
  if (code < 200 || code > 599) code = 451;  // release builds: still a well-formed reply
  if (text.ends_with('\n')) text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() + 16);
  while (true) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      append_line(out, code, true, enhanced, text);
      return out;
    }
    append_line(out, code, false, enhanced, text.substr(0, nl));
    text.remove_prefix(nl + 1);
  }
}

std::string ehlo_reply(std::string_view hostname, std::string_view greeting_name,
                       const std::vector<std::string>& keywords) {
  // RFC 5321 §4.1.1.1: "250" SP/"-" Domain [ SP ehlo-greet ], then one ehlo-line each.
  std::string first(hostname);
  if (!greeting_name.empty()) {
    first += " Hello ";
    first += greeting_name;  // sanitised by append_line like all text
  }
  std::string out;
  append_line(out, 250, keywords.empty(), {}, first);
  for (std::size_t i = 0; i < keywords.size(); ++i) {
    append_line(out, 250, i + 1 == keywords.size(), {}, keywords[i]);
  }
  return out;
}

std::string reply::text() const {
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out.push_back('\n');
    out += lines[i];
  }
  return out;
}

reply_reader::reply_reader(const reply_reader_options& options)
    : options_(options),
      lines_(line_reader_options{.max_length = options.max_line_length,
                                 .max_auth_length = options.max_line_length}) {}

void reply_reader::feed(std::string_view bytes) { lines_.feed(bytes); }

void reply_reader::clear() noexcept {
  lines_.clear();
  partial_ = reply{};
  failed_ = false;
}

core::result<std::optional<reply>> reply_reader::next() {
  using core::errc;
  if (failed_) return core::fail(errc::invalid, "Malformed reply");
  auto failed = [this](std::string message) {
    failed_ = true;
    return core::fail(errc::invalid, std::move(message));
  };
  std::string line;
  while (true) {
    switch (lines_.next(line)) {
      case line_status::need_more:
        return std::nullopt;
      case line_status::too_long:
        return failed("Reply line too long");
      case line_status::line:
        break;
    }
    // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39; tolerant of any 2nd digit.
    if (line.size() < 3 || line[0] < '2' || line[0] > '5' || !detail::is_digit(line[1]) ||
        !detail::is_digit(line[2])) {
      return failed("Malformed reply code");
    }
    const char sep = line.size() == 3 ? ' ' : line[3];
    if (sep != ' ' && sep != '-') return failed("Malformed reply code");
    const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    std::string_view text = line.size() > 4 ? std::string_view(line).substr(4) : std::string_view{};
    if (partial_.lines.empty()) {
      partial_.code = code;
      // RFC 2034 §4: the enhanced code follows the reply code, same class.
      std::size_t n = enhanced_prefix_length(text);
      if (n > 0 && text[0] == line[0]) {
        partial_.enhanced = std::string(text.substr(0, n));
        text.remove_prefix(n);
        if (!text.empty()) text.remove_prefix(1);
      }
    } else {
      // RFC 5321 §4.2.1: every line of a multiline reply carries the same code.
      if (code != partial_.code) return failed("Reply code changed within a reply");
      std::size_t n = enhanced_prefix_length(text);
      if (n > 0 && !partial_.enhanced.empty() && text.substr(0, n) == partial_.enhanced) {
        text.remove_prefix(n);
        if (!text.empty()) text.remove_prefix(1);
      }
    }
    partial_.lines.emplace_back(text);
    if (sep == ' ') return std::exchange(partial_, reply{});
    if (partial_.lines.size() >= options_.max_lines) return failed("Too many lines in reply");
  }
}

}  // namespace letterhead::smtp::proto
