#include "smtp/proto/data_writer.hpp"

namespace letterhead::smtp::proto {

std::string dot_stuff(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64 + 5);
  bool line_start = true;
  std::size_t pos = 0;
  while (pos < message.size()) {
    if (line_start && message[pos] == '.') out.push_back('.');
    const auto lf = message.find('\n', pos);
    const auto end = lf == std::string_view::npos ? message.size() : lf + 1;
    out.append(message.substr(pos, end - pos));
    line_start = lf != std::string_view::npos;
    pos = end;
  }
  if (!message.empty() && !message.ends_with("\r\n")) {
    // A final bare CR or unterminated line: end it so ".\r\n" starts a line.
    if (out.ends_with('\r')) {
      out.push_back('\n');
    } else {
      out += "\r\n";
    }
  }
  out += ".\r\n";
  return out;
}

}  // namespace letterhead::smtp::proto
