// Rights strings (RFC 4314 §2.1, §3.1) and names in the other users namespace.
#include "imap/server/access.hpp"

#include <gtest/gtest.h>

namespace letterhead::imap::server {
namespace {

TEST(ImapAccess, ApplyRights) {
  EXPECT_EQ(apply_rights("", "rl").value(), "lr");  // canonical order
  EXPECT_EQ(apply_rights("lr", "+wsl").value(), "lrsw");
  EXPECT_EQ(apply_rights("lrsw", "-sw").value(), "lr");
  EXPECT_EQ(apply_rights("lrsw", "i").value(), "i");  // no modifier: replaces
  EXPECT_EQ(apply_rights("lrsw", "").value(), "");
  EXPECT_EQ(apply_rights("lr", "-").value(), "lr");
  EXPECT_EQ(apply_rights("lr", "+").value(), "lr");
  EXPECT_EQ(apply_rights("", "aeltxkpiwsr").value(), "lrswipkxtea");
  // Obsolete "c" and "d" (RFC 4314 §2.1.1).
  EXPECT_EQ(apply_rights("lr", "+c").value(), "lrkx");
  EXPECT_EQ(apply_rights("lrte", "-d").value(), "lr");
  EXPECT_EQ(apply_rights("", "lrlr").value(), "lr");
  EXPECT_FALSE(apply_rights("", "lrz"));
  EXPECT_FALSE(apply_rights("", "+L"));
  EXPECT_FALSE(apply_rights("", "l r"));
  EXPECT_FALSE(apply_rights("", "+-l"));
  EXPECT_FALSE(apply_rights("", std::string(100, 'l')));
}

TEST(ImapAccess, HasRights) {
  EXPECT_TRUE(has_right("lrs", 'r'));
  EXPECT_FALSE(has_right("lrs", 'w'));
  EXPECT_TRUE(has_rights("lrswi", "ri"));
  EXPECT_FALSE(has_rights("lr", "rw"));
  EXPECT_TRUE(has_rights("", ""));
}

TEST(ImapAccess, SharedNames) {
  auto n = split_shared_name("Other Users/bob@example.com/INBOX");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->owner, "bob@example.com");
  EXPECT_EQ(n->mailbox, "INBOX");
  n = split_shared_name("Other Users/bob@example.com/inbox/Sub/深");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mailbox, "INBOX/Sub/深");
  n = split_shared_name("Other Users/bob@example.com/Inboxes");
  ASSERT_TRUE(n);
  EXPECT_EQ(n->mailbox, "Inboxes");
  EXPECT_FALSE(split_shared_name("Other Users/bob@example.com"));
  EXPECT_FALSE(split_shared_name("Other Users/bob@example.com/"));
  EXPECT_FALSE(split_shared_name("Other Users//INBOX"));
  EXPECT_FALSE(split_shared_name("Other Users"));
  EXPECT_FALSE(split_shared_name("other users/bob@example.com/INBOX"));
  EXPECT_FALSE(split_shared_name("INBOX"));
  EXPECT_EQ(shared_mailbox_name("bob@example.com", "Sent"), "Other Users/bob@example.com/Sent");

  EXPECT_TRUE(is_shared_node("Other Users"));
  EXPECT_TRUE(is_shared_node("Other Users/"));
  EXPECT_TRUE(is_shared_node("Other Users/bob@example.com"));
  EXPECT_TRUE(is_shared_node("Other Users/bob@example.com/"));
  EXPECT_FALSE(is_shared_node("Other Users/bob@example.com/INBOX"));
  EXPECT_FALSE(is_shared_node("Other Usersx"));
  EXPECT_TRUE(in_shared_namespace("Other Users"));
  EXPECT_TRUE(in_shared_namespace("Other Users/x/y"));
  EXPECT_FALSE(in_shared_namespace("Other Usersx"));
  EXPECT_FALSE(in_shared_namespace("Work/Other Users"));
}

}  // namespace
}  // namespace letterhead::imap::server
