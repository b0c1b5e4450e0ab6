// Fuzzes what any IMAP client sends before and after login: command_reader (with the
// session accepting every literal it is asked about, or refusing some), parse_command
// on each command, and the helpers that write values back (sequence sets, search keys,
// modified UTF-7, quoted strings).
//
// Input: one control byte (limits, UTF8=ACCEPT, split seed), then the byte stream.
// Checks: splitting the stream differently changes no event; commands stay within the
// limits; parsed values are well formed (tags, UTF-8 names without controls, sequence
// numbers, nesting) and written back they parse to the same thing; errors are of the
// three documented kinds and never carry control characters.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "imap/proto/command_reader.hpp"
#include "imap/proto/detail/text.hpp"
#include "imap/proto/mutf7.hpp"
#include "imap/proto/parser.hpp"
#include "imap/proto/response.hpp"
#include "imap/proto/search_key.hpp"
#include "imap/proto/sequence_set.hpp"

namespace proto = letterhead::imap::proto;
using letterhead::core::errc;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (proto::detail::is_ctl(c)) return true;
  }
  return false;
}

std::vector<std::size_t> cuts_for(std::size_t size, std::uint32_t seed) {
  std::vector<std::size_t> cuts;
  std::size_t pos = 0;
  while (true) {
    seed = seed * 1103515245u + 12345u;
    pos += 1 + (seed >> 16) % 23;
    if (pos >= size) return cuts;
    cuts.push_back(pos);
  }
}

std::vector<std::string> events_of(std::string_view in, const std::vector<std::size_t>& cuts,
                                   const proto::reader_limits& limits) {
  proto::command_reader r(limits);
  std::vector<std::string> out;
  std::size_t prev = 0;
  auto drain = [&] {
    while (true) {
      auto ev = r.next();
      switch (ev.k) {
        case proto::reader_event::kind::need_more:
          return;
        case proto::reader_event::kind::command:
          check(ev.text.size() <= limits.max_command);
          check(ev.tag == proto::command_tag(ev.text));
          out.push_back("C" + ev.text);
          break;
        case proto::reader_event::kind::literal_request:
          check(ev.literal_size <= limits.max_literal);
          check(r.awaiting_decision());
          out.push_back("L" + ev.tag + std::to_string(ev.literal_size) + (ev.synchronizing ? "s" : "n"));
          // The session refuses some literals (by size) and accepts the rest.
          if (ev.literal_size % 7 == 3) {
            r.refuse_literal();
          } else {
            r.accept_literal();
          }
          break;
        case proto::reader_event::kind::error:
          check(!ev.message.empty() && !has_control(ev.message) && !has_control(ev.tag));
          for (char c : ev.tag) check(proto::detail::is_tag_char(c));
          out.push_back("E" + ev.tag + ev.message);
          break;
      }
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

void check_set(const proto::sequence_set& set) {
  if (set.saved) {
    check(set.ranges.empty());
    return;
  }
  check(!set.ranges.empty());
  auto again = proto::parse_sequence_set(proto::to_string(set));
  check(again.has_value() && proto::to_string(*again) == proto::to_string(set));
}

void check_name(const std::string& name) {
  check(proto::detail::is_valid_utf8(name) && !has_control(name));
  // Written back for a client without UTF8=ACCEPT and read again: the same name.
  auto back = proto::mutf7_decode(proto::mutf7_encode(name));
  check(back.has_value() && *back == name);
}

void check_search(const proto::search_key& key, const proto::parse_options& options, const std::string& charset) {
  check(key.k == proto::search_key::kind::and_ && !key.children.empty());
  check(proto::depth(key) <= options.max_depth + 1);
  const std::string program = proto::to_search_program(key);
  auto again = proto::parse_command("x SEARCH CHARSET " + charset + " " + program, options);
  check(again.has_value());
  check(proto::to_search_program(std::get<proto::search_args>(again->args).key) == program);
}

void check_command(const std::string& text, const proto::parse_options& options) {
  auto cmd = proto::parse_command(text, options);
  if (!cmd) {
    const auto code = cmd.error().code;
    check(code == errc::invalid || code == errc::not_found || code == errc::denied);
    check(!cmd.error().message.empty() && !has_control(cmd.error().message));
    return;
  }
  check(!cmd->tag.empty() && cmd->tag == proto::command_tag(text));
  check(!cmd->name.empty());
  for (char c : cmd->name) check(!(c >= 'a' && c <= 'z'));
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, proto::sequence_set>) {
          check_set(a);
        } else if constexpr (std::is_same_v<T, proto::fetch_args>) {
          check_set(a.set);
          check(!a.atts.empty());
          for (const auto& att : a.atts) check(!att.partial_offset || att.partial_count > 0);
        } else if constexpr (std::is_same_v<T, proto::store_args>) {
          check_set(a.set);
        } else if constexpr (std::is_same_v<T, proto::copy_args>) {
          check_set(a.set);
          check_name(a.mailbox);
        } else if constexpr (std::is_same_v<T, proto::select_args> || std::is_same_v<T, proto::status_args> ||
                             std::is_same_v<T, proto::append_args>) {
          check_name(a.mailbox);
        } else if constexpr (std::is_same_v<T, proto::rename_args>) {
          check_name(a.from);
          check_name(a.to);
        } else if constexpr (std::is_same_v<T, proto::list_args>) {
          check_name(a.reference);
          check(!a.patterns.empty());
          for (const auto& p : a.patterns) check_name(p);
        } else if constexpr (std::is_same_v<T, proto::search_args>) {
          check_search(a.key, options, a.charset.value_or("UTF-8"));
        } else if constexpr (std::is_same_v<T, proto::sort_args>) {
          check_search(a.key, options, a.charset);
        }
      },
      cmd->args);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const proto::reader_limits limits{.max_line = 16 + (control & 0x0fu) * 24u,
                                    .max_literal = 64u << ((control >> 4) & 3u),
                                    .max_command = 4096,
                                    .max_literals = 8};
  const proto::parse_options options{.utf8_accept = (control & 0x40) != 0, .max_depth = 100};

  const auto whole = events_of(in, {}, limits);
  check(events_of(in, cuts_for(in.size(), control), limits) == whole);
  for (const auto& ev : whole) {
    if (ev[0] == 'C') check_command(ev.substr(1), options);
  }
  // The same bytes as one command, without the reader.
  check_command(std::string(in), options);

  // Modified UTF-7 is canonical both ways.
  if (auto decoded = proto::mutf7_decode(in)) {
    check(proto::detail::is_valid_utf8(*decoded));
    check(proto::mutf7_encode(*decoded) == in);
  }
  if (proto::detail::is_valid_utf8(in)) {
    auto back = proto::mutf7_decode(proto::mutf7_encode(in));
    check(back.has_value() && *back == in);
  }
  // A string written by quoted_or_literal reads back as itself.
  if (in.find('\0') == std::string_view::npos) {
    const bool utf8 = (control & 0x80) != 0;
    auto login = proto::parse_command("x LOGIN " + proto::quoted_or_literal(in, utf8) + " " +
                                      proto::astring(in, utf8));
    check(login.has_value());
    const auto& a = std::get<proto::login_args>(login->args);
    check(a.user == in && a.password == in);
  }
  return 0;
}
