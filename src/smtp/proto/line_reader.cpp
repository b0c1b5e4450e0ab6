#include "smtp/proto/line_reader.hpp"

#include <algorithm>

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

void line_reader::feed(std::string_view bytes) { buf_.append(bytes); }

std::size_t line_reader::limit_for(std::string_view line_start) const noexcept {
  constexpr std::string_view auth = "AUTH ";
  // Decided from the first five bytes; a shorter start that may still become "AUTH "
  // gets the larger limit so that the outcome does not depend on how bytes arrive.
  bool maybe_auth = line_start.size() >= auth.size()
                        ? detail::istarts_with(line_start, auth)
                        : detail::istarts_with(auth, line_start);
  return maybe_auth ? std::max(options_.max_length, options_.max_auth_length) : options_.max_length;
}

line_status line_reader::next(std::string& line) {
  std::string_view rest = std::string_view(buf_).substr(start_);
  std::size_t lf = rest.find('\n', scanned_);
  if (lf == std::string_view::npos) {
    scanned_ = rest.size();
    // Content plus CRLF must fit: a partial line of `limit` bytes cannot. A CR at its
    // end may be the line's own, so the limit is chosen without it, as for a whole line.
    std::string_view start = rest.ends_with('\r') ? rest.substr(0, rest.size() - 1) : rest;
    if (!discarding_ && rest.size() >= limit_for(start)) discarding_ = true;
    if (discarding_) {
      buf_.resize(start_);
      scanned_ = 0;
    }
    compact();
    return line_status::need_more;
  }
  std::string_view content = rest.substr(0, lf);
  start_ += lf + 1;
  scanned_ = 0;
  if (discarding_) {
    discarding_ = false;
    compact();
    return line_status::too_long;
  }
  if (content.ends_with('\r')) content.remove_suffix(1);
  // RFC 5321 §4.5.3.1.4: the limit counts the CRLF.
  if (content.size() + 2 > limit_for(content)) {
    compact();
    return line_status::too_long;
  }
  line.assign(content);
  compact();
  return line_status::line;
}

std::optional<line_event> line_reader::next() {
  line_event ev;
  switch (next(ev.text)) {
    case line_status::need_more:
      return std::nullopt;
    case line_status::too_long:
      ev.too_long = true;
      return ev;
    case line_status::line:
      return ev;
  }
  return std::nullopt;
}

std::string line_reader::take_buffered() {
  std::string out = buf_.substr(start_);
  clear();
  return out;
}

void line_reader::consume(std::size_t n) noexcept {
  start_ += std::min(n, buf_.size() - start_);
  scanned_ = 0;
  compact();
}

void line_reader::clear() noexcept {
  buf_.clear();
  start_ = 0;
  scanned_ = 0;
  discarding_ = false;
}

void line_reader::compact() noexcept {
  // Drop returned bytes when they are all of the buffer or most of a large one, so
  // that the cost stays linear in the bytes fed.
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ > buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
}

}  // namespace letterhead::smtp::proto
