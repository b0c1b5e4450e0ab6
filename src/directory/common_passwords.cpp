#include "directory/common_passwords.hpp"

#include <cctype>
#include <string>
#include <unordered_set>

namespace letterhead::directory {

// Defined in the file CMake generates from data/common-passwords.txt.
extern const char common_passwords_text[];

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::unordered_set<std::string>& list() {
  static const std::unordered_set<std::string> words = [] {
    std::unordered_set<std::string> out;
    std::string_view text = common_passwords_text;
    while (!text.empty()) {
      const auto end = text.find('\n');
      auto line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line.front() == '#') continue;
      out.insert(lower(line));
    }
    return out;
  }();
  return words;
}

bool is_letter(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }

// The password without the digits and symbols around its letters.
std::string_view core(std::string_view s) {
  while (!s.empty() && !is_letter(s.front())) s.remove_prefix(1);
  while (!s.empty() && !is_letter(s.back())) s.remove_suffix(1);
  return s;
}

std::string unleet(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    switch (c) {
      case '@': case '4': c = 'a'; break;
      case '0': c = 'o'; break;
      case '1': case '!': c = 'i'; break;
      case '3': c = 'e'; break;
      case '5': case '$': c = 's'; break;
      case '7': c = 't'; break;
      default: break;
    }
  }
  return out;
}

}  // namespace

bool is_common_password(std::string_view password) {
  const auto& words = list();
  const auto l = lower(password);
  if (words.contains(l)) return true;
  const auto stripped = std::string(core(l));
  if (!stripped.empty() && words.contains(stripped)) return true;
  // Only the end dressed up ("1qaz2wsx!!"), or only the start.
  auto trailing = std::string_view(l);
  while (!trailing.empty() && !is_letter(trailing.back())) trailing.remove_suffix(1);
  if (!trailing.empty() && words.contains(std::string(trailing))) return true;
  std::string_view leading = l;
  while (!leading.empty() && !is_letter(leading.front())) leading.remove_prefix(1);
  if (!leading.empty() && words.contains(std::string(leading))) return true;
  // Substitutions inside the word, before and after the stripping ("P@ssw0rd1!").
  const auto core_plain = unleet(stripped);
  if (!core_plain.empty() && words.contains(core_plain)) return true;
  const auto plain_core = std::string(core(unleet(l)));
  return !plain_core.empty() && words.contains(plain_core);
}

std::size_t common_password_count() { return list().size(); }

}  // namespace letterhead::directory
