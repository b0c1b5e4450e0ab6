#pragma once
// Structural invariants every parse result must satisfy, whatever the input.

#include <gtest/gtest.h>

#include <algorithm>
#include <string_view>

#include "mime/message.hpp"

namespace letterhead::mime::test {

inline std::size_t expected_lines(std::string_view body) {
  auto n = static_cast<std::size_t>(std::count(body.begin(), body.end(), '\n'));
  return n + ((!body.empty() && body.back() != '\n') ? 1 : 0);
}

inline void check_invariants(std::string_view bytes, const message& m) {
  ASSERT_FALSE(m.parts.empty());
  EXPECT_FALSE(m.parts[0].parent.has_value());
  EXPECT_EQ(m.parts[0].header.begin, 0u);
  for (std::size_t i = 0; i < m.parts.size(); ++i) {
    const part& p = m.parts[i];
    SCOPED_TRACE(testing::Message() << "part " << i);
    ASSERT_LE(p.header.begin, p.header.end);
    ASSERT_EQ(p.header.end, p.body.begin);
    ASSERT_LE(p.body.begin, p.body.end);
    ASSERT_LE(p.body.end, bytes.size());
    EXPECT_EQ(p.body_lines, expected_lines(slice(bytes, p.body)));
    for (const auto& f : p.fields) {
      EXPECT_LE(p.header.begin, f.whole.begin);
      EXPECT_LE(f.whole.end, p.header.end);
      EXPECT_EQ(f.name.begin, f.whole.begin);
      EXPECT_LE(f.name.end, f.value.begin);
      EXPECT_LE(f.value.begin, f.value.end);
      EXPECT_LE(f.value.end, f.whole.end);
    }
    std::size_t previous_end = p.body.begin;
    for (std::size_t c : p.children) {
      ASSERT_LT(c, m.parts.size());
      ASSERT_GT(c, i);  // pre-order
      const part& child = m.parts[c];
      EXPECT_EQ(child.parent, i);
      EXPECT_EQ(child.depth, p.depth + 1);
      EXPECT_LE(previous_end, child.header.begin);
      EXPECT_LE(child.body.end, p.body.end);
      previous_end = child.body.end;
    }
    if (p.embedded) {
      EXPECT_TRUE(p.children.empty());
      const part& e = m.parts[*p.embedded];
      EXPECT_EQ(e.parent, i);
      EXPECT_EQ(e.depth, p.depth + 1);
      EXPECT_EQ(e.whole(), p.body);  // the encapsulated message is exactly the body
    }
    if (p.parent) {
      const part& parent = m.parts[*p.parent];
      bool listed = std::find(parent.children.begin(), parent.children.end(), i) !=
                        parent.children.end() ||
                    parent.embedded == i;
      EXPECT_TRUE(listed);
    }
  }
}

}  // namespace letterhead::mime::test
