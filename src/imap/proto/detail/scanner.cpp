#include "imap/proto/detail/scanner.hpp"

#include <array>

#include "imap/proto/detail/text.hpp"
#include "imap/proto/mutf7.hpp"

namespace letterhead::imap::proto::detail {

bool scanner::eat(char c) noexcept {
  if (pos_ < text_.size() && text_[pos_] == c) {
    ++pos_;
    return true;
  }
  return false;
}

bool scanner::sp() {
  if (eat(' ')) return true;
  return fail(at_end() ? "missing argument" : "expected a space");
}

bool scanner::expect(char c, std::string_view what) {
  if (eat(c)) return true;
  return fail(what);
}

bool scanner::fail(std::string_view message, core::errc code) {
  if (!error_) error_ = core::error{code, std::string(message)};
  return false;
}

bool scanner::enter() {
  if (++depth_ > options_.max_depth) return fail("nesting too deep");
  return true;
}

std::string_view scanner::atom() noexcept {
  const std::size_t start = pos_;
  while (pos_ < text_.size() && is_atom_char(text_[pos_])) ++pos_;
  return text_.substr(start, pos_ - start);
}

bool scanner::keyword(std::string& out, std::string_view what) {
  std::string_view a = atom();
  if (a.empty()) return fail(what);
  out = upper(a);
  return true;
}

bool scanner::at_word(std::string_view word) const noexcept {
  if (text_.size() - pos_ < word.size() || !iequals(text_.substr(pos_, word.size()), word)) return false;
  const std::size_t end = pos_ + word.size();
  return end == text_.size() || !is_atom_char(text_[end]);
}

bool scanner::eat_word(std::string_view word) noexcept {
  if (!at_word(word)) return false;
  pos_ += word.size();
  return true;
}

bool scanner::eat_prefix(std::string_view word) noexcept {
  if (text_.size() - pos_ < word.size() || !iequals(text_.substr(pos_, word.size()), word)) return false;
  const std::size_t end = pos_ + word.size();
  if (end < text_.size()) {
    const char c = text_[end];
    if (is_atom_char(c) && c != '[' && c != '<' && c != '.') return false;
  }
  pos_ = end;
  return true;
}

// RFC 9051 §9 astring = 1*ASTRING-CHAR / string.
bool scanner::astring(std::string& out) {
  const char c = peek();
  if (c == '"' || c == '{' || (c == '~' && peek(1) == '{')) return string(out);
  const std::size_t start = pos_;
  while (pos_ < text_.size() && is_astring_char(text_[pos_])) ++pos_;
  if (pos_ == start) return fail(at_end() ? "missing argument" : "expected an astring");
  out.assign(text_.substr(start, pos_ - start));
  return true;
}

// RFC 9051 §9 string = quoted / literal.
bool scanner::string(std::string& out) {
  if (peek() == '"') return quoted(out);
  if (peek() == '{' || (peek() == '~' && peek(1) == '{')) return literal(out, false);
  return fail(at_end() ? "missing argument" : "expected a string");
}

// RFC 9051 §9 nstring = string / nil.
bool scanner::nstring(std::optional<std::string>& out) {
  if (eat_word("NIL")) {
    out.reset();
    return true;
  }
  std::string s;
  if (!string(s)) return false;
  out = std::move(s);
  return true;
}

// RFC 9051 §9 quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = <any TEXT-CHAR except
// quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4. No NUL (§4.3), CR
// or LF; 8-bit bytes must be UTF-8.
bool scanner::quoted(std::string& out) {
  if (!expect('"', "expected a quoted string")) return false;
  out.clear();
  bool eight_bit = false;
  while (true) {
    if (at_end()) return fail("unterminated quoted string");
    const char c = text_[pos_++];
    if (c == '"') break;
    if (c == '\\') {
      const char e = peek();
      if (e != '"' && e != '\\') return fail("bad escape in quoted string");
      out += e;
      ++pos_;
      continue;
    }
    if (c == '\0' || c == '\r' || c == '\n') return fail("bad character in quoted string");
    if (is_8bit(c)) eight_bit = true;
    out += c;
  }
  if (eight_bit && !is_valid_utf8(out)) return fail("quoted string is not UTF-8");
  return true;
}

// RFC 9051 §9 literal = "{" number64 ["+"] "}" CRLF *CHAR8 and literal8 = "~{" number64
// ["+"] "}" CRLF *OCTET; "+" is LITERAL+/LITERAL- (RFC 7888). CHAR8 excludes NUL (§4.3).
// The line end after the brace may be a bare LF, as command_reader accepts it.
bool scanner::literal(std::string& out, bool allow_literal8, bool* binary) {
  bool is8 = false;
  if (eat('~')) {
    if (!allow_literal8) return fail("literal8 not allowed here");
    is8 = true;
  }
  if (!expect('{', "expected a literal")) return false;
  std::uint64_t size = 0;
  const std::size_t digits = pos_;
  while (is_digit(peek())) {
    const auto d = static_cast<std::uint64_t>(peek() - '0');
    if (size > (max_number64 - d) / 10) return fail("literal size too large");
    size = size * 10 + d;
    ++pos_;
  }
  if (pos_ == digits) return fail("bad literal size");
  (void)eat('+');
  if (!expect('}', "bad literal")) return false;
  (void)eat('\r');
  if (!expect('\n', "literal without line end")) return false;
  if (size > text_.size() - pos_) return fail("literal shorter than its size");
  std::string_view data = text_.substr(pos_, static_cast<std::size_t>(size));
  if (!is8 && data.find('\0') != std::string_view::npos) return fail("NUL in a literal (use literal8)");
  out.assign(data);
  pos_ += data.size();
  if (binary) *binary = is8;
  return true;
}

bool scanner::number(std::uint32_t& out) {
  if (!is_digit(peek())) return fail("expected a number");
  std::uint64_t n = 0;
  while (is_digit(peek())) {
    n = n * 10 + static_cast<std::uint64_t>(peek() - '0');
    if (n > 0xffffffffull) return fail("number too large");
    ++pos_;
  }
  out = static_cast<std::uint32_t>(n);
  return true;
}

bool scanner::nz_number(std::uint32_t& out) {
  if (peek() == '0') return fail("expected a non-zero number");
  return number(out);
}

bool scanner::number64(std::uint64_t& out) {
  if (!is_digit(peek())) return fail("expected a number");
  std::uint64_t n = 0;
  while (is_digit(peek())) {
    const auto d = static_cast<std::uint64_t>(peek() - '0');
    if (n > (max_number64 - d) / 10) return fail("number too large");
    n = n * 10 + d;
    ++pos_;
  }
  out = n;
  return true;
}

// RFC 9051 §9: sequence-set = (seq-number / seq-range) ["," sequence-set];
// seq-range = seq-number ":" seq-number; seq-number = nz-number / "*". RFC 5182 §2.1 "$".
bool scanner::seq_set(sequence_set& out, allow_saved saved) {
  out = sequence_set{};
  if (peek() == '$') {
    if (saved == allow_saved::no) return fail("\"$\" not allowed here");
    ++pos_;
    out.saved = true;
    return true;
  }
  const auto seq_number = [&](std::uint32_t& n) {
    if (eat('*')) {
      n = 0;
      return true;
    }
    if (!is_digit(peek())) return fail("bad sequence set");
    return nz_number(n);
  };
  do {
    seq_range r;
    if (!seq_number(r.first)) return false;
    r.last = r.first;
    if (eat(':') && !seq_number(r.last)) return false;
    out.ranges.push_back(r);
  } while (eat(','));
  return true;
}

namespace {

constexpr std::array<std::string_view, 12> month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

int days_in_month(int month, int year) noexcept {
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return days[static_cast<std::size_t>(month - 1)];
}

}  // namespace

// RFC 9051 §9: date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-"
// date-month "-" date-year; date-day = 1*2DIGIT; date-year = 4DIGIT.
bool scanner::date(proto::date& out) {
  const bool q = eat('"');
  int day = 0;
  int n = 0;
  while (is_digit(peek()) && n < 2) {
    day = day * 10 + (peek() - '0');
    ++pos_, ++n;
  }
  if (n == 0 || !eat('-')) return fail("bad date");
  int month = 0;
  if (text_.size() - pos_ >= 3) {
    for (std::size_t i = 0; i < month_names.size(); ++i) {
      if (iequals(text_.substr(pos_, 3), month_names[i])) month = static_cast<int>(i) + 1;
    }
  }
  if (month == 0) return fail("bad date");
  pos_ += 3;
  if (!eat('-')) return fail("bad date");
  int year = 0;
  for (int i = 0; i < 4; ++i) {
    if (!is_digit(peek())) return fail("bad date");
    year = year * 10 + (peek() - '0');
    ++pos_;
  }
  if (day < 1 || day > days_in_month(month, year)) return fail("bad date");
  if (q && !eat('"')) return fail("bad date");
  out = proto::date{day, month, year};
  return true;
}

// RFC 9051 §9: date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP
// zone DQUOTE; date-day-fixed = (SP DIGIT) / 2DIGIT; time = 2DIGIT ":" 2DIGIT ":" 2DIGIT;
// zone = ("+" / "-") 4DIGIT.
bool scanner::date_time(std::string& out) {
  // "dd-Mon-yyyy hh:mm:ss +zzzz" is 26 bytes.
  if (peek() != '"' || text_.size() - pos_ < 28 || text_[pos_ + 27] != '"') return fail("bad date-time");
  const std::string_view v = text_.substr(pos_ + 1, 26);
  const auto d = [&](std::size_t i) { return is_digit(v[i]); };
  const auto num = [&](std::size_t i) { return (v[i] - '0') * 10 + (v[i + 1] - '0'); };
  const bool day_ok = (v[0] == ' ' ? d(1) : d(0) && d(1));
  int month = 0;
  for (std::size_t i = 0; i < month_names.size(); ++i) {
    if (iequals(v.substr(3, 3), month_names[i])) month = static_cast<int>(i) + 1;
  }
  const bool shape = day_ok && v[2] == '-' && month != 0 && v[6] == '-' && d(7) && d(8) && d(9) && d(10) &&
                     v[11] == ' ' && d(12) && d(13) && v[14] == ':' && d(15) && d(16) && v[17] == ':' &&
                     d(18) && d(19) && v[20] == ' ' && (v[21] == '+' || v[21] == '-') && d(22) && d(23) &&
                     d(24) && d(25);
  if (!shape) return fail("bad date-time");
  const int day = v[0] == ' ' ? v[1] - '0' : num(0);
  const int year = num(7) * 100 + num(9);
  if (day < 1 || day > days_in_month(month, year) || num(12) > 23 || num(15) > 59 || num(18) > 60 ||
      num(24) > 59) {
    return fail("bad date-time");
  }
  out.assign(v);
  pos_ += 28;
  return true;
}

// RFC 9051 §9: flag = "\Answered" / "\Flagged" / "\Deleted" / "\Seen" / "\Draft" /
// flag-keyword / flag-extension; flag-extension = "\" atom; flag-keyword = atom.
bool scanner::flag(std::string& out) {
  const std::size_t start = pos_;
  (void)eat('\\');
  if (atom().empty()) return fail("bad flag");
  out.assign(text_.substr(start, pos_ - start));
  return true;
}

// RFC 9051 §9: flag-list = "(" [flag *(SP flag)] ")".
bool scanner::flag_list(std::vector<std::string>& out) {
  if (!expect('(', "expected a flag list")) return false;
  out.clear();
  if (eat(')')) return true;
  do {
    std::string f;
    if (!flag(f)) return false;
    out.push_back(std::move(f));
  } while (eat(' '));
  return expect(')', "bad flag list");
}

bool scanner::decode_mailbox(std::string& name) {
  if (options_.utf8_accept) {
    // RFC 6855 §3: UTF-8 names as they are.
    if (!is_valid_utf8(name)) return fail("mailbox name is not UTF-8");
  } else {
    auto decoded = mutf7_decode(name);
    if (!decoded) return fail("mailbox name is not valid modified UTF-7");
    name = std::move(*decoded);
  }
  // RFC 9051 §5.1; RFC 6855 §3 (Net-Unicode, RFC 5198): no control characters.
  for (char c : name) {
    if (is_ctl(c)) return fail("control character in mailbox name");
  }
  return true;
}

// RFC 9051 §9: mailbox = "INBOX" / astring (kept as written; INBOX is the server's).
bool scanner::mailbox(std::string& out) {
  return astring(out) && decode_mailbox(out);
}

bool scanner::list_mailbox(std::string& out) {
  const char c = peek();
  if (c == '"' || c == '{' || (c == '~' && peek(1) == '{')) return string(out) && decode_mailbox(out);
  const std::size_t start = pos_;
  while (pos_ < text_.size() && is_list_char(text_[pos_])) ++pos_;
  if (pos_ == start) return fail(at_end() ? "missing argument" : "expected a mailbox pattern");
  out.assign(text_.substr(start, pos_ - start));
  return decode_mailbox(out);
}

bool scanner::text_string(std::string& out) {
  if (!astring(out)) return false;
  if (!is_valid_utf8(out)) return fail("search text is not UTF-8");
  return true;
}

}  // namespace letterhead::imap::proto::detail
