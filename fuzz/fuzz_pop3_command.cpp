// Fuzzes what a POP3 client sends and what a stored message may hold: line_reader,
// parse_command, the SASL decoders, response formatting and dot-stuffing.
//
// Input: one control byte (split seed), then the byte stream.
// Checks: splitting the stream differently changes no event; the reader stays
// bounded; parsed values hold no control characters; ok()/err() always give exactly
// one line; a multi-line body, read back the way a client does, ends only at our
// terminator and gives back the input with line ends made CRLF.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pop3/proto/command.hpp"
#include "pop3/proto/line_reader.hpp"
#include "pop3/proto/response.hpp"
#include "pop3/proto/sasl.hpp"

namespace proto = letterhead::pop3::proto;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

std::vector<std::size_t> cuts_for(std::size_t size, std::uint32_t seed) {
  std::vector<std::size_t> cuts;
  std::size_t pos = 0;
  while (true) {
    seed = seed * 1103515245u + 12345u;
    pos += 1 + (seed >> 16) % 17;
    if (pos >= size) return cuts;
    cuts.push_back(pos);
  }
}

std::vector<std::string> lines_of(std::string_view in, const std::vector<std::size_t>& cuts) {
  proto::line_reader r;
  std::vector<std::string> out;
  std::size_t prev = 0;
  auto drain = [&](std::size_t fed) {
    while (auto ev = r.next()) {
      check(ev->too_long || ev->text.size() + 2 <= proto::max_command_length);
      out.push_back(ev->too_long ? std::string("\x01too long") : ev->text);
    }
    check(r.buffered_size() <= proto::max_command_length + fed);
  };
  for (std::size_t cut : cuts) {
    r.feed(in.substr(prev, cut - prev));
    drain(cut - prev);
    prev = cut;
  }
  r.feed(in.substr(prev));
  drain(in.size() - prev);
  return out;
}

void check_one_line(const std::string& wire) {
  check(wire.size() <= proto::max_response_length && wire.ends_with("\r\n"));
  check(!has_control(std::string_view(wire).substr(0, wire.size() - 2)));
}

void check_command(const std::string& line) {
  auto cmd = proto::parse_command(line);
  if (!cmd) {
    check(cmd.error().code == letterhead::core::errc::invalid);
    check(!cmd.error().message.empty() && !has_control(cmd.error().message));
    check_one_line(proto::err(cmd.error().message));
    return;
  }
  check(!has_control(cmd->argument) && !has_control(cmd->mechanism));
  check(cmd->mechanism.size() <= proto::max_mechanism_length);
  if (cmd->v == proto::verb::user) check(!cmd->argument.empty() && cmd->argument.find(' ') == std::string::npos);
  if (cmd->v == proto::verb::pass) check(!cmd->argument.empty());
  if (cmd->v == proto::verb::retr || cmd->v == proto::verb::dele || cmd->v == proto::verb::top) {
    check(cmd->message.has_value());
  }
  if (cmd->initial_response) {
    if (auto plain = proto::decode_plain(*cmd->initial_response)) {
      check(!plain->authcid.empty() && !plain->password.empty());
    }
  }
  check_one_line(proto::ok(line));
  check_one_line(proto::err(line, proto::resp_code::auth));
}

// Reads a multi-line body back as a client does (lines split at LF, one leading dot
// removed, the line "." ends it) and checks it against the input.
void check_multiline(std::string_view in, const std::vector<std::size_t>& cuts) {
  std::string wire;
  proto::multiline_writer w;
  std::size_t prev = 0;
  for (std::size_t cut : cuts) {
    w.append(in.substr(prev, cut - prev), wire);
    prev = cut;
  }
  w.append(in.substr(prev), wire);
  w.finish(wire);
  check(wire == proto::multiline(in));

  std::string expected;  // the input with every LF made CRLF, and a final CRLF
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) expected += '\r';
    expected += in[i];
  }
  if (!expected.empty() && !expected.ends_with("\r\n")) expected += expected.ends_with('\r') ? "\n" : "\r\n";

  std::string got;
  std::size_t pos = 0;
  bool ended = false;
  while (pos < wire.size()) {
    const std::size_t lf = wire.find('\n', pos);
    check(lf != std::string::npos && lf > pos && wire[lf - 1] == '\r');  // every line ends in CRLF
    std::string_view line = std::string_view(wire).substr(pos, lf + 1 - pos);
    pos = lf + 1;
    if (line == ".\r\n") {
      ended = true;
      break;
    }
    if (line.starts_with('.')) {
      check(line.size() > 3 && line[1] == '.');
      line.remove_prefix(1);
    }
    got += line;
  }
  check(ended && pos == wire.size() && got == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  const auto whole = lines_of(in, {});
  check(lines_of(in, cuts_for(in.size(), control)) == whole);
  for (const auto& line : whole) {
    if (line != "\x01too long") check_command(line);
  }
  if (auto b = proto::base64_decode(in)) check(proto::base64_encode(*b) == in);
  (void)proto::decode_plain(in);

  check_multiline(in, cuts_for(in.size(), control + 1u));
  check(proto::top_length(in, control) <= in.size());
  return 0;
}
