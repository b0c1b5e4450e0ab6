#include "pop3/proto/line_reader.hpp"

namespace letterhead::pop3::proto {

std::optional<line_event> line_reader::next() {
  const std::string_view rest = std::string_view(buf_).substr(start_);
  const std::size_t lf = rest.find('\n', scanned_);
  if (lf == std::string_view::npos) {
    // A partial line that cannot fit any more (its CRLF still to come) is dropped
    // now, so memory stays bounded however long the client keeps sending. A CR at
    // the end may be the line's own: it is not counted against the limit.
    const std::size_t content = rest.ends_with('\r') ? rest.size() - 1 : rest.size();
    if (!discarding_ && content + 2 > max_length_) discarding_ = true;
    if (discarding_) {
      buf_.resize(start_);
      scanned_ = 0;
    } else {
      scanned_ = rest.size();
    }
    compact();
    return std::nullopt;
  }
  std::string_view text = rest.substr(0, lf);
  start_ += lf + 1;
  scanned_ = 0;
  line_event ev;
  if (text.ends_with('\r')) text.remove_suffix(1);
  if (discarding_ || text.size() + 2 > max_length_) {
    discarding_ = false;
    ev.too_long = true;
  } else {
    ev.text.assign(text);
  }
  compact();
  return ev;
}

void line_reader::clear() noexcept {
  buf_.clear();
  start_ = 0;
  scanned_ = 0;
  discarding_ = false;
}

void line_reader::compact() noexcept {
  // Returned bytes are dropped when they are all of the buffer, or most of a large
  // one, so the cost stays linear in the bytes fed.
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = 0;
  } else if (start_ > 4096 && start_ > buf_.size() / 2) {
    buf_.erase(0, start_);
    start_ = 0;
  }
}

}  // namespace letterhead::pop3::proto
