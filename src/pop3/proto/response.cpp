#include "pop3/proto/response.hpp"

namespace letterhead::pop3::proto {

namespace {

void append_text(std::string& out, std::string_view text) {
  const std::size_t room = max_response_length - 2;  // the CRLF
  for (char c : text) {
    if (out.size() >= room) break;
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  out += "\r\n";
}

}  // namespace

std::string_view to_string(resp_code c) noexcept {
  switch (c) {
    case resp_code::none: return "";
    case resp_code::auth: return "AUTH";
    case resp_code::sys_temp: return "SYS/TEMP";
    case resp_code::sys_perm: return "SYS/PERM";
    case resp_code::login_delay: return "LOGIN-DELAY";
    case resp_code::in_use: return "IN-USE";
  }
  return "";
}

std::string ok(std::string_view text) {
  std::string out = text.empty() ? "+OK" : "+OK ";
  append_text(out, text);
  return out;
}

std::string err(std::string_view text, resp_code code) {
  std::string out = "-ERR";
  if (code != resp_code::none) {
    // RFC 2449 §8: the code comes first, in brackets.
    out += " [";
    out += to_string(code);
    out += "]";
  }
  if (!text.empty()) out += ' ';
  append_text(out, text);
  return out;
}

void multiline_writer::append(std::string_view bytes, std::string& out) {
  out.reserve(out.size() + bytes.size() + bytes.size() / 32 + 8);
  for (char c : bytes) {
    if (c == '\n') {
      if (!after_cr_) out.push_back('\r');
      out.push_back('\n');
      line_start_ = true;
      after_cr_ = false;
      continue;
    }
    // RFC 1939 §3: a line starting with the termination octet is byte-stuffed.
    if (line_start_ && c == '.') out.push_back('.');
    out.push_back(c);
    line_start_ = false;
    after_cr_ = c == '\r';
  }
}

void multiline_writer::finish(std::string& out) {
  if (!line_start_) out += after_cr_ ? "\n" : "\r\n";
  out += ".\r\n";
  line_start_ = true;
  after_cr_ = false;
}

std::string multiline(std::string_view bytes) {
  std::string out;
  multiline_writer w;
  w.append(bytes, out);
  w.finish(out);
  return out;
}

std::size_t top_length(std::string_view message, std::uint64_t lines) noexcept {
  // The header ends with the first empty line ("" or a lone CR before the LF).
  std::size_t pos = 0;
  bool found_blank = false;
  while (pos < message.size()) {
    const std::size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    const std::string_view line = message.substr(pos, lf - pos);
    pos = lf + 1;
    if (line.empty() || line == "\r") {
      found_blank = true;
      break;
    }
  }
  if (!found_blank) return message.size();
  for (std::uint64_t i = 0; i < lines && pos < message.size(); ++i) {
    const std::size_t lf = message.find('\n', pos);
    if (lf == std::string_view::npos) return message.size();
    pos = lf + 1;
  }
  return pos;
}

}  // namespace letterhead::pop3::proto
