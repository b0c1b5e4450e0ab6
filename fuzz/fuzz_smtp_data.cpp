// Fuzzes data_reader, the DATA body reader that stands between a client and every
// message we accept (SMTP smuggling, CVE-2023-51764/51765/51766).
//
// Input: two bytes of size limit, one byte of split seed, then the body bytes.
// Checks, for random splits: consumed <= input, the kept message <= the limit, done
// stays done, and the result equals an independent model of RFC 5321 §4.1.1.4 and
// §4.5.2 (the end is the first <CRLF>.<CRLF>, the body start counting as a CRLF).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "smtp/proto/data_reader.hpp"

namespace proto = letterhead::smtp::proto;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

struct outcome {
  bool done = false;
  std::size_t consumed = 0;
  std::string message;
  bool too_large = false;
  bool bare = false;
  bool long_lines = false;
  bool eight_bit = false;
  bool nul = false;
  std::uint64_t size = 0;
  bool operator==(const outcome&) const = default;
};

outcome model(std::string_view input, std::uint64_t max_size) {
  outcome o;
  const std::string prefixed = "\r\n" + std::string(input);
  const std::size_t end = prefixed.find("\r\n.\r\n");
  std::string_view raw = input;
  if (end != std::string::npos) {
    o.done = true;
    o.consumed = end + 3;
    raw = input.substr(0, end);
  } else {
    o.consumed = input.size();
    if (raw.ends_with('\r')) raw.remove_suffix(1);  // pending: may start a CRLF
  }
  std::string message;
  std::size_t start = 0;
  while (true) {
    const std::size_t crlf = raw.find("\r\n", start);
    std::string_view line = raw.substr(start, crlf == std::string_view::npos ? raw.npos : crlf - start);
    if (line.starts_with('.')) line.remove_prefix(1);
    if (line.size() > proto::max_text_line_length) o.long_lines = true;
    message += line;
    if (crlf == std::string_view::npos) break;
    message += "\r\n";
    start = crlf + 2;
  }
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && (i + 1 == raw.size() || raw[i + 1] != '\n')) o.bare = true;
    if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) o.bare = true;
  }
  for (char c : message) {
    if (static_cast<unsigned char>(c) >= 0x80) o.eight_bit = true;
    if (c == '\0') o.nul = true;
  }
  o.size = message.size();
  o.too_large = o.size > max_size;
  if (!o.too_large) o.message = std::move(message);
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::uint64_t max_size = data[0] | (static_cast<std::uint64_t>(data[1]) << 8);
  std::uint32_t seed = data[2];
  const std::string_view in(reinterpret_cast<const char*>(data) + 3, size - 3);

  proto::data_reader r(max_size);
  outcome got;
  std::size_t pos = 0;
  while (true) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t n = std::min<std::size_t>(in.size() - pos, (seed >> 16) % 64);
    const std::string_view piece = in.substr(pos, n);
    std::size_t consumed = 0;
    const auto status = r.feed(piece, consumed);
    check(consumed <= piece.size());
    got.consumed += consumed;
    got.message += r.take_message();
    check(got.message.size() <= max_size);
    if (status == proto::data_status::done) {
      check(r.done());
      // Done stays done and takes nothing more.
      check(r.feed(in.substr(pos + consumed), consumed) == proto::data_status::done && consumed == 0);
      check(r.take_message().empty());
      got.done = true;
      break;
    }
    check(consumed == piece.size() && !r.done());
    pos += n;
    if (pos == in.size()) break;
  }
  got.too_large = r.too_large();
  if (got.too_large) got.message.clear();
  got.bare = r.bare_line_ending();
  got.long_lines = r.long_lines();
  got.eight_bit = r.has_8bit();
  got.nul = r.has_nul();
  got.size = r.size();
  check(got == model(in, max_size));
  return 0;
}
