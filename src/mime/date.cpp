#include "mime/date.hpp"

#include <array>
#include <chrono>

#include "mime/detail/ascii.hpp"
#include "mime/detail/lex.hpp"

namespace letterhead::mime {
namespace {

constexpr std::array<std::string_view, 7> day_names{"sun", "mon", "tue", "wed",
                                                    "thu", "fri", "sat"};
constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};

class scanner {
 public:
  explicit scanner(std::string_view s) : s_(s) {}

  // Whitespace, comments and the commas that separate a day name.
  void skip() {
    while (i_ < s_.size()) {
      if (detail::is_space(s_[i_]) || s_[i_] == ',') {
        ++i_;
      } else if (s_[i_] == '(') {
        i_ = detail::skip_comment(s_, i_);
      } else {
        break;
      }
    }
  }
  // skip() plus one optional "-" (RFC 850 style "01-Jul-2003").
  void skip_dash() {
    skip();
    if (peek() == '-' && i_ + 1 < s_.size() && !detail::is_digit(s_[i_ + 1])) ++i_;
    else if (peek() == '-' && i_ > 0 && detail::is_alpha(s_[i_ - 1])) ++i_;
    skip();
  }
  [[nodiscard]] char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void advance() { ++i_; }

  std::string_view word() {
    std::size_t b = i_;
    while (i_ < s_.size() && detail::is_alpha(s_[i_])) ++i_;
    return s_.substr(b, i_ - b);
  }
  // Up to 9 digits; `digits` receives how many were read.
  std::optional<int> number(int& digits) {
    std::size_t b = i_;
    int v = 0;
    while (i_ < s_.size() && detail::is_digit(s_[i_]) && i_ - b < 9) {
      v = v * 10 + (s_[i_] - '0');
      ++i_;
    }
    digits = static_cast<int>(i_ - b);
    if (digits == 0) return std::nullopt;
    return v;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

int name_index(std::string_view w, const auto& names) {
  if (w.size() < 3) return -1;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (detail::istarts_with(w, names[k])) return static_cast<int>(k);
  }
  return -1;
}

bool is_month_word(std::string_view w) {
  int m = name_index(w, month_names);
  if (m < 0) return false;
  // "Mar" and "March" are months; "Marsh" is not.
  static constexpr std::array<std::string_view, 12> full{
      "january", "february", "march",     "april",   "may",      "june",
      "july",    "august",   "september", "october", "november", "december"};
  return w.size() == 3 || detail::iequals(w, full[static_cast<std::size_t>(m)]) ||
         (w.size() == 4 && detail::iequals(w, "sept"));
}

// RFC 5322 §4.3 obs-zone; unknown names are -0000, i.e. UTC.
int zone_from_name(std::string_view w) {
  struct named {
    std::string_view name;
    int minutes;
  };
  static constexpr std::array<named, 8> us{{{"EST", -300}, {"EDT", -240}, {"CST", -360},
                                            {"CDT", -300}, {"MST", -420}, {"MDT", -360},
                                            {"PST", -480}, {"PDT", -420}}};
  for (const auto& z : us) {
    if (detail::iequals(w, z.name)) return z.minutes;
  }
  return 0;
}

struct clock_time {
  int hour = 0, minute = 0, second = 0;
};

std::optional<clock_time> read_time(scanner& sc) {
  int digits = 0;
  clock_time t;
  auto h = sc.number(digits);
  if (!h || digits > 2) return std::nullopt;
  sc.skip();
  if (sc.peek() != ':') return std::nullopt;
  sc.advance();
  sc.skip();
  auto m = sc.number(digits);
  if (!m || digits > 2) return std::nullopt;
  t.hour = *h;
  t.minute = *m;
  sc.skip();
  if (sc.peek() == ':') {
    sc.advance();
    sc.skip();
    auto sec = sc.number(digits);
    if (!sec || digits > 2) return std::nullopt;
    t.second = *sec;
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 60) return std::nullopt;
  return t;
}

std::optional<int> read_zone(scanner& sc) {
  sc.skip();
  char c = sc.peek();
  if (c == '+' || c == '-') {
    sc.advance();
    int digits = 0;
    auto v = sc.number(digits);
    if (!v) return std::nullopt;
    int hours = 0, minutes = 0;
    if (digits <= 2) {
      hours = *v;
      if (sc.peek() == ':') {  // "+08:00"
        sc.advance();
        int md = 0;
        auto m = sc.number(md);
        if (!m || md != 2) return std::nullopt;
        minutes = *m;
      }
    } else if (digits <= 4) {
      hours = *v / 100;
      minutes = *v % 100;
    } else {
      return std::nullopt;
    }
    if (minutes > 59) return std::nullopt;
    int total = hours * 60 + minutes;
    return c == '-' ? -total : total;
  }
  if (detail::is_alpha(c)) return zone_from_name(sc.word());
  return 0;  // no zone: read as UTC
}

int full_year(int year, int digits) {
  if (digits == 2) return year < 50 ? 2000 + year : 1900 + year;  // RFC 5322 §4.3
  if (digits == 3) return 1900 + year;
  return year;
}

std::optional<date_time> assemble(int year, int month, int day, clock_time t, int zone) {
  using namespace std::chrono;
  if (year < 1000 || year > 9999) return std::nullopt;
  year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month + 1)},
                     std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return std::nullopt;
  std::int64_t days = sys_days{ymd}.time_since_epoch().count();
  std::int64_t seconds = days * 86400 + t.hour * 3600 + t.minute * 60 + t.second;
  return date_time{seconds - static_cast<std::int64_t>(zone) * 60, zone};
}

}  // namespace

std::optional<date_time> parse_date(std::string_view raw) {
  scanner sc(raw);
  sc.skip();
  int digits = 0;
  if (detail::is_alpha(sc.peek())) {
    std::string_view w = sc.word();
    if (name_index(w, day_names) >= 0 && !is_month_word(w)) {
      sc.skip();
      if (detail::is_alpha(sc.peek())) w = sc.word();  // asctime: "Mon Jan  2 ..."
      else w = {};
    }
    if (!w.empty()) {
      // asctime form: month day time year [zone].
      if (!is_month_word(w)) return std::nullopt;
      int month = name_index(w, month_names);
      sc.skip();
      auto day = sc.number(digits);
      if (!day || digits > 2) return std::nullopt;
      sc.skip();
      auto t = read_time(sc);
      if (!t) return std::nullopt;
      sc.skip();
      auto year = sc.number(digits);
      if (!year || digits < 2 || digits > 4) return std::nullopt;
      auto zone = read_zone(sc);
      if (!zone) return std::nullopt;
      return assemble(full_year(*year, digits), month, *day, *t, *zone);
    }
  }
  auto day = sc.number(digits);
  if (!day || digits > 2) return std::nullopt;
  sc.skip_dash();
  std::string_view mw = sc.word();
  if (!is_month_word(mw)) return std::nullopt;
  int month = name_index(mw, month_names);
  sc.skip_dash();
  auto year = sc.number(digits);
  if (!year || digits < 2 || digits > 4) return std::nullopt;
  int year_digits = digits;
  sc.skip();
  auto t = read_time(sc);
  if (!t) return std::nullopt;
  auto zone = read_zone(sc);
  if (!zone) return std::nullopt;
  return assemble(full_year(*year, year_digits), month, *day, *t, *zone);
}

}  // namespace letterhead::mime
