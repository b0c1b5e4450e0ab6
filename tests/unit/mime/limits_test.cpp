// Bounded behaviour on hostile input: every case must finish quickly (linear time) and
// report truncation instead of growing without bound.

#include <gtest/gtest.h>

#include <chrono>

#include "invariants.hpp"
#include "mime/address.hpp"
#include "mime/body.hpp"
#include "mime/msg_id.hpp"
#include "mime/parser.hpp"

namespace letterhead::mime {
namespace {

using test::check_invariants;

// Generous for Debug + ASan builds on a shared 2-core machine; a quadratic parser takes
// minutes on these inputs.
constexpr auto time_budget = std::chrono::seconds(10);

template <class F>
auto timed(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  auto r = f();
  auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, time_budget);
  return r;
}

std::string nested_multipart(int depth) {
  std::string m;
  for (int i = 0; i < depth; ++i) {
    m += "Content-Type: multipart/mixed; boundary=\"b" + std::to_string(i) + "\"\r\n\r\n--b" +
         std::to_string(i) + "\r\n";
  }
  m += "Content-Type: text/plain\r\n\r\ndeepest\r\n";
  for (int i = depth - 1; i >= 0; --i) m += "--b" + std::to_string(i) + "--\r\n";
  return m;
}

TEST(limits, thousand_deep_multipart_is_cut_at_max_depth) {
  const std::string m = nested_multipart(1000);
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), parse_limits{}.max_depth + 1);
  std::size_t deepest = 0;
  for (const auto& p : msg.parts) deepest = std::max(deepest, p.depth);
  EXPECT_EQ(deepest, parse_limits{}.max_depth);
  EXPECT_EQ(msg.root().body.end, m.size());
}

TEST(limits, deep_structure_within_limits_is_complete) {
  const std::string m = nested_multipart(40);
  auto msg = parse(m);
  check_invariants(m, msg);
  EXPECT_FALSE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), 41u);
  EXPECT_EQ(slice(m, msg.parts.back().body), "deepest");
}

TEST(limits, max_depth_is_clamped_to_the_hard_limit) {
  const std::string m = nested_multipart(1000);
  parse_limits huge;
  huge.max_depth = 1'000'000;
  auto msg = timed([&] { return parse(m, huge); });
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), parse_limits::hard_max_depth + 1);
}

TEST(limits, thousand_deep_message_rfc822) {
  std::string m;
  for (int i = 0; i < 1000; ++i) m += "Content-Type: message/rfc822\r\n\r\n";
  m += "Subject: bottom\r\n\r\nbody\r\n";
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), parse_limits{}.max_depth + 1);
}

TEST(limits, five_megabytes_without_header) {
  std::string m;
  while (m.size() < 5 * 1024 * 1024) m += "Lorem ipsum dolor sit amet, consectetur adipiscing\r\n";
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  ASSERT_EQ(msg.parts.size(), 1u);
  EXPECT_TRUE(msg.root().header.empty());
  EXPECT_EQ(msg.root().body.size(), m.size());
  auto text = timed([&] { return text_body_utf8(m, msg.root()); });
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, m);
}

TEST(limits, five_megabyte_header_field) {
  std::string m = "Subject: start";
  while (m.size() < 5 * 1024 * 1024) m += "\r\n =?utf-8?Q?x?= y";
  m += "\r\n\r\nbody";
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  ASSERT_EQ(msg.root().fields.size(), 1u);
  EXPECT_EQ(slice(m, msg.root().body), "body");
  auto subject = timed([&] { return header_value(m, msg.root().fields, "Subject"); });
  EXPECT_TRUE(subject.has_value());
}

TEST(limits, too_many_header_fields) {
  std::string m;
  while (m.size() < 5 * 1024 * 1024) m += "X-A: b\r\n";
  m += "\r\nbody";
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.root().fields.size(), parse_limits{}.max_header_fields);
  EXPECT_TRUE(msg.root().has(part_defect::header_truncated));
  EXPECT_EQ(slice(m, msg.root().body), "body");
}

TEST(limits, header_size_limit) {
  std::string m;
  for (int i = 0; i < 500; ++i) m += "X-Long: " + std::string(4000, 'a') + "\r\n";
  m += "\r\nbody";
  auto msg = parse(m);
  EXPECT_TRUE(msg.truncated);
  // Fields starting within the first MiB: 1 MiB / 4010 bytes per line, rounded up.
  EXPECT_EQ(msg.root().fields.size(), (1024u * 1024u + 4009u) / 4010u);
  EXPECT_EQ(slice(m, msg.root().body), "body");
}

TEST(limits, hundred_thousand_tiny_parts) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100'000; ++i) m += "--b\r\n\r\nx\r\n";
  m += "--b--\r\n";
  auto msg = timed([&] { return parse(m); });
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), parse_limits{}.max_parts);
  EXPECT_EQ(msg.root().body.end, m.size());
  EXPECT_FALSE(msg.root().has(part_defect::unterminated_multipart));
}

TEST(limits, total_header_fields_across_parts) {
  std::string m = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 2000; ++i) {
    m += "--b\r\n";
    for (int k = 0; k < 200; ++k) m += "X: y\r\n";
    m += "\r\nx\r\n";
  }
  m += "--b--\r\n";
  parse_limits limits;
  auto msg = timed([&] { return parse(m, limits); });
  std::size_t total = 0;
  for (const auto& p : msg.parts) total += p.fields.size();
  EXPECT_EQ(total, limits.max_total_header_fields);
  EXPECT_TRUE(msg.truncated);
  EXPECT_EQ(msg.parts.size(), 2001u);  // parts are still found
}

TEST(limits, many_delimiter_lookalikes_at_max_depth) {
  // 50 open boundaries, then a megabyte of lines that start like delimiters: each line
  // is compared with every open boundary, which is the parser's worst case.
  std::string m = nested_multipart(50);
  std::string noise;
  while (noise.size() < 2 * 1024 * 1024) noise += "--b4x\r\n--b\r\n-- \r\n";
  m.insert(m.find("deepest"), noise);
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
}

TEST(limits, huge_boundary) {
  const std::string boundary(1024 * 1024, 'q');
  std::string m = "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n";
  for (int i = 0; i < 3; ++i) m += "--" + boundary + "\r\n\r\npart\r\n";
  m += "--" + boundary + "--\r\n";
  auto msg = timed([&] { return parse(m); });
  check_invariants(m, msg);
  EXPECT_EQ(msg.parts.size(), 4u);
}

TEST(limits, pathological_header_values) {
  std::string parens(1024 * 1024, '(');
  std::string words;
  while (words.size() < 1024 * 1024) words += "=?=?a?=?";
  std::string quotes(1024 * 1024, '"');
  std::string lts(512 * 1024, '<');
  for (const std::string* v : {&parens, &words, &quotes, &lts}) {
    timed([&] { return parse_content_type("text/plain; a=" + *v); });
    timed([&] { return decode_unstructured(*v); });
    timed([&] { return parse_address_list(*v); });
    timed([&] { return parse_parameters(*v); });
  }
  std::string sections;
  for (int i = 0; i < 15000; ++i) sections += "; n*" + std::to_string(15000 - i) + "=x";
  sections += "; n*0=start";
  auto ps = timed([&] { return parse_parameters(sections); });
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].value.size(), 5u + 10000u);  // sections 1..10000 (the cap) follow "start"
  std::string many_params;
  for (int i = 0; i < 100000; ++i) many_params += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(timed([&] { return parse_parameters(many_params); }).size(), 20000u);
  std::string many_ids;
  for (int i = 0; i < 30000; ++i) many_ids += "<" + std::to_string(i) + "@x> ";
  auto ids = timed([&] { return parse_msg_id_list(many_ids); });
  ASSERT_EQ(ids.size(), 10000u);
  EXPECT_EQ(ids.front(), "0@x");       // the root of the thread
  EXPECT_EQ(ids[1], "20001@x");        // then the most recent ones, in order
  EXPECT_EQ(ids.back(), "29999@x");
}

}  // namespace
}  // namespace letterhead::mime
