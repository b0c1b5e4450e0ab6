#include "mime/msg_id.hpp"

#include <gtest/gtest.h>

namespace letterhead::mime {
namespace {

using ids = std::vector<std::string>;

TEST(msg_id, lists) {
  EXPECT_EQ(parse_msg_id_list(" <a@b>"), (ids{"a@b"}));
  EXPECT_EQ(parse_msg_id_list("<a@b> <c@d>\r\n\t<e@f>"), (ids{"a@b", "c@d", "e@f"}));
  EXPECT_EQ(parse_msg_id_list("<a@b><c@d>"), (ids{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_id_list("<a@b>,<c@d>"), (ids{"a@b", "c@d"}));
  // RFC 5322 §4.5.4 obs-in-reply-to: phrases between ids; CFWS inside ids.
  EXPECT_EQ(parse_msg_id_list("Your message of \"Mon, 1 Jan\" <a@b>"), (ids{"a@b"}));
  EXPECT_EQ(parse_msg_id_list("<a (comment) @ b>"), (ids{"a@b"}));
  EXPECT_EQ(parse_msg_id_list("(comment <not@an.id>) <a@b>"), (ids{"a@b"}));
  EXPECT_EQ(parse_msg_id_list("<\"quoted local\"@b>"), (ids{"\"quoted local\"@b"}));
  // Broken mailers.
  EXPECT_EQ(parse_msg_id_list("a@b c@d"), (ids{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_id_list("a@b,c@d"), (ids{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_id_list("no ids here"), ids{});
  EXPECT_EQ(parse_msg_id_list("<unterminated@x"), (ids{"unterminated@x"}));
  EXPECT_EQ(parse_msg_id_list("<a@b <c@d>"), (ids{"a@b", "c@d"}));
  EXPECT_EQ(parse_msg_id_list("<>"), ids{});
  EXPECT_EQ(parse_msg_id_list(""), ids{});
}

TEST(msg_id, single) {
  EXPECT_EQ(parse_msg_id(" <20241007093000.1234@example.cn>").value_or(""),
            "20241007093000.1234@example.cn");
  EXPECT_FALSE(parse_msg_id("").has_value());
}

}  // namespace
}  // namespace letterhead::mime
