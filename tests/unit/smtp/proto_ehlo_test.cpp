#include "smtp/proto/ehlo.hpp"

#include <gtest/gtest.h>

#include "smtp/proto/data_writer.hpp"

namespace letterhead::smtp::proto {
namespace {

reply read_one(std::string_view bytes) {
  reply_reader r;
  r.feed(bytes);
  auto out = r.next();
  EXPECT_TRUE(out && *out);
  return out && *out ? **out : reply{};
}

TEST(ProtoEhlo, ReadsKeywordsCaseInsensitively) {
  const auto ext = parse_ehlo(read_one(
      "250-mx.example.net Hello\r\n250-pipelining\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n"
      "250-SMTPUTF8\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-DSN\r\n250-STARTTLS\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250-AUTH PLAIN login\r\n250 HELP\r\n"));
  EXPECT_TRUE(ext.pipelining);
  ASSERT_TRUE(ext.size);
  EXPECT_EQ(*ext.size, 1000000u);
  EXPECT_TRUE(ext.eightbitmime && ext.smtputf8 && ext.chunking && ext.binarymime && ext.dsn);
  EXPECT_TRUE(ext.starttls && ext.enhanced_status_codes);
  EXPECT_EQ(ext.auth, (std::vector<std::string>{"PLAIN", "LOGIN"}));
}

TEST(ProtoEhlo, FirstLineIsNotAKeyword) {
  // The greeting line names the server; a server called "PIPELINING" offers nothing.
  const auto ext = parse_ehlo(read_one("250 PIPELINING\r\n"));
  EXPECT_FALSE(ext.pipelining);
}

TEST(ProtoEhlo, SizeWithoutValueAndOldAuthSpelling) {
  const auto ext = parse_ehlo(read_one("250-x\r\n250-SIZE\r\n250-AUTH=LOGIN\r\n250 SIZE abc\r\n"));
  ASSERT_TRUE(ext.size);
  EXPECT_EQ(*ext.size, 0u);  // no fixed limit (and garbage counts as none)
  EXPECT_EQ(ext.auth, (std::vector<std::string>{"LOGIN"}));
}

TEST(ProtoDataWriter, StuffsDotsAndEnds) {
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("a\r\n"), "a\r\n.\r\n");
  EXPECT_EQ(dot_stuff(".a\r\n..b\r\nc.\r\n.\r\n"), "..a\r\n...b\r\nc.\r\n..\r\n.\r\n");
  EXPECT_EQ(dot_stuff("no end"), "no end\r\n.\r\n");
  EXPECT_EQ(dot_stuff("cr\r"), "cr\r\n.\r\n");
}

}  // namespace
}  // namespace letterhead::smtp::proto
