// Messages signed by dkimpy, an independent implementation (tests/data/dkim/
// make_dkimpy_vectors.py wrote them), verified by ours: every canonicalization pair,
// both algorithms, folded and 8-bit headers, empty bodies, l=.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "mailauth/dkim_verify.hpp"

namespace letterhead::mailauth {
namespace {

const std::string dir = std::string(LETTERHEAD_TEST_DATA) + "/dkim/dkimpy/";

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(DkimpyVectors, VerifyAsExpected) {
  std::map<std::string, txt_answer> zone;
  {
    std::istringstream keys(read(dir + "keys.txt"));
    std::string line;
    while (std::getline(keys, line)) {
      const auto sp = line.find(' ');
      zone[line.substr(0, sp)] = txt_answer{txt_answer::status::ok, {line.substr(sp + 1)}, ""};
    }
  }
  ASSERT_EQ(zone.size(), 2u);
  const txt_lookup lookup = [&zone](std::string_view name) {
    auto it = zone.find(std::string(name));
    return it == zone.end() ? txt_answer{txt_answer::status::not_found, {}, ""} : it->second;
  };
  std::istringstream expected(read(dir + "expected.txt"));
  std::string line;
  int files = 0;
  while (std::getline(expected, line)) {
    std::istringstream fields(line);
    std::string name, want;
    fields >> name;
    const std::string msg = read(dir + name);
    ASSERT_FALSE(msg.empty()) << name;
    verify_options o;
    o.now = 1900000000;
    const auto v = verify_dkim(msg, lookup, o);
    std::size_t i = 0;
    while (fields >> want) {
      ASSERT_LT(i, v.signatures.size()) << name;
      EXPECT_EQ(to_string(v.signatures[i].result), want) << name << " #" << i << ": " << v.signatures[i].reason;
      ++i;
    }
    EXPECT_EQ(i, v.signatures.size()) << name;
    ++files;
  }
  EXPECT_EQ(files, 23);
}

}  // namespace
}  // namespace letterhead::mailauth
