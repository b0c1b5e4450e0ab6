// Deciding a held message by reply: only an explicit word on the first real line of
// the body, or in the Subject, decides (delivery/moderation.hpp decide_reply).

#include <gtest/gtest.h>

#include "delivery/moderation.hpp"

namespace letterhead::delivery {
namespace {

std::string reply(std::string_view subject, std::string_view body,
                  std::string_view extra = "Content-Type: text/plain; charset=utf-8\r\n") {
  return "From: owner@example.com\r\nSubject: " + std::string(subject) + "\r\nMIME-Version: 1.0\r\n" +
         std::string(extra) + "\r\n" + std::string(body);
}

TEST(moderation_reply, only_an_explicit_word_decides) {
  const struct {
    std::string message;
    reply_decision want;
  } cases[] = {
      {reply("Re: Held for moderation", "Is this spam?\r\n"), reply_decision::none},
      {reply("Re: Held for moderation", "fine\r\n"), reply_decision::none},
      {reply("Re: Held", "\r\n  Approve\r\n> Reject it: send a message\r\n"), reply_decision::approve},
      {reply("Re: Held", "APPROVE.\r\n"), reply_decision::approve},
      {reply("Re: Held", "reject, it is spam\r\n"), reply_decision::reject},
      {reply("Re: Held", "批准\r\n"), reply_decision::approve},
      {reply("Re: Held", "同意，谢谢\r\n"), reply_decision::approve},
      {reply("Re: Held", "拒绝\r\n"), reply_decision::reject},
      {reply("Re: Held", "不同意\r\n"), reply_decision::reject},
      {reply("Re: Held", "I disapprove\r\n"), reply_decision::reject},
      {reply("Re: Held", "approve or reject? not sure\r\n"), reply_decision::none},
      // Negated or asked, an approve word decides nothing.
      {reply("Re: Held", "do not approve\r\n"), reply_decision::none},
      {reply("Re: Held", "Not approved, sorry\r\n"), reply_decision::none},
      {reply("Re: Held", "Don't approve this one\r\n"), reply_decision::none},
      {reply("Re: Held", "unapproved\r\n"), reply_decision::none},
      {reply("Re: Held", "approve?\r\n"), reply_decision::none},
      {reply("Re: Held", "不要批准\r\n"), reply_decision::none},
      {reply("Re: Held", "别批准\r\n"), reply_decision::none},
      {reply("Re: Held", "do not reject\r\n"), reply_decision::none},
      // Quoted lines never decide, whatever they say.
      {reply("Re: Held", "> Approve it: reply to this message\r\n> 批准：直接回复\r\n"), reply_decision::none},
      // The first real line decides nothing: the Subject may.
      {reply("approve", "thanks\r\n"), reply_decision::approve},
      {reply("=?UTF-8?B?5om55YeG?=", "\r\n"), reply_decision::approve},  // RFC 2047 "批准"
      // A keyword further down is not the first line.
      {reply("Re: Held", "what is this?\r\napprove\r\n"), reply_decision::none},
      // Transfer-encoded bodies are decoded (base64 of "批准\r\n").
      {reply("Re: Held", "5om55YeGDQo=\r\n",
             "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n"),
       reply_decision::approve},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.message);
    EXPECT_EQ(decide_reply(c.message, false), c.want);
  }
  // The reject address rejects, whatever the text.
  EXPECT_EQ(decide_reply(reply("Re: Held", "approve\r\n"), true), reply_decision::reject);
  EXPECT_EQ(decide_reply(reply("x", "y\r\n"), true), reply_decision::reject);
}

TEST(moderation_reply, the_undecided_notice_says_how_to_decide_in_both_languages) {
  store::group g;
  g.address = "board@example.com";
  const auto n = undecided_notice(g, 7, "owner@example.com", "board+approve-7-x@example.com",
                                  "board+reject-7-y@example.com");
  EXPECT_NE(n.find("Reply-To: <board+approve-7-x@example.com>"), std::string::npos);
  EXPECT_NE(n.find("\"approve\""), std::string::npos);
  EXPECT_NE(n.find("批准"), std::string::npos);
  EXPECT_NE(n.find("拒绝"), std::string::npos);
  EXPECT_NE(n.find("<board+reject-7-y@example.com>"), std::string::npos);
  EXPECT_NE(n.find("Auto-Submitted: auto-replied"), std::string::npos);
}

}  // namespace
}  // namespace letterhead::delivery
