// store::apply_offboarding (store/offboarding_plan.hpp): one transaction that applies
// every part of an offboarding or its undoing, or nothing. Backend-independent, like
// store_suite_test.cpp: written against store::store only.

#include <algorithm>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "test_support.hpp"

namespace letterhead::store {
namespace {

using core::errc;
using testing::fails_with;
using testing::ok;

class offboarding_suite : public ::testing::Test {
 protected:
  void SetUp() override {
    store_options o;
    o.backend = "sqlite";
    o.data_dir = dir_.path().string();
    store_ = ok(open(o));
    ok(s().add_domain("example.com"));
    alice = add("alice@example.com");
    bob = add("bob@example.com");
    blob = ok(s().blobs().put("Subject: hi\r\n\r\nbody\r\n"));
    for (int i = 0; i < 5; ++i) deliver(alice.id, i == 0 ? mailbox_role::sent : mailbox_role::inbox);
    app_password p;
    p.account_id = alice.id;
    p.name = "phone";
    p.hash = "x";
    p.protocols = {"imap"};
    ok(s().add_app_password(p));
    group g;
    g.address = "sales@example.com";
    g.name = "Sales";
    g.owners = {"alice@example.com"};
    sales = ok(s().add_group(g));
  }

  store& s() { return *store_; }

  account add(const std::string& address) {
    account a;
    a.address = address;
    return ok(s().add_account(a));
  }

  void deliver(id_t account_id, mailbox_role role) {
    delivery d;
    d.blob = blob;
    d.internal_date = 1700000000;
    d.targets.push_back(delivery_target{account_id, role, flag_seen, {"$work"}});
    ok(s().deliver(d));
  }

  std::size_t count(id_t account_id, std::string_view name) {
    auto box = s().find_mailbox(account_id, name);
    if (!box) return 0;
    return ok(s().list_messages(box->id, 1)).size();
  }

  // What offboard() in directory/ would ask for.
  offboarding_plan offboard_plan() {
    offboarding_plan p;
    p.record.account_id = alice.id;
    p.record.successor_id = bob.id;
    p.record.transferred = true;
    p.record.moved_groups = {sales.id};
    p.set_disabled = true;
    p.revoke_credentials = true;
    p.transfers.push_back(mail_transfer{alice.id, "", bob.id, "Offboarded/alice@example.com"});
    p.acls.push_back(acl_change{alice.id, bob.id, "lrs"});
    p.owners.push_back(owner_change{sales.id, alice.id, bob.id});
    p.actor = "admin";
    p.audit = [](const offboarding_outcome& out) {
      return std::vector<audit_entry>{{"user.offboard.transfer", std::to_string(out.messages_moved)}};
    };
    return p;
  }

  offboarding_plan restore_plan() {
    offboarding_plan p;
    p.restore = true;
    p.record = ok(s().get_offboarding(alice.id));
    p.set_disabled = false;
    p.transfers.push_back(mail_transfer{bob.id, "Offboarded/alice@example.com", alice.id, ""});
    p.cleanups.push_back(mailbox_cleanup{bob.id, "Offboarded/alice@example.com", true});
    p.cleanups.push_back(mailbox_cleanup{bob.id, "Offboarded", false});
    p.acls.push_back(acl_change{alice.id, bob.id, ""});
    p.owners.push_back(owner_change{sales.id, bob.id, alice.id});
    p.actor = "admin";
    return p;
  }

  // The state before any offboarding, to the last MODSEQ and audit record.
  struct snapshot {
    bool disabled;
    std::size_t app_passwords, inbox, sent, bob_mailboxes, shared, audit;
    std::uint64_t alice_modseq, bob_modseq;
    std::vector<std::string> owners;
    bool operator==(const snapshot&) const = default;
  };
  snapshot take() {
    return snapshot{ok(s().get_account(alice.id)).disabled,
                    ok(s().list_app_passwords(alice.id)).size(),
                    count(alice.id, "INBOX"),
                    count(alice.id, "Sent"),
                    ok(s().list_mailboxes(bob.id)).size(),
                    ok(s().list_shared_with(bob.id)).size(),
                    ok(s().list_audit(1000)).size(),
                    ok(s().highest_modseq(alice.id)),
                    ok(s().highest_modseq(bob.id)),
                    ok(s().find_group("sales@example.com")).owners};
  }

  testing::temp_dir dir_;
  std::unique_ptr<store> store_;
  account alice, bob;
  group sales;
  std::string blob;
};

TEST_F(offboarding_suite, applies_every_part_and_undoes_them) {
  const auto before = take();
  const auto alice_modseq = before.alice_modseq;
  const auto bob_modseq = before.bob_modseq;
  auto out = ok(s().apply_offboarding(offboard_plan()));
  EXPECT_EQ(out.messages_moved, 5u);
  EXPECT_EQ(out.app_passwords_revoked, 1u);
  EXPECT_EQ(out.groups_changed, 1u);
  EXPECT_EQ(out.mailboxes_shared, ok(s().list_mailboxes(alice.id)).size());
  EXPECT_TRUE(ok(s().get_account(alice.id)).disabled);
  EXPECT_TRUE(ok(s().list_app_passwords(alice.id)).empty());
  EXPECT_EQ(count(alice.id, "INBOX"), 0u);
  // Moved rows: new UIDs from 1, flags and keywords kept, counters right.
  auto moved = ok(s().find_mailbox(bob.id, "Offboarded/alice@example.com/INBOX"));
  EXPECT_EQ(moved.messages, 4u);
  EXPECT_EQ(moved.uidnext, 5u);
  auto msgs = ok(s().list_messages(moved.id, 1));
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs.front().uid, 1u);
  EXPECT_EQ(msgs.front().flags, flag_seen);
  EXPECT_EQ(msgs.front().keywords, (std::vector<std::string>{"$work"}));
  EXPECT_EQ(msgs.front().account_id, bob.id);
  // RFC 7162 §3.1.2: HIGHESTMODSEQ is that of the newest change in the mailbox.
  EXPECT_EQ(moved.highest_modseq, std::ranges::max(msgs, {}, &message::modseq).modseq);
  EXPECT_GT(moved.highest_modseq, bob_modseq);
  EXPECT_EQ(count(bob.id, "Offboarded/alice@example.com/Sent"), 1u);
  EXPECT_EQ(ok(s().find_mailbox(alice.id, "INBOX")).messages, 0u);
  // The change logs: five expunges for alice, five adds (and the new mailboxes) for bob.
  auto alice_changes = ok(s().changes_since(alice.id, alice_modseq));
  EXPECT_EQ(std::ranges::count(alice_changes, change_kind::message_expunged, &change::kind), 5);
  auto bob_changes = ok(s().changes_since(bob.id, bob_modseq));
  EXPECT_EQ(std::ranges::count(bob_changes, change_kind::message_added, &change::kind), 5);
  EXPECT_EQ(ok(s().list_shared_with(bob.id)).front().rights, "lrs");
  EXPECT_EQ(ok(s().find_group("sales@example.com")).owners, (std::vector<std::string>{"bob@example.com"}));
  EXPECT_TRUE(s().get_offboarding(alice.id));
  auto audit = ok(s().list_audit(1));
  EXPECT_EQ(audit.front().action, "user.offboard.transfer");
  EXPECT_EQ(audit.front().detail, "5");
  // The blob was not copied: one stored blob, still readable.
  EXPECT_TRUE(s().blobs().get(blob));

  auto back = ok(s().apply_offboarding(restore_plan()));
  EXPECT_EQ(back.messages_moved, 5u);
  EXPECT_FALSE(ok(s().get_account(alice.id)).disabled);
  EXPECT_EQ(count(alice.id, "INBOX"), 4u);
  EXPECT_EQ(count(alice.id, "Sent"), 1u);
  EXPECT_FALSE(s().find_mailbox(bob.id, "Offboarded"));
  EXPECT_EQ(ok(s().list_mailboxes(bob.id)).size(), before.bob_mailboxes);
  EXPECT_TRUE(ok(s().list_shared_with(bob.id)).empty());
  EXPECT_EQ(ok(s().find_group("sales@example.com")).owners, (std::vector<std::string>{"alice@example.com"}));
  EXPECT_TRUE(fails_with(s().get_offboarding(alice.id), errc::not_found));
  // UIDs are not reused: INBOX continues after its old UIDNEXT.
  EXPECT_EQ(ok(s().list_messages(ok(s().find_mailbox(alice.id, "INBOX")).id, 1)).front().uid, 5u);
  // A second restore has no record to remove: it fails and changes nothing.
  auto after = take();
  offboarding_plan again;
  again.restore = true;
  again.record.account_id = alice.id;
  again.record.successor_id = bob.id;
  again.set_disabled = true;
  again.acls.push_back(acl_change{alice.id, bob.id, "lrs"});
  EXPECT_TRUE(fails_with(s().apply_offboarding(again), errc::not_found));
  EXPECT_EQ(take(), after);
}

TEST_F(offboarding_suite, a_constraint_violation_in_the_last_part_leaves_nothing_changed) {
  // A record exists already: the offboardings key refuses the insert, the last part.
  offboarding rec;
  rec.account_id = alice.id;
  rec.successor_id = bob.id;
  ok(s().add_offboarding(rec));
  const auto before = take();
  EXPECT_TRUE(fails_with(s().apply_offboarding(offboard_plan()), errc::exists));
  EXPECT_EQ(take(), before);
  EXPECT_FALSE(s().find_mailbox(bob.id, "Offboarded"));
  ok(s().remove_offboarding(alice.id));
  ok(s().apply_offboarding(offboard_plan()));
  EXPECT_TRUE(ok(s().get_account(alice.id)).disabled);
}

TEST_F(offboarding_suite, a_failure_after_any_part_rolls_back_every_part) {
  const auto before = take();
  for (const auto* failing : {"disable", "app_passwords", "transfer", "share", "groups", "record"}) {
    SCOPED_TRACE(failing);
    auto plan = offboard_plan();
    plan.fault = [failing](std::string_view part) -> core::result<void> {
      if (part == failing) return core::fail(errc::unavailable, "injected");
      return {};
    };
    EXPECT_TRUE(fails_with(s().apply_offboarding(plan), errc::unavailable));
    EXPECT_EQ(take(), before);
  }
  // A successor that no longer exists: refused inside the transaction.
  auto plan = offboard_plan();
  plan.record.successor_id = 999999;
  EXPECT_TRUE(fails_with(s().apply_offboarding(plan), errc::not_found));
  EXPECT_EQ(take(), before);
}

}  // namespace
}  // namespace letterhead::store
