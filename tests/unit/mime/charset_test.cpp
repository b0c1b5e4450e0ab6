#include "mime/charset.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

struct charset_case {
  const char* label;
  std::string bytes;
  const char* utf8;
};

// Byte strings computed with Python's codecs (an independent implementation).
TEST(charset, converts_common_mail_charsets) {
  const charset_case cases[] = {
      {"gb2312", "\xbc\xbe\xb6\xc8\xb1\xa8\xb8\xe6", "季度报告"},
      {"GB2312", "\xd6\xec\xe9\x46", "朱镕"},  // 镕 is GBK only: gb2312 label decoded as GB18030
      {"gbk", "\xd6\xec\xe9\x46\xbb\xf9", "朱镕基"},
      {"x-gbk", "\xd6\xec\xe9\x46", "朱镕"},
      {"cp936", "\xd6\xd0", "中"},
      {"gb18030", "\x81\x30\x81\x30", "\xc2\x80"},  // four-byte sequence, U+0080
      {"gb18030", "\x95\x32\x82\x36", "\xf0\xa0\x80\x80"},  // U+20000
      {"big5", "\xb7\x7c\xc4\xb3\xb3\x71\xaa\xbe", "會議通知"},
      {"Big5", "\xf9\xf9", "═"},  // ETEN box drawing (cp950)
      {"iso-2022-jp", "\x1b\x24\x42\x32\x71\x35\x44\x1b\x28\x42", "会議"},
      {"ISO-2022-JP", "\x1b\x24\x42\x2d\x21\x1b\x28\x42", "①"},  // NEC row 13 (CP50220)
      {"shift_jis", "\x94\x84\x8f\xe3", "売上"},
      {"Shift_JIS", "\x87\x40", "①"},  // cp932 extension
      {"ks_c_5601-1987", "\xc8\xb8\xc0\xc7", "회의"},
      {"euc-kr", "\xc8\xb8\xc0\xc7", "회의"},
      {"iso-8859-1", "Gr\xfc\xdf" "e", "Grüße"},
      {"latin1", "\x80", "€"},  // read as windows-1252
      {"iso-8859-15", "\xa4", "€"},
      {"iso-8859-2", "\xb1", "ą"},
      {"iso-8859-5", "\xd0", "а"},
      {"windows-1252", "\x93quoted\x94", "“quoted”"},
      {"windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет"},
      {"windows-1250", "\x8a", "Š"},
      {"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет"},
      {"utf-8", "\xe4\xbd\xa0\xe5\xa5\xbd", "你好"},
      {"UTF8", "abc", "abc"},
      {"us-ascii", "plain", "plain"},
      {"utf-16be", std::string("\x4f\x60\x59\x7d", 4), "你好"},
      {"utf-7", "+ZeVnLIqe-", "日本語"},
  };
  for (const auto& c : cases) {
    auto r = to_utf8(c.bytes, c.label);
    ASSERT_TRUE(r.has_value()) << c.label;
    EXPECT_EQ(*r, c.utf8) << c.label;
  }
}

TEST(charset, invalid_sequences_become_replacement_characters) {
  EXPECT_EQ(*to_utf8("a\xff" "b", "utf-8"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(*to_utf8("\xe4\xbd", "utf-8"), "\xef\xbf\xbd");  // truncated sequence
  EXPECT_EQ(to_utf8("\xc0\xaf", "utf-8")->substr(0, 3), "\xef\xbf\xbd");  // overlong
  // A lead byte without its trail byte at the end of GBK text.
  EXPECT_EQ(*to_utf8("\xd6\xd0\xd6", "gbk"), "中\xef\xbf\xbd");
  // Unmapped in Shift_JIS: U+FFFD, never ICU's U+001A.
  auto r = to_utf8("\xa0", "shift_jis");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "\xef\xbf\xbd");
}

TEST(charset, us_ascii_label_keeps_mislabelled_text_readable) {
  EXPECT_EQ(*to_utf8("\xe4\xbd\xa0", "us-ascii"), "你");  // valid UTF-8 passes
  EXPECT_EQ(*to_utf8("caf\xe9", "us-ascii"), "café");      // else windows-1252
}

TEST(charset, unknown_labels_fail) {
  for (const char* label : {"x-unknown", "unknown-8bit", "", "   ", "utf-8,swaplfnl",
                            "../../etc/passwd", "ISO_2022,locale=ja,version=4"}) {
    auto r = to_utf8("abc", label);
    ASSERT_FALSE(r.has_value()) << label;
    EXPECT_EQ(r.error().code, core::errc::invalid);
  }
  EXPECT_FALSE(icu_charset_name("no-such-charset").has_value());
  EXPECT_EQ(icu_charset_name("GB2312").value_or(""), "gb18030");
  EXPECT_EQ(icu_charset_name(" utf-8 ").value_or(""), "UTF-8");
}

TEST(charset, empty_input) {
  EXPECT_EQ(*to_utf8("", "gbk"), "");
  EXPECT_EQ(*to_utf8("", "utf-8"), "");
}

TEST(charset, validates_utf8) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("ascii"));
  EXPECT_TRUE(is_valid_utf8("你好 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xe4\xbd"));          // truncated
  EXPECT_TRUE(is_valid_utf8(std::string_view("a\0b", 3)));
}

TEST(charset, raw_text_policy) {
  decode_options options;
  EXPECT_EQ(raw_text_to_utf8("你好", options), "你好");
  EXPECT_EQ(raw_text_to_utf8("\xc4\xe3\xba\xc3", options), "你好");  // GBK via GB18030 fallback
  decode_options big5;
  big5.charset_hint = "big5";
  EXPECT_EQ(raw_text_to_utf8("\xa7\x41\xa6\x6e", big5), "你好");  // the hint wins
  decode_options western;
  western.fallback_charset = "windows-1252";
  EXPECT_EQ(raw_text_to_utf8("caf\xe9", western), "café");
  decode_options bogus;
  bogus.charset_hint = "nonsense";
  bogus.fallback_charset = "nonsense";
  EXPECT_EQ(raw_text_to_utf8("a\xff", bogus), "a\xef\xbf\xbd");
}

TEST(charset, lenient_conversion_falls_back_for_unknown_labels) {
  decode_options options;
  EXPECT_EQ(to_utf8_lenient("\xc4\xe3", "x-unknown", options), "你");
  EXPECT_EQ(to_utf8_lenient("\xc4\xe3", "gbk", options), "你");
  EXPECT_EQ(to_utf8_lenient("caf\xc3\xa9", "unknown-8bit", options), "café");
}

TEST(charset, long_input_crosses_internal_buffers) {
  std::string gbk;
  std::string utf8;
  for (int i = 0; i < 50000; ++i) {
    gbk += "\xd6\xd0";  // 中
    utf8 += "中";
  }
  EXPECT_EQ(*to_utf8(gbk, "gbk"), utf8);
  std::string jis;
  for (int i = 0; i < 5000; ++i) jis += "\x1b\x24\x42\x32\x71\x1b\x28\x42x";
  std::string expected;
  for (int i = 0; i < 5000; ++i) expected += "会x";
  EXPECT_EQ(*to_utf8(jis, "iso-2022-jp"), expected);
}

}  // namespace
}  // namespace letterhead::mime
