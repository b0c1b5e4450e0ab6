#include "smtp/proto/data_reader.hpp"

#include <utility>

namespace letterhead::smtp::proto {

data_status data_reader::feed(std::string_view in, std::size_t& consumed) {
  consumed = 0;
  if (state_ == state::done) return data_status::done;
  std::size_t i = 0;
  const std::size_t n = in.size();
  while (i < n) {
    switch (state_) {
      case state::line_start:
        // RFC 5321 §4.5.2: a line starting with "." is either the end (alone) or
        // stuffed (the dot is dropped). Anything else is text, decided there.
        if (in[i] == '.') {
          state_ = state::dot;
          ++i;
        } else {
          state_ = state::text;
        }
        break;

      case state::text: {
        std::size_t j = i;
        while (j < n && in[j] != '\r' && in[j] != '\n') ++j;
        emit_content(in.substr(i, j - i));
        i = j;
        if (i == n) break;
        if (in[i] == '\r') {
          state_ = state::cr;
        } else {
          // A bare LF: kept, flagged, and not a line end (so "<LF>.<LF>" cannot end
          // the message).
          bare_line_ending_ = true;
          emit_content("\n");
        }
        ++i;
        break;
      }

      case state::cr:
        if (in[i] == '\n') {
          emit_crlf();
          state_ = state::line_start;
          ++i;
        } else {
          // The pending CR is bare. Another CR may still start a CRLF; anything else
          // is text, so "<CR>.<CR>" is no line start.
          bare_line_ending_ = true;
          emit_content("\r");
          if (in[i] == '\r') {
            ++i;
          } else {
            state_ = state::text;
          }
        }
        break;

      case state::dot:
        if (in[i] == '\r') {
          state_ = state::dot_cr;
          ++i;
        } else {
          // The dot was stuffing: drop it, read on as text ("<CRLF>.<LF>" too, whose
          // LF is then bare).
          state_ = state::text;
        }
        break;

      case state::dot_cr:
        if (in[i] == '\n') {
          // RFC 5321 §4.1.1.4: <CRLF>.<CRLF> ends the mail data.
          state_ = state::done;
          consumed = i + 1;
          return data_status::done;
        }
        // "." then a CR not followed by LF: the dot was stuffing, the CR is pending
        // as in any line.
        state_ = state::cr;
        break;

      case state::done:
        break;  // unreachable: returned above
    }
  }
  consumed = n;
  return data_status::need_more;
}

void data_reader::emit_content(std::string_view run) {
  if (run.empty()) return;
  for (char c : run) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) has_8bit_ = true;
    if (u == 0) has_nul_ = true;
  }
  line_length_ += run.size();
  if (line_length_ > max_text_line_length) long_lines_ = true;
  add(run);
}

void data_reader::emit_crlf() {
  line_length_ = 0;
  add("\r\n");
}

void data_reader::add(std::string_view bytes) {
  size_ += bytes.size();
  if (too_large_) return;
  if (size_ > max_size_) {
    too_large_ = true;
    std::string().swap(out_);  // release the memory: the message will be refused
    return;
  }
  out_.append(bytes);
}

std::string data_reader::take_message() { return std::exchange(out_, std::string()); }

void data_reader::reset() noexcept {
  out_.clear();
  state_ = state::line_start;
  size_ = 0;
  line_length_ = 0;
  too_large_ = false;
  bare_line_ending_ = false;
  long_lines_ = false;
  has_8bit_ = false;
  has_nul_ = false;
}

}  // namespace letterhead::smtp::proto
