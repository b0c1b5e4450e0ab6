// Fuzzes what an SMTP client sends before DATA: line_reader, parse_command and the
// helpers that take command values apart (addresses, xtext, AUTH PLAIN), plus
// reply_reader on the same bytes (what a server sends our client).
//
// Input: one control byte (limits, SMTPUTF8, split seed), then the byte stream.
// Checks: splitting the stream differently changes no event; parsed values hold no
// control characters and respect the RFC limits; what format_reply writes reads back
// as exactly one reply.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/proto/address.hpp"
#include "smtp/proto/auth.hpp"
#include "smtp/proto/base64.hpp"
#include "smtp/proto/command.hpp"
#include "smtp/proto/line_reader.hpp"
#include "smtp/proto/reply.hpp"
#include "smtp/proto/xtext.hpp"

namespace proto = letterhead::smtp::proto;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_control(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

// Cut points from a tiny LCG: deterministic per input.
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

std::vector<std::string> lines_of(std::string_view in, const std::vector<std::size_t>& cuts,
                                  const proto::line_reader_options& options) {
  proto::line_reader r(options);
  std::vector<std::string> out;
  std::size_t prev = 0;
  auto drain = [&] {
    std::string line;
    while (true) {
      auto st = r.next(line);
      if (st == proto::line_status::need_more) break;
      check(line.size() + 2 <= std::max(options.max_length, options.max_auth_length) ||
            st == proto::line_status::too_long);
      out.push_back(st == proto::line_status::too_long ? std::string("\x01too long") : line);
    }
    // Memory stays bounded by the limit plus what one feed adds.
    check(r.buffered().size() <= std::max(options.max_length, options.max_auth_length) + in.size());
  };
  for (std::size_t cut : cuts) {
    r.feed(in.substr(prev, cut - prev));
    drain();
    prev = cut;
  }
  r.feed(in.substr(prev));
  drain();
  return out;
}

std::vector<std::string> replies_of(std::string_view in, const std::vector<std::size_t>& cuts) {
  proto::reply_reader r(proto::reply_reader_options{.max_line_length = 200, .max_lines = 8});
  std::vector<std::string> out;
  bool failed = false;
  std::size_t prev = 0;
  auto drain = [&] {
    while (!failed) {
      auto rep = r.next();
      if (!rep) {
        out.push_back("error");
        failed = true;
        return;
      }
      if (!rep->has_value()) return;
      const auto& x = **rep;
      check(x.code >= 200 && x.code <= 599 && !x.lines.empty() && x.lines.size() <= 8);
      check(x.enhanced.empty() || proto::is_enhanced_code(x.enhanced));
      out.push_back(std::to_string(x.code) + x.enhanced + "|" + x.text());
    }
  };
  for (std::size_t cut : cuts) {
    r.feed(in.substr(prev, cut - prev));
    drain();
    prev = cut;
  }
  r.feed(in.substr(prev));
  drain();
  return out;
}

void check_one_reply(const std::string& wire, int code) {
  proto::reply_reader r;
  r.feed(wire);
  auto rep = r.next();
  check(rep.has_value() && rep->has_value() && (*rep)->code == code);
  check(!r.has_buffered());
  for (char c : wire) {
    check(c == '\r' || c == '\n' || !has_control(std::string_view(&c, 1)));
  }
}

void check_command(const std::string& line, const proto::parse_options& options) {
  auto cmd = proto::parse_command(line, options);
  if (!cmd) {
    check(cmd.error().code == letterhead::core::errc::invalid);
    check(!cmd.error().message.empty() && !has_control(cmd.error().message));
    check_one_reply(proto::format_reply(501, "5.5.4", cmd.error().message), 501);
    return;
  }
  // Nothing parsed can carry a control character (log and reply injection).
  check(!has_control(cmd->domain) && !has_control(cmd->path) && !has_control(cmd->argument));
  check(cmd->params.size() <= proto::max_esmtp_params);
  for (const auto& p : cmd->params) {
    check(!p.keyword.empty() && !has_control(p.keyword));
    for (char c : p.keyword) check(!(c >= 'a' && c <= 'z'));
    if (p.value) {
      check(!p.value->empty() && p.value->find('=') == std::string::npos && p.value->find(' ') == std::string::npos);
      (void)proto::xtext_decode(*p.value);
      (void)proto::parse_orcpt(*p.value);
    }
  }
  if (cmd->v == proto::verb::mail || cmd->v == proto::verb::rcpt) {
    check(cmd->null_path == cmd->path.empty());
    check(!cmd->null_path || cmd->v == proto::verb::mail);
    check(cmd->path.size() + 2 <= proto::max_path_length);
    if (!options.smtputf8) check(proto::is_ascii(cmd->path));
    if (!cmd->null_path) {
      auto split = proto::split_path(cmd->path, options);
      check(split.has_value());
      check(split->local.size() <= proto::max_local_part_length);
      // Writing the mailbox back and reading it again gives the same parts.
      auto again = proto::split_path(proto::to_path(*split), {.smtputf8 = true});
      check(again.has_value() && again->local == split->local && again->domain == split->domain);
    }
  }
  if (cmd->v == proto::verb::auth) {
    check(!cmd->auth_mechanism.empty() && cmd->auth_mechanism.size() <= 20);
    if (cmd->auth_initial_response && *cmd->auth_initial_response != "=") {
      auto decoded = proto::base64_decode(*cmd->auth_initial_response);
      // Strict base64: a decodable text is the canonical encoding of what it holds.
      if (decoded) check(proto::base64_encode(*decoded) == *cmd->auth_initial_response);
      auto plain = proto::decode_auth_plain(*cmd->auth_initial_response);
      if (plain) check(!plain->authcid.empty() && !plain->password.empty());
    }
  }
  if (cmd->v == proto::verb::helo || cmd->v == proto::verb::ehlo) {
    check(!cmd->domain.empty());
    check_one_reply(proto::ehlo_reply("mx.example", cmd->domain, {"PIPELINING", "8BITMIME"}), 250);
  }
  check_one_reply(proto::format_reply(250, "2.0.0", line), 250);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const proto::line_reader_options options{.max_length = 8 + (control & 0x1fu) * 16u,
                                           .max_auth_length = 12288};
  const proto::parse_options parse{.smtputf8 = (control & 0x40) != 0};

  const auto whole = lines_of(in, {}, options);
  check(lines_of(in, cuts_for(in.size(), control), options) == whole);
  for (const auto& line : whole) {
    if (line == "\x01too long") continue;
    check_command(line, parse);
  }
  // An xtext or base64 value may be anything a client writes.
  (void)proto::xtext_decode(in);
  if (auto b = proto::base64_decode(in)) check(proto::base64_encode(*b) == in);

  check(replies_of(in, cuts_for(in.size(), control + 1u)) == replies_of(in, {}));
  return 0;
}
