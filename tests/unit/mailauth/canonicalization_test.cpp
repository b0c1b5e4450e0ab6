// RFC 6376 §3.4 canonicalization, including the corner cases and the examples of §3.4.5.
#include "mailauth/canonicalization.hpp"

#include <gtest/gtest.h>

#include "mailauth/crypto.hpp"

namespace letterhead::mailauth {
namespace {

std::string b64(const std::array<unsigned char, 32>& h) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

TEST(Canonicalization, ParsesCTag) {
  auto c = parse_canonicalization("relaxed");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->header, canon::relaxed);
  EXPECT_EQ(c->body, canon::simple);  // §3.5: body defaults to simple
  c = parse_canonicalization("simple/relaxed");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->header, canon::simple);
  EXPECT_EQ(c->body, canon::relaxed);
  EXPECT_FALSE(parse_canonicalization("relaxed/"));
  EXPECT_FALSE(parse_canonicalization("Relaxed/simple"));
  EXPECT_FALSE(parse_canonicalization("relaxed/simple/x"));
  EXPECT_FALSE(parse_canonicalization(""));
}

// §3.4.5 example: header "A: X", "B : Y\t\r\n\tZ  " and body " C \r\nD \t E\r\n\r\n\r\n".
constexpr std::string_view rfc_example = "A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

TEST(Canonicalization, Rfc6376Section345Relaxed) {
  const auto m = split_message(rfc_example);
  ASSERT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(canonicalize_header(m.fields[0], canon::relaxed), "a:X\r\n");
  EXPECT_EQ(canonicalize_header(m.fields[1], canon::relaxed), "b:Y Z\r\n");
  EXPECT_EQ(canonicalize_body(m.body, canon::relaxed), " C\r\nD E\r\n");
}

TEST(Canonicalization, Rfc6376Section345Simple) {
  const auto m = split_message(rfc_example);
  EXPECT_EQ(canonicalize_header(m.fields[0], canon::simple), "A: X\r\n");
  EXPECT_EQ(canonicalize_header(m.fields[1], canon::simple), "B : Y\t\r\n\tZ  \r\n");
  EXPECT_EQ(canonicalize_body(m.body, canon::simple), " C \r\nD \t E\r\n");
}

TEST(Canonicalization, EmptyBody) {
  // §3.4.3: an empty or missing body is one CRLF under simple; relaxed keeps it empty.
  for (std::string_view body : {"", "\r\n", "\r\n\r\n\r\n"}) {
    EXPECT_EQ(canonicalize_body(body, canon::simple), "\r\n") << body.size();
    EXPECT_EQ(canonicalize_body(body, canon::relaxed), "") << body.size();
  }
  EXPECT_EQ(canonicalize_body(" \t \r\n\t\r\n", canon::relaxed), "");
  EXPECT_EQ(canonicalize_body(" \t \r\n\t\r\n", canon::simple), " \t \r\n\t\r\n");
  // Well-known hashes of the two empty forms.
  EXPECT_EQ(b64(hash_body("", canon::simple).sha256), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
  EXPECT_EQ(b64(hash_body("", canon::relaxed).sha256), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(Canonicalization, MissingFinalCrlfIsAdded) {
  EXPECT_EQ(canonicalize_body("abc", canon::simple), "abc\r\n");
  EXPECT_EQ(canonicalize_body("abc", canon::relaxed), "abc\r\n");
  EXPECT_EQ(canonicalize_body("abc\r\n\r\nx", canon::simple), "abc\r\n\r\nx\r\n");
  // The incomplete last line is a line like any other: its trailing WSP goes.
  EXPECT_EQ(canonicalize_body("abc \t", canon::relaxed), "abc\r\n");
  EXPECT_EQ(canonicalize_body("abc\r\n  ", canon::relaxed), "abc\r\n");
}

TEST(Canonicalization, TrailingEmptyLinesOnlyAtTheEnd) {
  EXPECT_EQ(canonicalize_body("a\r\n\r\n\r\nb\r\n\r\n", canon::simple), "a\r\n\r\n\r\nb\r\n");
  EXPECT_EQ(canonicalize_body("a\r\n \r\n\t\r\nb\r\n \r\n", canon::relaxed), "a\r\n\r\n\r\nb\r\n");
  // A line of WSP is not empty under simple.
  EXPECT_EQ(canonicalize_body("a\r\n \r\n", canon::simple), "a\r\n \r\n");
}

TEST(Canonicalization, WhitespaceRunsAndBareCr) {
  EXPECT_EQ(canonicalize_body("  a \t\t b  \r\n", canon::relaxed), " a b\r\n");
  // CR alone is not a line break and not WSP.
  EXPECT_EQ(canonicalize_body("a\rb \r\n", canon::relaxed), "a\rb\r\n");
  EXPECT_EQ(canonicalize_body("a \r\n", canon::relaxed), "a\r\n");
}

TEST(Canonicalization, BodyLengthLimit) {
  const auto full = hash_body("hello\r\nworld\r\n", canon::simple);
  EXPECT_EQ(full.canonical_length, 14u);
  EXPECT_EQ(full.hashed_length, 14u);
  const auto part = hash_body("hello\r\nworld\r\n", canon::simple, 7);
  EXPECT_EQ(part.canonical_length, 14u);
  EXPECT_EQ(part.hashed_length, 7u);
  EXPECT_EQ(part.sha256, sha256("hello\r\n"));
  const auto zero = hash_body("hello\r\n", canon::relaxed, 0);
  EXPECT_EQ(zero.sha256, sha256(""));
  // A limit beyond the body hashes all of it.
  EXPECT_EQ(hash_body("x\r\n", canon::simple, 1000).sha256, sha256("x\r\n"));
}

TEST(Canonicalization, LargeBodyHashesInChunks) {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += "line with  two spaces \r\n";
  std::string expect;
  for (int i = 0; i < 20000; ++i) expect += "line with two spaces\r\n";
  EXPECT_EQ(hash_body(body, canon::relaxed).sha256, sha256(expect));
  EXPECT_EQ(canonicalize_body(body, canon::relaxed), expect);
}

TEST(Canonicalization, RelaxedHeaderUnfoldsAndTrims) {
  const std::string_view msg = "SUBJECT \t:  \t Hello\r\n   World \t\r\n\r\n";
  const auto m = split_message(msg);
  ASSERT_EQ(m.fields.size(), 1u);
  EXPECT_EQ(canonicalize_header(m.fields[0], canon::relaxed), "subject:Hello World\r\n");
  // Empty value.
  const auto e = split_message("X-Empty:\r\n\r\n");
  EXPECT_EQ(canonicalize_header(e.fields[0], canon::relaxed), "x-empty:\r\n");
  // 8-bit UTF-8 in a value is kept byte for byte.
  const auto u = split_message("Subject: \xe4\xbd\xa0\xe5\xa5\xbd  !\r\n\r\n");
  EXPECT_EQ(canonicalize_header(u.fields[0], canon::relaxed), "subject:\xe4\xbd\xa0\xe5\xa5\xbd !\r\n");
}

TEST(Canonicalization, SelectsBottomUp) {
  const std::string_view msg = "Received: 1\r\nFrom: a\r\nReceived: 2\r\nreceived: 3\r\nTo: b\r\n\r\nbody";
  const auto m = split_message(msg);
  const std::vector<std::string_view> names = {"received", "RECEIVED", "from", "from", "x-none", "received",
                                               "received"};
  const auto sel = select_headers(m, names);
  ASSERT_EQ(sel.size(), names.size());
  EXPECT_EQ(sel[0]->raw, "received: 3\r\n");
  EXPECT_EQ(sel[1]->raw, "Received: 2\r\n");
  EXPECT_EQ(sel[2]->raw, "From: a\r\n");
  EXPECT_EQ(sel[3], nullptr);  // over-signed: no second From
  EXPECT_EQ(sel[4], nullptr);
  EXPECT_EQ(sel[5]->raw, "Received: 1\r\n");
  EXPECT_EQ(sel[6], nullptr);
  EXPECT_EQ(m.body, "body");
}

TEST(Canonicalization, SignatureFieldWithoutB) {
  const auto m = split_message("DKIM-Signature: v=1; b=abc\r\n def ; bh=xyz;\r\n d=x\r\n\r\n");
  ASSERT_EQ(m.fields.size(), 1u);
  auto simple = canonicalize_signature_field(m.fields[0], canon::simple);
  ASSERT_TRUE(simple);
  EXPECT_EQ(*simple, "DKIM-Signature: v=1; b=; bh=xyz;\r\n d=x");
  auto relaxed = canonicalize_signature_field(m.fields[0], canon::relaxed);
  ASSERT_TRUE(relaxed);
  EXPECT_EQ(*relaxed, "dkim-signature:v=1; b=; bh=xyz; d=x");
  // b= last: everything after "b=" goes.
  const auto last = split_message("DKIM-Signature: v=1; bh=x; b=abc\r\n  def\r\n\r\n");
  EXPECT_EQ(*canonicalize_signature_field(last.fields[0], canon::relaxed), "dkim-signature:v=1; bh=x; b=");
  const auto nob = split_message("DKIM-Signature: v=1; bh=x\r\n\r\n");
  EXPECT_FALSE(canonicalize_signature_field(nob.fields[0], canon::relaxed));
}

TEST(Canonicalization, CrlfConversion) {
  EXPECT_FALSE(has_bare_lf("a\r\nb\r\n"));
  EXPECT_TRUE(has_bare_lf("a\nb"));
  EXPECT_TRUE(has_bare_lf("\n"));
  EXPECT_EQ(to_crlf("a\nb\r\nc\n\n"), "a\r\nb\r\nc\r\n\r\n");
  EXPECT_EQ(to_crlf("a\rb"), "a\rb");
}

TEST(Canonicalization, MessageWithoutBody) {
  const auto m = split_message("From: a\r\nTo: b\r\n");
  EXPECT_EQ(m.fields.size(), 2u);
  EXPECT_EQ(m.body, "");
  const auto e = split_message("");
  EXPECT_TRUE(e.fields.empty());
}

}  // namespace
}  // namespace letterhead::mailauth
