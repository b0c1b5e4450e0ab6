#pragma once
// Helpers for the mime tests: corpus files and a tiny CRLF builder.

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

namespace letterhead::mime::test {

inline std::string read_corpus(std::string_view name) {
  std::string path = std::string(LETTERHEAD_TEST_DATA) + "/mime/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Turns "\n" into "\r\n" so tests can be written with readable literals.
inline std::string crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 16);
  for (char c : s) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

}  // namespace letterhead::mime::test
