#include "mime/detail/encoded_word.hpp"

#include "mime/detail/ascii.hpp"
#include "mime/transfer_encoding.hpp"

namespace letterhead::mime::detail {
namespace {

bool is_word_byte(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u != 0x7F && c != '?';
}

bool is_base64_text(std::string_view text) noexcept {
  for (char c : text) {
    bool ok = is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::optional<encoded_word> match_encoded_word(std::string_view s) noexcept {
  if (s.size() < 8 || s[0] != '=' || s[1] != '?') return std::nullopt;
  std::size_t i = 2;
  while (i < s.size() && is_word_byte(s[i])) ++i;
  if (i == 2 || i + 3 >= s.size() || s[i] != '?') return std::nullopt;
  std::string_view charset = s.substr(2, i - 2);
  char enc = to_lower(s[i + 1]);
  if ((enc != 'b' && enc != 'q') || s[i + 2] != '?') return std::nullopt;
  std::size_t text_begin = i + 3;
  std::size_t j = text_begin;
  while (j < s.size() && is_word_byte(s[j])) ++j;
  if (j + 1 >= s.size() || s[j] != '?' || s[j + 1] != '=') return std::nullopt;

  encoded_word w;
  // RFC 2231 §5: charset "*" language.
  if (auto star = charset.find('*'); star != std::string_view::npos) {
    w.language = charset.substr(star + 1);
    charset = charset.substr(0, star);
    if (charset.empty()) return std::nullopt;
  }
  w.charset = charset;
  w.encoding = enc == 'b' ? 'B' : 'Q';
  w.text = s.substr(text_begin, j - text_begin);
  w.size = j + 2;
  return w;
}

std::optional<std::string> decode_encoded_word(const encoded_word& word) {
  if (word.encoding == 'B') {
    if (!is_base64_text(word.text)) return std::nullopt;
    return decode_base64(word.text);
  }
  return decode_q(word.text);
}

void sanitize_controls(std::string& text) {
  std::string out;
  bool changed = false;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == '\0') {
      changed = true;
      break;
    }
  }
  if (!changed) return;
  out.reserve(text.size() + 8);
  for (char c : text) {
    if (c == '\r' || c == '\n') {
      out.push_back(' ');
    } else if (c == '\0') {
      out.append("\xEF\xBF\xBD");
    } else {
      out.push_back(c);
    }
  }
  text = std::move(out);
}

void text_builder::flush_raw() {
  if (raw_.empty()) return;
  if (is_valid_utf8(raw_)) {
    out_ += raw_;  // the common case, without a temporary
  } else {
    out_ += raw_text_to_utf8(raw_, options_);
  }
  raw_.clear();
}

void text_builder::flush_encoded() {
  if (encoded_charset_.empty() && encoded_bytes_.empty()) return;
  if ((iequals(encoded_charset_, "utf-8") || iequals(encoded_charset_, "us-ascii")) &&
      is_valid_utf8(encoded_bytes_)) {
    out_ += encoded_bytes_;
  } else {
    out_ += to_utf8_lenient(encoded_bytes_, encoded_charset_, options_);
  }
  encoded_bytes_.clear();
  encoded_charset_.clear();
}

void text_builder::raw(std::string_view text) {
  if (text.empty()) return;
  if (mode_ == mode::encoded) {
    flush_encoded();
    raw_ += held_space_;
    held_space_.clear();
  }
  raw_ += text;
  mode_ = mode::raw;
}

void text_builder::space(std::string_view whitespace) {
  if (mode_ == mode::encoded) {
    held_space_ += whitespace;
  } else {
    raw_ += whitespace;
  }
}

void text_builder::encoded(std::string_view charset, std::string_view bytes) {
  if (mode_ == mode::encoded) {
    held_space_.clear();  // RFC 2047 §6.2
    if (!iequals(charset, encoded_charset_)) {
      flush_encoded();
      encoded_charset_ = charset;
    }
  } else {
    flush_raw();
    encoded_charset_ = charset;
  }
  encoded_bytes_ += bytes;
  mode_ = mode::encoded;
}

void text_builder::text_with_encoded_words(std::string_view text) {
  std::size_t i = 0;
  std::size_t run = 0;  // start of the pending raw run
  while (i < text.size()) {
    char c = text[i];
    if (is_wsp(c) || c == '\r' || c == '\n') {
      raw(text.substr(run, i - run));
      std::size_t ws = i;
      while (i < text.size() && (is_wsp(text[i]) || text[i] == '\r' || text[i] == '\n')) ++i;
      space(text.substr(ws, i - ws));
      run = i;
      continue;
    }
    if (c == '=' && i + 1 < text.size() && text[i + 1] == '?') {
      if (auto word = match_encoded_word(text.substr(i))) {
        if (auto bytes = decode_encoded_word(*word)) {
          raw(text.substr(run, i - run));
          encoded(word->charset, *bytes);
          i += word->size;
          run = i;
          continue;
        }
      }
    }
    ++i;
  }
  raw(text.substr(run, i - run));
}

std::string text_builder::finish() {
  flush_encoded();
  raw_ += held_space_;
  held_space_.clear();
  flush_raw();
  mode_ = mode::none;
  sanitize_controls(out_);
  return std::move(out_);
}

}  // namespace letterhead::mime::detail
