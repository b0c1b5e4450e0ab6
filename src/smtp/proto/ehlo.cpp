#include "smtp/proto/ehlo.hpp"

#include <charconv>
#include <string_view>
#include <utility>

#include "smtp/proto/detail/text.hpp"

namespace letterhead::smtp::proto {

namespace {

// Splits at spaces, skipping empty words.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const auto sp = line.find(' ');
    if (sp != 0) out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out;
}

// Keywords that only say "offered".
constexpr std::pair<std::string_view, bool extensions::*> flags[] = {
    {"PIPELINING", &extensions::pipelining},
    {"8BITMIME", &extensions::eightbitmime},
    {"SMTPUTF8", &extensions::smtputf8},
    {"CHUNKING", &extensions::chunking},
    {"BINARYMIME", &extensions::binarymime},
    {"DSN", &extensions::dsn},
    {"STARTTLS", &extensions::starttls},
    {"ENHANCEDSTATUSCODES", &extensions::enhanced_status_codes},
    {"REQUIRETLS", &extensions::requiretls},
};

}  // namespace

extensions parse_ehlo(const reply& r) {
  extensions out;
  for (std::size_t i = 1; i < r.lines.size(); ++i) {
    auto w = words(r.lines[i]);
    if (w.empty()) continue;
    std::string_view keyword = w.front();
    std::vector<std::string_view> args(w.begin() + 1, w.end());
    if (detail::istarts_with(keyword, "AUTH=")) {
      args.insert(args.begin(), keyword.substr(5));
      keyword = keyword.substr(0, 4);
    }
    const std::string k = detail::upper(keyword);
    bool flag = false;
    for (const auto& [name, member] : flags) {
      if (k == name) {
        out.*member = true;
        flag = true;
      }
    }
    if (flag) continue;
    if (k == "SIZE") {
      std::uint64_t limit = 0;
      if (!args.empty()) {
        const auto a = args.front();
        const auto [ptr, ec] = std::from_chars(a.data(), a.data() + a.size(), limit);
        if (ec != std::errc{} || ptr != a.data() + a.size()) limit = 0;
      }
      out.size = limit;
    } else if (k == "AUTH") {
      for (auto a : args) {
        std::string mech = detail::upper(a);
        bool seen = false;
        for (const auto& m : out.auth) seen = seen || m == mech;
        if (!seen && out.auth.size() < 32) out.auth.push_back(std::move(mech));
      }
    }
  }
  return out;
}

}  // namespace letterhead::smtp::proto
