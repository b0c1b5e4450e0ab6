// The global address list: everyone's profile, found by name (as written), pinyin
// with or without spaces ("zhangwei", "zhang wei"), pinyin initials ("zw"), address,
// title, phone or employee id.

#include <algorithm>

#include "directory/names.hpp"
#include "directory/org.hpp"

namespace letterhead::directory {
namespace {

constexpr std::size_t max_query = 200;

std::string without_spaces(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c != ' ') out += c;
  }
  return out;
}

// 3 = the whole field, 2 = its start, 1 = inside it, 0 = no match.
int match(std::string_view field, std::string_view query) {
  if (query.empty() || field.empty()) return 0;
  const auto pos = field.find(query);
  if (pos == std::string_view::npos) return 0;
  if (pos == 0) return field.size() == query.size() ? 3 : 2;
  return 1;
}

}  // namespace

core::result<std::vector<gal_entry>> organisation::search(std::string_view text, std::size_t limit) {
  if (text.size() > max_query) text = text.substr(0, max_query);
  const auto q = lower_ascii(text);
  // Latin queries are compared with the romanised name; "Zhang Wei" and "zhangwei"
  // are the same query.
  const auto q_joined = without_spaces(romanize(text));
  auto profiles = store_.list_profiles("");
  if (!profiles) return std::unexpected(profiles.error());
  auto departments = store_.list_departments();
  if (!departments) return std::unexpected(departments.error());
  std::vector<gal_entry> out;
  for (auto& p : *profiles) {
    const auto keys = keys_for(p.display_name);
    int score = 0;
    score = std::max(score, 4 * match(lower_ascii(p.display_name), q));
    if (!q_joined.empty()) {
      score = std::max(score, 4 * match(keys.joined, q_joined));
      score = std::max(score, 3 * match(keys.initials, q_joined));
    }
    score = std::max(score, 2 * match(lower_ascii(p.address), q));
    score = std::max(score, match(lower_ascii(p.title), q));
    score = std::max(score, match(lower_ascii(p.employee_id), q));
    score = std::max(score, match(without_spaces(p.phone), without_spaces(q)));
    if (score == 0) continue;
    gal_entry e;
    e.score = score;
    for (const auto& d : *departments) {
      if (d.id == p.department_id) e.department = d.name;
    }
    e.profile = std::move(p);
    out.push_back(std::move(e));
  }
  // Best first, then by address (std::stable_sort trips a libstdc++ 12 deprecation).
  std::ranges::sort(out, [](const gal_entry& a, const gal_entry& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.profile.address < b.profile.address;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace letterhead::directory
