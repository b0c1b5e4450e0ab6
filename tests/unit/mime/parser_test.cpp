#include "mime/parser.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "invariants.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

using test::check_invariants;
using test::crlf;

std::string_view header_of(std::string_view m, const part& p) { return slice(m, p.header); }
std::string_view body_of(std::string_view m, const part& p) { return slice(m, p.body); }

TEST(parser, single_part_defaults) {
  const std::string m = crlf("From: a@example.com\nSubject: hi\n\nline 1\nline 2\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 1u);
  const part& p = msg.root();
  EXPECT_EQ(header_of(m, p), crlf("From: a@example.com\nSubject: hi\n\n"));
  EXPECT_EQ(body_of(m, p), crlf("line 1\nline 2\n"));
  EXPECT_EQ(p.body_lines, 2u);
  EXPECT_EQ(p.type, "text");  // RFC 2045 §5.2
  EXPECT_EQ(p.subtype, "plain");
  EXPECT_FALSE(p.explicit_type);
  EXPECT_EQ(p.charset(), "us-ascii");
  EXPECT_EQ(p.encoding, transfer_encoding::seven_bit);
  EXPECT_EQ(p.encoding_name, "7bit");
  EXPECT_EQ(p.fields.size(), 2u);
  EXPECT_FALSE(msg.truncated);
  EXPECT_EQ(p.defects, 0u);
}

TEST(parser, empty_and_tiny_inputs) {
  for (std::string_view m : {"", "\r\n", "\n", "x", "A: b", "--", "\r", "\r\n\r\n"}) {
    auto msg = parse(m);
    check_invariants(m, msg);
    EXPECT_EQ(msg.parts.size(), 1u);
  }
}

TEST(parser, multipart_ranges_follow_rfc2046) {
  const std::string m = crlf(
      "Content-Type: multipart/mixed; boundary=\"b1\"\n"
      "\n"
      "preamble\n"
      "--b1\n"
      "Content-Type: text/plain\n"
      "\n"
      "first\n"
      "--b1  \t\n"  // transport padding (RFC 2046 §5.1.1)
      "\n"
      "second, no header\n"
      "\n"
      "--b1--\n"
      "epilogue\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 3u);
  const part& root = msg.root();
  EXPECT_TRUE(root.is_multipart());
  EXPECT_EQ(root.subtype, "mixed");
  ASSERT_EQ(root.children, (std::vector<std::size_t>{1, 2}));
  const part& a = msg.parts[1];
  const part& b = msg.parts[2];
  EXPECT_EQ(header_of(m, a), crlf("Content-Type: text/plain\n\n"));
  EXPECT_EQ(body_of(m, a), "first");  // the CRLF before the delimiter is the delimiter's
  EXPECT_EQ(a.body_lines, 1u);
  EXPECT_EQ(header_of(m, b), "\r\n");
  EXPECT_EQ(body_of(m, b), crlf("second, no header\n"));
  EXPECT_EQ(b.body_lines, 1u);
  EXPECT_EQ(a.parent, 0u);
  EXPECT_EQ(a.depth, 1u);
  EXPECT_EQ(root.body.end, m.size());
  EXPECT_FALSE(root.has(part_defect::unterminated_multipart));
}

TEST(parser, boundary_that_prefixes_another) {
  const std::string m = crlf(
      "Content-Type: multipart/mixed; boundary=abc\n\n"
      "--abc\n"
      "Content-Type: multipart/alternative; boundary=abcd\n\n"
      "--abcd\n\ninner one\n"
      "--abcd\n\ninner two\n"
      "--abcd--\n"
      "--abc\n\nouter two\n"
      "--abc--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 5u);
  EXPECT_EQ(msg.root().children.size(), 2u);
  EXPECT_EQ(msg.parts[1].children.size(), 2u);
  EXPECT_EQ(body_of(m, msg.parts[2]), "inner one");
  EXPECT_EQ(body_of(m, msg.parts[3]), "inner two");
  EXPECT_EQ(body_of(m, msg.parts[4]), "outer two");
  // "--abcx" is not a delimiter of "abc" (only padding may follow, RFC 2046 §5.1.1).
  const std::string m2 = crlf(
      "Content-Type: multipart/mixed; boundary=abc\n\n--abc\n\n--abcx\n--abc--x\n--abc--\n");
  auto msg2 = parse(m2);
  ASSERT_EQ(msg2.parts.size(), 2u);
  EXPECT_EQ(body_of(m2, msg2.parts[1]), crlf("--abcx\n--abc--x"));
}

TEST(parser, unterminated_inner_multipart_is_closed_by_outer_delimiter) {
  const std::string m = test::read_corpus("unterminated_boundary.eml");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 4u);
  EXPECT_EQ(msg.root().children, (std::vector<std::size_t>{1, 3}));
  EXPECT_EQ(body_of(m, msg.parts[2]), "inner text without a close delimiter");
  EXPECT_TRUE(msg.parts[1].has(part_defect::unterminated_multipart));
  EXPECT_TRUE(msg.root().has(part_defect::unterminated_multipart));
  EXPECT_EQ(body_of(m, msg.parts[3]), "second outer part, and no final boundary at all\r\n");
  EXPECT_EQ(msg.parts[3].body.end, m.size());
  EXPECT_FALSE(msg.truncated);  // a defect, not a limit
}

TEST(parser, delimiter_at_body_start_and_empty_parts) {
  const std::string m = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n\n--b--");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 3u);
  EXPECT_TRUE(msg.parts[1].whole().empty());
  EXPECT_EQ(header_of(m, msg.parts[2]), "\r\n");
  EXPECT_EQ(body_of(m, msg.parts[2]), "");
  EXPECT_EQ(msg.parts[2].body_lines, 0u);
}

TEST(parser, part_header_ended_by_delimiter) {
  const std::string m =
      crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n--b--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 2u);
  const part& p = msg.parts[1];
  EXPECT_EQ(p.subtype, "html");
  EXPECT_EQ(header_of(m, p), "Content-Type: text/html");
  EXPECT_TRUE(p.body.empty());
}

TEST(parser, empty_line_before_delimiter_belongs_to_the_delimiter) {
  // "\r\n\r\n--d": the second line break is both the header's empty line and the
  // delimiter's leading CRLF. The delimiter gets it, consistently at every level (found
  // by fuzzing: the encapsulated message and its container disagreed).
  const std::string m = crlf(
      "Content-Type: multipart/digest; boundary=d\n\n--d\n\nFrom: a@b\n\n--d--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 3u);
  EXPECT_EQ(body_of(m, msg.parts[1]), "From: a@b\r\n");
  EXPECT_EQ(header_of(m, msg.parts[2]), "From: a@b\r\n");
  EXPECT_TRUE(msg.parts[2].body.empty());
  // An empty encapsulated message right before the delimiter.
  const std::string m2 = crlf(
      "Content-Type: multipart/mixed; boundary=d\n\n--d\nContent-Type: message/rfc822\n\n--d--\n");
  auto msg2 = parse(m2);
  check_invariants(m2, msg2);
  ASSERT_EQ(msg2.parts.size(), 3u);
  EXPECT_EQ(header_of(m2, msg2.parts[1]), "Content-Type: message/rfc822\r\n");
  EXPECT_TRUE(msg2.parts[2].whole().empty());
}

TEST(parser, part_without_header_starts_with_body_text) {
  const std::string m = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\nJust text.\n--b--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 2u);
  EXPECT_TRUE(msg.parts[1].header.empty());
  EXPECT_EQ(body_of(m, msg.parts[1]), "Just text.");
}

TEST(parser, missing_final_boundary) {
  const std::string m = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nonly part\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 2u);
  EXPECT_TRUE(msg.root().has(part_defect::unterminated_multipart));
  EXPECT_EQ(body_of(m, msg.parts[1]), "only part\r\n");
}

TEST(parser, multipart_without_any_delimiter) {
  const std::string m = crlf("Content-Type: multipart/mixed; boundary=b\n\nno parts here\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  EXPECT_EQ(msg.parts.size(), 1u);
  EXPECT_TRUE(msg.root().has(part_defect::no_body_parts));
}

TEST(parser, multipart_without_boundary_is_text) {
  const std::string m = crlf("Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 1u);
  EXPECT_EQ(msg.root().type, "text");
  EXPECT_EQ(msg.root().subtype, "plain");
  EXPECT_TRUE(msg.root().has(part_defect::missing_boundary));
}

TEST(parser, invalid_content_type_is_text_plain) {
  const std::string m = crlf("Content-Type: garbage\n\nbody");
  auto msg = parse(m);
  EXPECT_EQ(msg.root().type, "text");
  EXPECT_TRUE(msg.root().has(part_defect::invalid_content_type));
}

TEST(parser, message_rfc822_has_its_own_header_and_body) {
  const std::string inner = crlf("From: c@example.net\nSubject: inner\n\ninner body\n");
  const std::string m = crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\nouter text\n"
      "--b\n"
      "Content-Type: message/rfc822\n\n") +
      inner + crlf("--b--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 4u);
  const part& rfc822 = msg.parts[2];
  EXPECT_EQ(rfc822.type, "message");
  ASSERT_TRUE(rfc822.embedded.has_value());
  EXPECT_EQ(*rfc822.embedded, 3u);
  // The encapsulated message ends where the part does: before the delimiter's CRLF.
  EXPECT_EQ(body_of(m, rfc822), crlf("From: c@example.net\nSubject: inner\n\ninner body"));
  EXPECT_EQ(rfc822.body_lines, 4u);
  const part& e = msg.parts[3];
  EXPECT_EQ(header_of(m, e), crlf("From: c@example.net\nSubject: inner\n\n"));
  EXPECT_EQ(body_of(m, e), "inner body");
  EXPECT_EQ(header_value(m, e.fields, "Subject").value_or(""), "inner");
  EXPECT_EQ(e.depth, 2u);
}

TEST(parser, message_rfc822_as_the_root_type) {
  const std::string m = crlf("Content-Type: message/rfc822\n\nSubject: inside\n\nx\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 2u);
  EXPECT_EQ(msg.root().embedded, 1u);
}

TEST(parser, encoded_message_rfc822_is_not_descended) {
  const std::string m = crlf(
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
      "U3ViamVjdDogeAoKeQo=\n--b--\n");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 2u);
  EXPECT_FALSE(msg.parts[1].embedded.has_value());
  EXPECT_TRUE(msg.parts[1].has(part_defect::encoded_message));
}

TEST(parser, digest_children_default_to_message_rfc822) {
  const std::string m = test::read_corpus("digest.eml");
  auto msg = parse(m);
  check_invariants(m, msg);
  const part& root = msg.root();
  EXPECT_EQ(root.subtype, "digest");
  ASSERT_EQ(root.children.size(), 3u);
  const part& first = msg.parts[root.children[0]];
  EXPECT_EQ(first.type, "message");  // RFC 2046 §5.1.5
  EXPECT_EQ(first.subtype, "rfc822");
  EXPECT_FALSE(first.explicit_type);
  ASSERT_TRUE(first.embedded);
  EXPECT_EQ(header_value(m, msg.parts[*first.embedded].fields, "Subject").value_or(""),
            "First post");
  const part& third = msg.parts[root.children[2]];
  EXPECT_EQ(third.type, "text");
  // A multipart inside a digest child has text/plain children again.
  const std::string nested = crlf(
      "Content-Type: multipart/digest; boundary=d\n\n--d\n"
      "Content-Type: multipart/mixed; boundary=m\n\n--m\n\ntext\n--m--\n--d--\n");
  auto msg2 = parse(nested);
  ASSERT_EQ(msg2.parts.size(), 3u);
  EXPECT_EQ(msg2.parts[2].type, "text");
}

TEST(parser, mime_fields_of_a_part) {
  const std::string m = crlf(
      "Content-Type: image/png; name=\"a.png\"\n"
      "Content-Transfer-Encoding: BASE64\n"
      "Content-ID: <img1@example.com>\n"
      "Content-Description: =?utf-8?Q?Bild_=C3=BCbersicht?=\n"
      "Content-Disposition: inline; filename=\"b.png\"\n"
      "Content-Language: de, en\n"
      "Content-Location: http://example.com/\n a.png\n"
      "\n"
      "iVBORw0KGgo=\n");
  auto msg = parse(m);
  const part& p = msg.root();
  EXPECT_EQ(p.type, "image");
  EXPECT_EQ(p.subtype, "png");
  EXPECT_EQ(p.encoding, transfer_encoding::base64);
  EXPECT_EQ(p.encoding_name, "base64");
  EXPECT_EQ(p.content_id, "<img1@example.com>");
  EXPECT_EQ(p.content_description, "Bild übersicht");
  EXPECT_EQ(p.disposition, "inline");
  EXPECT_EQ(p.filename(), "b.png");
  EXPECT_EQ(p.content_language, (std::vector<std::string>{"de", "en"}));
  EXPECT_EQ(p.content_location, "http://example.com/a.png");
  EXPECT_EQ(p.charset(), "");
}

TEST(parser, lf_only_and_cr_only) {
  const std::string m = test::read_corpus("lf_only.eml");
  auto msg = parse(m);
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 3u);
  EXPECT_EQ(body_of(m, msg.parts[1]), "first");
  EXPECT_EQ(body_of(m, msg.parts[2]), "5L2g5aW9");

  // Bare CR is not a line break: the whole message is one (long) header line, parsed
  // in linear time without crashing.
  std::string cr = m;
  for (char& c : cr) {
    if (c == '\n') c = '\r';
  }
  auto msg2 = parse(cr);
  check_invariants(cr, msg2);
  EXPECT_EQ(msg2.parts.size(), 1u);
}

TEST(parser, malformed_header_lines_are_counted) {
  const std::string m = test::read_corpus("nul_bytes.eml");
  auto msg = parse(m);
  check_invariants(m, msg);
  const part& p = msg.root();
  EXPECT_EQ(p.malformed_header_lines, 1u);
  EXPECT_TRUE(p.has(part_defect::malformed_header_lines));
  EXPECT_EQ(p.fields.size(), 4u);
  EXPECT_EQ(p.charset(), "utf-8");
  EXPECT_EQ(body_of(m, p), std::string_view("body\0with NUL\r\nand \xff invalid utf-8\r\n", 36));
}

TEST(parser, never_modifies_input_and_ranges_rebuild_it) {
  for (const char* name : {"mixed_attachments.eml", "forwarded_rfc822.eml", "digest.eml",
                           "outlook.eml", "apple_mail.eml", "unterminated_boundary.eml"}) {
    SCOPED_TRACE(name);
    const std::string original = test::read_corpus(name);
    std::string m = original;
    auto msg = parse(m);
    EXPECT_EQ(m, original);
    check_invariants(m, msg);
    // Root header + body is the message; each multipart's body is the concatenation of
    // preamble, delimiter lines and children, in order, with nothing lost.
    EXPECT_EQ(std::string(header_of(m, msg.root())) + std::string(body_of(m, msg.root())), m);
    for (const part& p : msg.parts) {
      if (p.children.empty()) continue;
      std::string rebuilt;
      std::size_t at = p.body.begin;
      for (std::size_t c : p.children) {
        const part& child = msg.parts[c];
        std::string_view between = std::string_view(m).substr(at, child.header.begin - at);
        // Between two children there is exactly a delimiter line (plus the preamble
        // before the first).
        EXPECT_NE(between.find("--"), std::string_view::npos);
        rebuilt += between;
        rebuilt += slice(m, child.whole());
        at = child.body.end;
      }
      rebuilt += std::string_view(m).substr(at, p.body.end - at);
      EXPECT_EQ(rebuilt, slice(m, p.body));
    }
  }
}

TEST(parser, every_prefix_parses_with_invariants) {
  // Truncated messages (a connection dropped mid-DATA, a partial APPEND) must parse too.
  for (const char* name : {"mixed_attachments.eml", "forwarded_rfc822.eml", "lf_only.eml"}) {
    const std::string m = test::read_corpus(name);
    for (std::size_t n = 0; n <= m.size(); ++n) {
      std::string_view prefix(m.data(), n);
      auto msg = parse(prefix);
      check_invariants(prefix, msg);
      if (testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(parser, raw_8bit_filename_uses_part_charset) {
  const std::string m = crlf(
      "Content-Type: text/plain; charset=big5; name=\"\xa7\x41\xa6\x6e.txt\"\n\nx");
  auto msg = parse(m);
  EXPECT_EQ(msg.root().filename(), "你好.txt");
}

}  // namespace
}  // namespace letterhead::mime
