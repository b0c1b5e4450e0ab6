// Modified UTF-7 (RFC 3501 §5.1.3): round trips and the non-canonical forms refused.
// Expected encodings were computed independently (Python's UTF-16 + base64).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "imap/proto/mutf7.hpp"

namespace letterhead::imap::proto {
namespace {

struct pair_case {
  std::string utf8;
  std::string wire;
};

TEST(ProtoMutf7, RoundTrips) {
  const std::vector<pair_case> cases = {
      {"INBOX", "INBOX"},
      {"", ""},
      {"日本語", "&ZeVnLIqe-"},  // RFC 3501 §5.1.3's own example
      {"收件箱", "&ZTZO9nux-"},
      {"已发送", "&XfJT0ZAB-"},
      {"草稿箱", "&g0l6P3ux-"},
      {"垃圾邮件", "&V4NXPpCuTvY-"},
      {"中文 folder", "&Ti1lhw- folder"},
      {"~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"},
      {"Entwürfe", "Entw&APw-rfe"},
      {"A&B", "A&-B"},
      {"&", "&-"},
      {"&&", "&-&-"},
      {"😀", "&2D3eAA-"},  // a surrogate pair
      {"\x01", "&AAE-"},    // controls are encoded (the parser refuses them in names)
  };
  for (const auto& c : cases) {
    EXPECT_EQ(mutf7_encode(c.utf8), c.wire) << c.wire;
    auto decoded = mutf7_decode(c.wire);
    ASSERT_TRUE(decoded.has_value()) << c.wire << ": " << decoded.error().message;
    EXPECT_EQ(*decoded, c.utf8) << c.wire;
  }
}

TEST(ProtoMutf7, EveryBmpCharacterRoundTrips) {
  std::string all;
  for (char32_t cp = 0x80; cp < 0x10000; cp += 97) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (cp < 0x800) {
      all += static_cast<char>(0xc0 | (cp >> 6));
      all += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      all += static_cast<char>(0xe0 | (cp >> 12));
      all += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      all += static_cast<char>(0x80 | (cp & 0x3f));
    }
    all += (cp % 3 == 0) ? "a" : "";
  }
  const std::string wire = mutf7_encode(all);
  auto back = mutf7_decode(wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, all);
}

TEST(ProtoMutf7, InvalidFormsAreRefused) {
  const std::vector<std::string> bad = {
      "&",              // bare '&'
      "a&",             // bare '&' at the end
      "&ZeVnLIqe",      // unterminated shift
      "&ZeVnLIqe-&",    // bare '&' after a shift
      "&ACY-",          // '&' encoded: must be "&-"
      "&AEE-",          // 'A' encoded: printable ASCII represents itself
      "&ZeW-",          // non-zero padding bits
      "&ZeVnLIq-",      // leftover bits (not a whole UTF-16 unit)
      "&ZeVnLIqeAA-",   // an extra character
      "&ZeV-",          // one unit plus bits: "&ZeU-" would be the valid form
      "&Ze/nLIqe-",     // '/' is ',' in modified BASE64
      "&ZeVnLIqe=-",    // no padding
      "&2D0-",          // a lone high surrogate
      "&3gA-",          // a lone low surrogate
      "&2D3YPQ-",       // high surrogate followed by high surrogate
      "&ZeU-&ZeU-",     // two shifts in a row: one shift is the canonical form
      "caf\xc3\xa9",    // raw 8-bit
      "tab\there",      // control outside a shift
      "\x7f",
  };
  for (const auto& b : bad) {
    EXPECT_FALSE(mutf7_decode(b).has_value()) << b;
  }
  EXPECT_TRUE(mutf7_decode("&ZeU-").has_value());
  EXPECT_TRUE(mutf7_decode("&ZeU-&-").has_value());  // a shift then "&": fine
  EXPECT_TRUE(mutf7_decode("&ZeU-x&ZeU-").has_value());
}

TEST(ProtoMutf7, IllFormedUtf8EncodesAsReplacement) {
  EXPECT_EQ(mutf7_encode("a\xff" "b"), "a&,,0-b");
  auto back = mutf7_decode(mutf7_encode("a\xff" "b"));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, "a\xef\xbf\xbd" "b");
}

}  // namespace
}  // namespace letterhead::imap::proto
