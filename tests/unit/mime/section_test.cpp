#include "mime/section.hpp"

#include <gtest/gtest.h>

#include "invariants.hpp"
#include "mime/parser.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

// The example structure of RFC 9051 §6.4.5.
const std::string rfc9051_example = test::crlf(
    "Subject: example\n"
    "Content-Type: MULTIPART/MIXED; boundary=\"x\"\n\n"
    "--x\nContent-Type: TEXT/PLAIN\n\npart 1\n"
    "--x\nContent-Type: APPLICATION/OCTET-STREAM\n\npart 2\n"
    "--x\nContent-Type: MESSAGE/RFC822\n\n"
    "Subject: part 3\n"
    "Content-Type: MULTIPART/MIXED; boundary=\"y\"\n\n"
    "--y\nContent-Type: TEXT/PLAIN\n\npart 3.1\n"
    "--y\nContent-Type: APPLICATION/OCTET-STREAM\n\npart 3.2\n"
    "--y--\n"
    "--x\nContent-Type: MULTIPART/MIXED; boundary=\"z\"\n\n"
    "--z\nContent-Type: IMAGE/GIF\n\npart 4.1\n"
    "--z\nContent-Type: MESSAGE/RFC822\n\n"
    "Subject: part 4.2\n"
    "Content-Type: MULTIPART/MIXED; boundary=\"w\"\n\n"
    "--w\nContent-Type: TEXT/PLAIN\n\npart 4.2.1\n"
    "--w\nContent-Type: MULTIPART/ALTERNATIVE; boundary=\"v\"\n\n"
    "--v\nContent-Type: TEXT/PLAIN\n\npart 4.2.2.1\n"
    "--v\nContent-Type: TEXT/RICHTEXT\n\npart 4.2.2.2\n"
    "--v--\n"
    "--w--\n"
    "--z--\n"
    "--x--\n");

std::string body_at(const message& m, std::string_view path) {
  auto p = parse_section_path(path);
  if (!p) return "<bad path>";
  auto index = find_section(m, *p);
  if (!index) return "<none>";
  return std::string(slice(rfc9051_example, m.parts[*index].body));
}

std::string type_at(const message& m, std::string_view path) {
  auto index = find_section(m, *parse_section_path(path));
  if (!index) return "<none>";
  return m.parts[*index].type + "/" + m.parts[*index].subtype;
}

TEST(section, rfc9051_example) {
  auto m = parse(rfc9051_example);
  test::check_invariants(rfc9051_example, m);
  EXPECT_EQ(body_at(m, "1"), "part 1");
  EXPECT_EQ(body_at(m, "2"), "part 2");
  EXPECT_EQ(type_at(m, "3"), "message/rfc822");
  EXPECT_EQ(body_at(m, "3.1"), "part 3.1");
  EXPECT_EQ(body_at(m, "3.2"), "part 3.2");
  EXPECT_EQ(type_at(m, "4"), "multipart/mixed");
  EXPECT_EQ(body_at(m, "4.1"), "part 4.1");
  EXPECT_EQ(type_at(m, "4.2"), "message/rfc822");
  EXPECT_EQ(body_at(m, "4.2.1"), "part 4.2.1");
  EXPECT_EQ(type_at(m, "4.2.2"), "multipart/alternative");
  EXPECT_EQ(body_at(m, "4.2.2.1"), "part 4.2.2.1");
  EXPECT_EQ(body_at(m, "4.2.2.2"), "part 4.2.2.2");
  for (const char* missing : {"5", "1.1", "3.3", "4.3", "4.2.3", "4.2.2.3", "4.1.1"}) {
    EXPECT_EQ(body_at(m, missing), "<none>") << missing;
  }
  // 3.HEADER: the header of the encapsulated message.
  auto msg3 = find_section_message(m, section_path{3});
  ASSERT_TRUE(msg3);
  EXPECT_EQ(header_value(rfc9051_example, m.parts[*msg3].fields, "Subject").value_or(""),
            "part 3");
  auto msg42 = find_section_message(m, section_path{4, 2});
  ASSERT_TRUE(msg42);
  EXPECT_EQ(header_value(rfc9051_example, m.parts[*msg42].fields, "Subject").value_or(""),
            "part 4.2");
  EXPECT_EQ(find_section_message(m, section_path{}), 0u);
  EXPECT_FALSE(find_section_message(m, section_path{1}).has_value());
}

TEST(section, section_of_is_the_inverse) {
  auto m = parse(rfc9051_example);
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    section_path path = section_of(m, i);
    auto back = find_section(m, path);
    ASSERT_TRUE(back.has_value()) << i;
    const part& p = m.parts[i];
    bool encapsulated_multipart = p.parent && m.parts[*p.parent].embedded == i && p.is_multipart();
    if (encapsulated_multipart) {
      EXPECT_EQ(*back, *p.parent);  // it has no number of its own
    } else {
      EXPECT_EQ(*back, i) << to_string(path);
    }
  }
  EXPECT_EQ(to_string(section_of(m, 0)), "");
}

TEST(section, single_part_messages) {
  const std::string plain = test::crlf("Subject: x\n\nbody\n");
  auto m = parse(plain);
  EXPECT_EQ(find_section(m, section_path{1}), 0u);  // part 1 of a non-multipart message
  EXPECT_FALSE(find_section(m, section_path{2}).has_value());
  EXPECT_EQ(to_string(section_of(m, 0)), "1");

  const std::string nested = test::crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: message/rfc822\n\n"
      "Subject: inner\n\ninner body\n--b--\n");
  auto n = parse(nested);
  ASSERT_EQ(n.parts.size(), 3u);
  EXPECT_EQ(find_section(n, section_path{1}), 1u);
  EXPECT_EQ(find_section(n, section_path{1, 1}), 2u);  // the inner message's only part
  EXPECT_EQ(to_string(section_of(n, 2)), "1.1");
}

TEST(section, path_text) {
  EXPECT_EQ(parse_section_path("1.2.3"), (section_path{1, 2, 3}));
  EXPECT_EQ(parse_section_path(""), section_path{});
  for (const char* bad : {"0", "1..2", ".1", "1.", "a", "1.x", "4294967296", "-1"}) {
    EXPECT_FALSE(parse_section_path(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_section_path("4294967295"), (section_path{4294967295u}));
  EXPECT_EQ(to_string(section_path{4, 2, 2, 1}), "4.2.2.1");
}

}  // namespace
}  // namespace letterhead::mime
