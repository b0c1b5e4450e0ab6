// SORT key values (RFC 5256 §3, RFC 5957 §3).

#include <gtest/gtest.h>

#include "mime/parser.hpp"
#include "mime/sort_keys.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

TEST(sort_key_values, corpus_message) {
  const std::string bytes = test::read_corpus("gb2312_newsletter.eml");
  const message m = parse(bytes);
  const sort_keys k = sort_key_values(bytes, m, 42);
  EXPECT_EQ(k.arrival, 42);
  EXPECT_EQ(k.date, 1728264600);
  EXPECT_EQ(k.size, bytes.size());
  EXPECT_EQ(k.from, "news");
  EXPECT_EQ(k.to, "staff");
  EXPECT_EQ(k.cc, "");
  EXPECT_EQ(k.subject, "季度报告");
  EXPECT_EQ(k.display_from, "市场部");            // RFC 2047-decoded display name
  EXPECT_EQ(k.display_to, "staff@letterhead.test");  // no display name: the address
}

TEST(sort_key_values, fallbacks_and_groups) {
  // No Date (or a bad one): INTERNALDATE (RFC 5256 §2.2). Group names are not
  // addresses: the first mailbox counts.
  const std::string bytes = test::crlf(
      "Date: not a date\nFrom: \"Zed\" <Zed@Example.com>\nTo: Team: Ann <ann@x.example>;\n"
      "Cc: undisclosed-recipients:;\nSubject: Re: [list] Hello\n\n");
  const message m = parse(bytes);
  const sort_keys k = sort_key_values(bytes, m, 1000);
  EXPECT_EQ(k.date, 1000);
  EXPECT_EQ(k.from, "Zed");  // as written: the server's comparator folds case
  EXPECT_EQ(k.to, "ann");
  EXPECT_EQ(k.cc, "");
  EXPECT_EQ(k.display_from, "Zed");
  EXPECT_EQ(k.display_to, "Ann");
  EXPECT_EQ(k.subject, "HELLO");
  EXPECT_EQ(sent_date(bytes, m, 7), 7);
  EXPECT_EQ(sent_date(bytes, m, 7, 99), 7);

  const message empty = parse("");
  const sort_keys e = sort_key_values("", empty, 5);
  EXPECT_EQ(e.date, 5);
  EXPECT_EQ(e.from, "");
  EXPECT_EQ(e.display_from, "");
  EXPECT_EQ(e.subject, "");
}

TEST(sent_date, of_an_attached_message) {
  const std::string bytes = test::read_corpus("forwarded_rfc822.eml");
  const message m = parse(bytes);
  EXPECT_EQ(sent_date(bytes, m, 0), 1729080000);   // Wed, 16 Oct 2024 12:00:00 +0000
  EXPECT_EQ(sent_date(bytes, m, 0, 3), 1729004400);  // Tue, 15 Oct 2024 08:00:00 -0700
}

}  // namespace
}  // namespace letterhead::mime
