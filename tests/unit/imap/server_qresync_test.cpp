// QRESYNC answers computed from a change log (imap/server/qresync.hpp), checked
// against a brute-force reading of the same view: what vanished and what changed
// since a MODSEQ, limited to the UIDs the client asks about.
#include "imap/server/qresync.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "imap/proto/sequence_set.hpp"

namespace letterhead::imap::server {
namespace {

store::change chg(std::uint64_t modseq, store::change_kind k, store::id_t mailbox, std::uint32_t uid) {
  return store::change{modseq, k, mailbox, uid, 0};
}

selected_mailbox view(std::initializer_list<std::pair<std::uint32_t, std::uint64_t>> uid_modseq) {
  selected_mailbox sel;
  sel.mailbox.id = 7;
  for (auto [uid, modseq] : uid_modseq) {
    store::message m;
    m.uid = uid;
    m.modseq = modseq;
    sel.messages.push_back(m);
  }
  return sel;
}

const auto all = [](std::uint32_t) { return true; };

TEST(Qresync, ReportsExpungesAndChangesSinceTheModseqOnly) {
  using k = store::change_kind;
  const auto sel = view({{1, 3}, {2, 12}, {4, 5}, {6, 15}, {8, 16}});
  const std::vector<store::change> log = {
      chg(11, k::message_expunged, 7, 3),   // gone: reported
      chg(12, k::message_flags, 7, 2),      // changed: reported
      chg(13, k::message_flags, 9, 2),      // another mailbox: not ours
      chg(14, k::message_added, 7, 5),      // added and expunged since: reported gone
      chg(15, k::message_expunged, 7, 5),
      chg(15, k::message_added, 7, 6),      // new: reported (it changed since)
      chg(16, k::message_flags, 7, 8),
      chg(16, k::message_flags, 7, 8),      // twice: once
      chg(17, k::message_expunged, 7, 4),   // still in the view: reported later, live
      chg(18, k::mailbox_renamed, 7, 0),
  };
  const auto a = resync_since(log, sel, 10, all);
  EXPECT_EQ(a.vanished, (std::vector<std::uint32_t>{3, 5}));
  EXPECT_EQ(a.changed, (std::vector<std::size_t>{1, 3, 4}));  // UIDs 2, 6, 8
  // Only what the client asks about.
  const auto b = resync_since(log, sel, 10, [](std::uint32_t uid) { return uid <= 5; });
  EXPECT_EQ(b.vanished, (std::vector<std::uint32_t>{3, 5}));
  EXPECT_EQ(b.changed, (std::vector<std::size_t>{1}));
  // Entries at or below the MODSEQ are not news.
  const auto c = resync_since(log, sel, 15, all);
  EXPECT_EQ(c.vanished, std::vector<std::uint32_t>{});
  EXPECT_EQ(c.changed, (std::vector<std::size_t>{4}));
}

TEST(Qresync, AgreesWithABruteForceReadingOfTheMailbox) {
  // A random history of one mailbox: the log-based answer equals what comparing the
  // state at the MODSEQ with the state now gives.
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    using k = store::change_kind;
    std::vector<store::change> log;
    std::map<std::uint32_t, std::uint64_t> live;  // uid -> modseq
    std::set<std::uint32_t> expunged;
    std::uint64_t modseq = 0;
    std::uint32_t next_uid = 1;
    const std::uint64_t since = rng() % 60;
    std::set<std::uint32_t> live_at_since;
    for (int step = 0; step < 80; ++step) {
      ++modseq;
      const int op = static_cast<int>(rng() % 3);
      if (op == 0 || live.empty()) {
        live[next_uid] = modseq;
        log.push_back(chg(modseq, k::message_added, 7, next_uid++));
      } else {
        auto it = live.begin();
        std::advance(it, static_cast<long>(rng() % live.size()));
        if (op == 1) {
          it->second = modseq;
          log.push_back(chg(modseq, k::message_flags, 7, it->first));
        } else {
          log.push_back(chg(modseq, k::message_expunged, 7, it->first));
          expunged.insert(it->first);
          live.erase(it);
        }
      }
      if (modseq == since) {
        live_at_since.clear();
        for (const auto& [uid, m] : live) live_at_since.insert(uid);
      }
    }
    selected_mailbox sel;
    sel.mailbox.id = 7;
    for (const auto& [uid, m] : live) {
      store::message msg;
      msg.uid = uid;
      msg.modseq = m;
      sel.messages.push_back(msg);
    }
    std::vector<store::change> tail;
    for (const auto& c : log) {
      if (c.modseq > since) tail.push_back(c);
    }
    std::shuffle(tail.begin(), tail.end(), rng);
    const std::uint32_t known_max = static_cast<std::uint32_t>(rng() % next_uid);
    const auto a = resync_since(tail, sel, since, [&](std::uint32_t uid) { return uid <= known_max; });
    std::vector<std::uint32_t> want_vanished;
    for (const auto uid : expunged) {
      // Expunged after `since` (it existed then, or was added after it).
      const bool after = live_at_since.contains(uid) || std::any_of(tail.begin(), tail.end(), [&](const auto& c) {
                           return c.uid == uid && c.kind == k::message_added;
                         });
      if (after && uid <= known_max) want_vanished.push_back(uid);
    }
    std::vector<std::size_t> want_changed;
    for (std::size_t i = 0; i < sel.messages.size(); ++i) {
      if (sel.messages[i].modseq > since && sel.messages[i].uid <= known_max) want_changed.push_back(i);
    }
    EXPECT_EQ(a.vanished, want_vanished) << round;
    EXPECT_EQ(a.changed, want_changed) << round;
  }
}

TEST(Qresync, SetsAndResponses) {
  auto set = proto::parse_sequence_set("1:3,7,10:*");
  ASSERT_TRUE(set.has_value());
  EXPECT_TRUE(set_contains(*set, 2, 20));
  EXPECT_FALSE(set_contains(*set, 5, 20));
  EXPECT_TRUE(set_contains(*set, 15, 20));
  EXPECT_FALSE(set_contains(*set, 25, 20));
  EXPECT_TRUE(set_contains(*set, 25, 30));
  auto reversed = proto::parse_sequence_set("*:4");
  ASSERT_TRUE(reversed.has_value());
  EXPECT_TRUE(set_contains(*reversed, 4, 9));
  EXPECT_FALSE(set_contains(*reversed, 3, 9));
  EXPECT_EQ(vanished_response({3, 4, 5, 9}, true), "VANISHED (EARLIER) 3:5,9");
  EXPECT_EQ(vanished_response({41}, false), "VANISHED 41");
  EXPECT_EQ(mailbox_objectid(42), "M42");
  store::message m;
  m.blob = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  EXPECT_EQ(email_objectid(m), "M0123456789abcdef01234567");
}

}  // namespace
}  // namespace letterhead::imap::server
