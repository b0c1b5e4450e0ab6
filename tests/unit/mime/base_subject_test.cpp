// RFC 5256 §2.1 base subject extraction, as a table.

#include <gtest/gtest.h>

#include "mime/base_subject.hpp"

namespace letterhead::mime {
namespace {

struct row {
  const char* raw;
  const char* base;
  bool reply_or_forward;
};

TEST(base_subject, table) {
  const row rows[] = {
      {"hello", "HELLO", false},
      {"Re: hello", "HELLO", true},
      {"RE: Re: re:hello", "HELLO", true},
      {"Fwd: hello", "HELLO", true},
      {"Fw: hello", "HELLO", true},
      {"FWD:FW:hello", "HELLO", true},
      {"fwd hello", "FWD HELLO", false},      // no colon: not a subj-refwd
      {"Refactor: code", "REFACTOR: CODE", false},
      {"Re [list]: hello", "HELLO", true},    // subj-blob inside subj-refwd
      {"Re  : hello", "HELLO", true},         // *WSP before the colon
      {"[list] Re: hello", "HELLO", true},    // blobs before subj-refwd
      {"[list] hello", "HELLO", false},       // step 4
      {"[a] [b] hello", "HELLO", false},
      {"[list]", "[LIST]", false},            // a blob that would leave nothing stays
      {"[a] [b]", "[B]", false},
      {"hello (fwd)", "HELLO", true},         // step 2
      {"hello (FWD) (fwd)  ", "HELLO", true},
      {"[Fwd: hello]", "HELLO", true},        // step 6
      {"[fwd: Re: hello]", "HELLO", true},
      {"Re: [fwd: hello] (fwd)", "HELLO", true},
      {"[fwd: [fwd: hello]]", "HELLO", true},
      {"  hello\t  world  ", "HELLO WORLD", false},
      {"hello\r\n world", "HELLO WORLD", false},
      {"", "", false},
      {"Re:", "", true},
      {"re: re:   ", "", true},
      {"(fwd)", "", true},
      // Step 1: RFC 2047 decoded, then canonical (RFC 5051: titlecase, NFKD).
      {"=?utf-8?q?Re=3A_caf=C3=A9?=", "CAFE\xCC\x81", true},
      {"=?UTF-8?B?5a2j5bqm5p2Q5paZ?=", "季度材料", false},
      {"Re: =?gb2312?B?vL62yLGouOY=?=", "季度报告", true},
      // Full-width letters and colon, and U+3000, are compatibility forms (NFKD).
      {"\xEF\xBC\xB2\xEF\xBD\x85\xEF\xBC\x9A\xE3\x80\x80hello", "HELLO", true},
      // Localised leaders are not RFC 5256 leaders (see base_subject.hpp).
      {"=?gbk?B?u9i4tKO6tdrI/by+tsixqLjm?=", "回复:第三季度报告", false},
      {"Stra\xC3\x9F" "e", "STRA\xC3\x9F" "E", false},
  };
  for (const row& r : rows) {
    const base_subject_result got = extract_base_subject(r.raw);
    EXPECT_EQ(got.text, r.base) << "subject: " << r.raw;
    EXPECT_EQ(got.reply_or_forward, r.reply_or_forward) << "subject: " << r.raw;
    EXPECT_EQ(base_subject(r.raw), r.base);
    EXPECT_EQ(is_reply_or_forward(r.raw), r.reply_or_forward);
  }
}

TEST(base_subject, case_and_form_insensitive_keys) {
  EXPECT_EQ(base_subject("Re: Ärger"), base_subject("ärger"));
  EXPECT_EQ(base_subject("=?iso-8859-1?q?=C4rger?="), base_subject("A\xCC\x88rger"));
}

TEST(base_subject, raw_eight_bit_uses_the_hint) {
  decode_options options;
  options.charset_hint = "gbk";
  EXPECT_EQ(base_subject("Re: \xBC\xBE\xB6\xC8", options), "季度");
}

TEST(base_subject, long_hostile_subject_is_linear) {
  std::string s;
  for (int i = 0; i < 20000; ++i) s += "Re: [x] ";
  s += "end";
  EXPECT_EQ(base_subject(s), "END");
  std::string trailers = "x";
  for (int i = 0; i < 20000; ++i) trailers += " (fwd)";
  EXPECT_EQ(base_subject(trailers), "X");
  std::string blobs;
  for (int i = 0; i < 50000; ++i) blobs += "[x]";
  EXPECT_EQ(base_subject(blobs + " end"), "END");
  EXPECT_EQ(base_subject(blobs), "[X]");
}

}  // namespace
}  // namespace letterhead::mime
