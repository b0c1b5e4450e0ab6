// RFC 5256 THREAD: the §4 response examples, REFERENCES steps 1-6 one by one, and
// ORDEREDSUBJECT.

#include <gtest/gtest.h>

#include "mime/base_subject.hpp"
#include "mime/parser.hpp"
#include "mime/thread.hpp"
#include "test_util.hpp"

namespace letterhead::mime {
namespace {

// Reads a THREAD response body back into trees (RFC 5256 §4 grammar), for round trips.
class thread_reader {
 public:
  explicit thread_reader(std::string_view s) : s_(s) {}
  std::vector<thread_node> all() {
    std::vector<thread_node> out;
    while (i_ < s_.size()) out.push_back(list());
    return out;
  }

 private:
  // thread-list = "(" (thread-members / thread-nested) ")"
  thread_node list() {
    expect('(');
    thread_node n;
    if (s_[i_] == '(') {
      n.children = nested();
    } else {
      n = members();
    }
    expect(')');
    return n;
  }
  std::vector<thread_node> nested() {
    std::vector<thread_node> out;
    while (i_ < s_.size() && s_[i_] == '(') out.push_back(list());
    return out;
  }
  // thread-members = nz-number *(SP nz-number) [SP thread-nested]
  thread_node members() {
    thread_node n(number());
    if (s_[i_] == ' ') {
      ++i_;
      if (s_[i_] == '(') {
        n.children = nested();
      } else {
        n.children.push_back(members());
      }
    }
    return n;
  }
  std::uint32_t number() {
    std::uint32_t v = 0;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') v = v * 10 + (s_[i_++] - '0');
    return v;
  }
  void expect(char c) {
    EXPECT_EQ(s_[i_], c) << "at " << i_;
    ++i_;
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

TEST(format_threads, rfc5256_section_4_trees) {
  // The tree drawn in RFC 5256 §4.
  std::vector<thread_node> threads;
  threads.emplace_back(2);
  thread_node t3(3);
  thread_node t6(6);
  thread_node t4(4);
  t4.children.emplace_back(23);
  thread_node t44(44);
  thread_node t7(7);
  t7.children.emplace_back(96);
  t44.children.push_back(std::move(t7));
  t6.children.push_back(std::move(t4));
  t6.children.push_back(std::move(t44));
  t3.children.push_back(std::move(t6));
  threads.push_back(std::move(t3));
  EXPECT_EQ(format_threads(threads), "(2)(3 6 (4 23)(44 7 96))");

  // A dummy root: "((3)(5))".
  std::vector<thread_node> dummy;
  dummy.emplace_back(0, std::vector<thread_node>{thread_node(3), thread_node(5)});
  EXPECT_EQ(format_threads(dummy), "((3)(5))");
  EXPECT_EQ(format_threads({}), "");
}

TEST(format_threads, rfc5256_section_4_responses_round_trip) {
  for (std::string_view response : {
           "(166)(167)(168)(169)(172)(170)(171)(173)(174 (175)(176)(178)(181)(180))(179)"
           "(177 (183)(182)(188)(184)(185)(186)(187)(189))(190)(191)(192)(193)(194 195)"
           "(196 (197)(198))(199)(200 202)(201)(203)(204)(205)(206 207)(208)",
           "(166)(167)(168)(169)(172)((170)(179))(171)(173)((174)(175)(176)(178)(181)(180))"
           "((177)(183)(182)(188)(184)(185)(186)(187)(189))(190)(191)(192)(193)((194)(195 196))"
           "(197 198)(199)(200 202)(201)(203)(204)(205 206 207)(208)",
           "(2)(3 6 (4 23)(44 7 96))",
       }) {
    EXPECT_EQ(format_threads(thread_reader(response).all()), response);
  }
}

thread_input msg(std::uint32_t id, std::string message_id, std::vector<std::string> refs,
                 std::string_view subject, std::int64_t date) {
  auto s = extract_base_subject(subject);
  return thread_input{id, std::move(message_id), std::move(refs), s.text, s.reply_or_forward,
                      date};
}

std::string references(const std::vector<thread_input>& in) {
  return format_threads(thread_references(in));
}

TEST(thread_references, chains_follow_references) {
  EXPECT_EQ(references({msg(1, "a", {}, "s", 1), msg(2, "b", {"a"}, "Re: s", 2),
                        msg(3, "c", {"a", "b"}, "Re: s", 3), msg(4, "d", {"a"}, "Re: s", 4)}),
            "(1 (2 3)(4))");
  // In-Reply-To alone (as the caller puts it in references) works the same.
  EXPECT_EQ(references({msg(1, "a", {}, "x", 1), msg(2, "b", {"a"}, "y", 2)}), "(1 2)");
}

TEST(thread_references, dummies_for_missing_messages) {
  // Step 1.A makes a dummy for "x"; step 4 keeps a top-level dummy with two children
  // and replaces one with a single child by that child.
  EXPECT_EQ(references({msg(2, "b", {"x"}, "one", 1), msg(3, "c", {"x"}, "two", 2)}),
            "((2)(3))");
  EXPECT_EQ(references({msg(2, "b", {"x"}, "one", 1)}), "(2)");
  // A dummy below the top is replaced by its children (step 4.B).
  EXPECT_EQ(references({msg(1, "a", {}, "t", 1), msg(2, "b", {"a", "missing"}, "u", 2),
                        msg(3, "c", {"a", "missing"}, "v", 3)}),
            "(1 (2)(3))");
}

TEST(thread_references, later_message_fixes_truncated_references) {
  // Message 1's References make "a" the parent of "b"; message 2 (which is "b") says
  // its parent is "z": step 1.B breaks the first link.
  EXPECT_EQ(references({msg(1, "c", {"a", "b"}, "p", 1), msg(2, "b", {"z"}, "q", 2)}),
            "(2 1)");
}

TEST(thread_references, subjects_gather_threads) {
  // Step 5: a reply without references joins the thread with its subject.
  EXPECT_EQ(references({msg(1, "a", {}, "hello", 1), msg(2, "b", {}, "Re: hello", 2)}),
            "(1 2)");
  // Two originals with one subject: siblings under a dummy.
  EXPECT_EQ(references({msg(1, "a", {}, "hello", 1), msg(2, "b", {}, "hello", 2)}),
            "((1)(2))");
  // A reply seen first still ends up under the original.
  EXPECT_EQ(references({msg(1, "a", {}, "Re: hello", 1), msg(2, "b", {}, "hello", 2)}),
            "(2 1)");
  // Empty subjects are never gathered.
  EXPECT_EQ(references({msg(1, "a", {}, "", 1), msg(2, "b", {}, "Re:", 2)}), "(1)(2)");
  // A dummy thread absorbs a message with its first child's subject.
  EXPECT_EQ(references({msg(1, "b", {"x"}, "topic", 1), msg(2, "c", {"x"}, "Re: topic", 2),
                        msg(3, "d", {}, "Re: topic", 3)}),
            "((1)(2)(3))");
}

TEST(thread_references, siblings_and_threads_by_sent_date) {
  // Step 6: children by date; threads by their root's date (a dummy by its first
  // child's); equal dates by input order.
  EXPECT_EQ(references({msg(1, "a", {}, "p", 50), msg(2, "b", {"a"}, "q", 40),
                        msg(3, "c", {"a"}, "r", 30), msg(4, "d", {}, "s", 10),
                        msg(5, "e", {"y"}, "t", 45), msg(6, "f", {"y"}, "u", 5),
                        msg(7, "g", {}, "v", 10)}),
            "((6)(5))(4)(7)(1 (3)(2))");
}

TEST(thread_references, hostile_ids) {
  // Loops through References are not created (step 1.A, 1.B): 1 is under "b", so 2
  // (which is "b") cannot go under 1. A message's own id in its References is ignored.
  auto out = references({msg(1, "a", {"b"}, "x", 1), msg(2, "b", {"a"}, "y", 2),
                         msg(3, "c", {"c"}, "z", 3), msg(4, "d", {"d", "a", "d"}, "w", 4)});
  EXPECT_EQ(out, "(2 1 4)(3)");
  // Duplicate and missing Message-IDs: only the first keeps the id.
  EXPECT_EQ(references({msg(1, "a", {}, "x", 1), msg(2, "a", {}, "y", 2),
                        msg(3, "", {}, "z", 3), msg(4, "n", {"a"}, "w", 4)}),
            "(1 4)(2)(3)");
}

TEST(thread_references, deep_chain_without_recursion) {
  // A 100,000-message chain: building, formatting and destroying must not recurse.
  std::vector<thread_input> in;
  constexpr std::uint32_t n = 100'000;
  in.reserve(n);
  for (std::uint32_t i = 1; i <= n; ++i) {
    std::vector<std::string> refs;
    if (i > 1) refs.push_back(std::to_string(i - 1));
    in.push_back(thread_input{i, std::to_string(i), std::move(refs), "S", i > 1, i});
  }
  const std::string out = format_threads(thread_references(in));
  EXPECT_EQ(out.substr(0, 8), "(1 2 3 4");
  EXPECT_EQ(out.substr(out.size() - 13), "99999 100000)");
}

TEST(thread_references, long_references_are_capped) {
  std::vector<std::string> refs;
  for (int i = 0; i < 10000; ++i) refs.push_back("r" + std::to_string(i));
  auto out = references({msg(1, "r0", {}, "a", 1), msg(2, "r9999", {}, "b", 2),
                         msg(3, "m", refs, "c", 3)});
  EXPECT_EQ(out, "(1 2 3)");  // the root and the nearest parents are kept
}

TEST(thread_orderedsubject, groups_by_base_subject) {
  // RFC 5256 §3: the earliest message is the parent, the others its children; threads
  // by their first message's date.
  std::vector<thread_input> in = {msg(1, "", {}, "A", 1),      msg(2, "", {}, "Re: A", 3),
                                  msg(3, "", {}, "B", 2),      msg(4, "", {}, "re: a", 4),
                                  msg(5, "", {}, "[list] A", 0), msg(6, "", {}, "C", 9),
                                  msg(7, "", {}, "Fwd: C", 8)};
  EXPECT_EQ(format_threads(thread_orderedsubject(in)), "(5 (1)(2)(4))(3)(7 6)");
  EXPECT_EQ(format_threads(thread_orderedsubject({})), "");
}

TEST(make_thread_input, from_a_parsed_message) {
  const std::string bytes = test::crlf(
      "Message-ID: <self@x>\nIn-Reply-To: <irt@x>\nReferences: <r1@x>\n <r2@x>\n"
      "Subject: Re: =?utf-8?q?caf=C3=A9?=\nDate: Thu, 1 Jan 1970 00:01:40 +0000\n\nbody\n");
  const message m = parse(bytes);
  const thread_input in = make_thread_input(bytes, m, 7, 999);
  EXPECT_EQ(in.id, 7u);
  EXPECT_EQ(in.message_id, "self@x");
  EXPECT_EQ(in.references, (std::vector<std::string>{"r1@x", "r2@x"}));
  EXPECT_EQ(in.base_subject, "CAFE\xCC\x81");
  EXPECT_TRUE(in.reply_or_forward);
  EXPECT_EQ(in.sent_date, 100);

  // No References: the first In-Reply-To id; no Date: the internal date.
  const std::string other = test::crlf("In-Reply-To: <a@x> <b@x>\n\n");
  const message o = parse(other);
  const thread_input oi = make_thread_input(other, o, 8, 999);
  EXPECT_EQ(oi.references, (std::vector<std::string>{"a@x"}));
  EXPECT_EQ(oi.sent_date, 999);
  EXPECT_TRUE(oi.message_id.empty());
}

}  // namespace
}  // namespace letterhead::mime
