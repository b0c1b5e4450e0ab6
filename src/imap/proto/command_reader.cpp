#include "imap/proto/command_reader.hpp"

#include <algorithm>
#include <cassert>

#include "imap/proto/detail/text.hpp"
#include "imap/proto/parser.hpp"

namespace letterhead::imap::proto {

namespace {

// Long enough for "~{" + 20 digits + "+}" and a CR.
constexpr std::size_t tail_size = 32;

// The tag of a first line, only when it is followed by a space or ends the line: a
// partial line's tag may still be growing.
std::string_view tag_of(std::string_view start, bool whole_line) {
  const std::string_view tag = command_tag(start);
  if (!whole_line && tag.size() == start.size()) return {};
  return tag;
}

}  // namespace

void command_reader::feed(std::string_view bytes) { buf_.append(bytes); }

// RFC 9051 §9: literal = "{" number64 ["+"] "}" CRLF; literal8 = "~{" number64 ["+"] "}"
// CRLF (RFC 3516 §4.1). The marker ends the line.
command_reader::marker command_reader::find_marker(std::string_view line) noexcept {
  marker m;
  if (!line.ends_with('}')) return m;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return m;
  std::string_view inner = line.substr(open + 1, line.size() - open - 2);
  if (inner.ends_with('+')) {
    m.sync = false;
    inner.remove_suffix(1);
  }
  if (inner.empty()) return m;
  for (char c : inner) {
    if (!detail::is_digit(c)) return m;
  }
  m.found = true;
  m.binary = open > 0 && line[open - 1] == '~';
  // More digits than any number64 has are refused whatever they say, so that a marker is
  // judged the same from a line's last tail_size bytes (see next()).
  if (inner.size() > 20) {
    m.valid = false;
    return m;
  }
  constexpr std::uint64_t max = 9223372036854775807ull;  // number64
  for (char c : inner) {
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (m.size > (max - d) / 10) {
      m.valid = false;
      return m;
    }
    m.size = m.size * 10 + d;
  }
  return m;
}

command_reader::event command_reader::next() {
  while (true) {
    switch (state_) {
      case state::await_decision:
        return event{};

      case state::literal:
      case state::skip_literal: {
        const std::size_t avail = buf_.size() - pos_;
        const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, avail));
        if (state_ == state::literal) cmd_.append(buf_, pos_, take);
        pos_ += take;
        remaining_ -= take;
        if (remaining_ > 0) {
          compact();
          return event{};
        }
        // The line that continues the command after its literal.
        state_ = state_ == state::literal ? state::line : state::drop_line;
        continue;
      }

      case state::line:
      case state::overlong:
      case state::drop_line: {
        const std::string_view rest = std::string_view(buf_).substr(pos_);
        const std::size_t lf = rest.find('\n', scanned_);
        if (lf == std::string_view::npos) {
          scanned_ = rest.size();
          if (state_ == state::line && rest.size() > limits_.max_line) {
            if (!in_command_) tag_.assign(tag_of(rest.substr(0, limits_.max_line + 1), false));
            state_ = state::overlong;
            tail_.clear();
          }
          if (state_ != state::line) {
            keep_tail(rest);
            pos_ = buf_.size();
            scanned_ = 0;
          }
          compact();
          return event{};
        }
        std::string_view line = rest.substr(0, lf);
        pos_ += lf + 1;
        scanned_ = 0;
        if (state_ == state::line) {
          std::string_view ending = "\n";
          if (line.ends_with('\r')) {
            line.remove_suffix(1);
            ending = "\r\n";
          }
          event ev = on_line(line, ending);
          compact();
          if (ev.k == event::kind::need_more) continue;  // an empty line between commands
          return ev;
        }
        keep_tail(line);
        std::string_view tail = tail_;
        if (tail.ends_with('\r')) tail.remove_suffix(1);
        const marker m = find_marker(tail);
        tail_.clear();
        if (state_ == state::drop_line) {
          drop_after(m);
          compact();
          continue;
        }
        // An overlong line: report it now that it has ended.
        event ev = error("line too long", core::errc::limit);
        drop_after(m);
        compact();
        return ev;
      }
    }
  }
}

command_reader::event command_reader::on_line(std::string_view content, std::string_view ending) {
  if (!in_command_ && content.empty() && !empty_lines_) return event{};
  const marker m = find_marker(content);
  // RFC 9051 §4: the line limit counts its CRLF.
  if (content.size() + ending.size() > limits_.max_line) {
    // The tag as a line fed in pieces would give it (see next()).
    if (!in_command_) tag_.assign(tag_of(content.substr(0, limits_.max_line + 1), false));
    event ev = error("line too long", core::errc::limit);
    drop_after(m);
    return ev;
  }
  if (!in_command_) {
    in_command_ = true;
    tag_.assign(tag_of(content, true));
  }
  if (cmd_.size() + content.size() + ending.size() > limits_.max_command) {
    event ev = error("command too long", core::errc::limit);
    drop_after(m);
    return ev;
  }
  cmd_.append(content);
  if (!m.found) {
    event ev;
    ev.k = event::kind::command;
    ev.text = std::move(cmd_);
    ev.tag = std::move(tag_);
    reset_command();
    return ev;
  }
  cmd_.append(ending);
  ++literals_;
  const auto literal_error = [&](std::string message) {
    event ev = error(std::move(message), core::errc::limit);
    ev.literal_size = m.size;
    ev.synchronizing = m.sync;
    ev.binary = m.binary;
    // RFC 7888 §4: the bytes of a non-synchronizing literal come regardless.
    ev.close = !m.sync;
    drop_after(m);
    return ev;
  };
  if (!m.valid) {
    event ev = error("bad literal size", core::errc::invalid);
    ev.close = !m.sync;  // its bytes cannot be skipped
    reset_command();
    state_ = state::line;
    return ev;
  }
  if (m.size > limits_.max_literal) return literal_error("literal too large");
  if (literals_ > limits_.max_literals) return literal_error("too many literals");
  if (m.size > limits_.max_command - cmd_.size()) return literal_error("command too long");
  pending_ = m;
  state_ = state::await_decision;
  event ev;
  ev.k = event::kind::literal_request;
  ev.tag = tag_;
  ev.literal_size = m.size;
  ev.synchronizing = m.sync;
  ev.binary = m.binary;
  return ev;
}

command_reader::event command_reader::error(std::string message, core::errc code) {
  event ev;
  ev.k = event::kind::error;
  ev.tag = tag_;
  ev.message = std::move(message);
  ev.code = code;
  return ev;
}

void command_reader::drop_after(marker m) {  // a copy: reset_command() clears pending_
  reset_command();
  if (m.found && m.valid && !m.sync) {
    // RFC 7888 §4: the client sends a non-synchronizing literal without waiting.
    remaining_ = m.size;
    state_ = state::skip_literal;
  } else {
    // No literal, or a synchronizing one the client waits to be asked for: the command
    // ends here.
    state_ = state::line;
  }
}

void command_reader::accept_literal() {
  assert(state_ == state::await_decision);
  if (state_ != state::await_decision) return;
  remaining_ = pending_.size;
  state_ = state::literal;
}

void command_reader::refuse_literal() {
  assert(state_ == state::await_decision);
  if (state_ != state::await_decision) return;
  drop_after(pending_);
}

void command_reader::reset_command() noexcept {
  cmd_.clear();
  tag_.clear();
  in_command_ = false;
  literals_ = 0;
  remaining_ = 0;
  pending_ = marker{};
}

void command_reader::keep_tail(std::string_view bytes) {
  if (bytes.size() >= tail_size) {
    tail_.assign(bytes.substr(bytes.size() - tail_size));
    return;
  }
  tail_.append(bytes);
  if (tail_.size() > tail_size) tail_.erase(0, tail_.size() - tail_size);
}

std::string command_reader::take_buffered() {
  std::string out = buf_.substr(pos_);
  clear();
  return out;
}

void command_reader::clear() noexcept {
  buf_.clear();
  pos_ = 0;
  scanned_ = 0;
  state_ = state::line;
  tail_.clear();
  reset_command();
}

void command_reader::compact() noexcept {
  // Drop used bytes when they are all of the buffer or most of a large one, so that the
  // cost stays linear in the bytes fed.
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 4096 && pos_ > buf_.size() / 2) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
}

}  // namespace letterhead::imap::proto
