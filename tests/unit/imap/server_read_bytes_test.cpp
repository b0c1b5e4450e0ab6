// read_message_bytes, which FETCH, SEARCH, SORT and THREAD read message bodies with,
// on a real store: a message that another session expunged while this one still
// lists it is "gone" (nullopt: NO [EXPUNGEISSUED], or no match), never an error; a
// message still stored whose bytes cannot be read stays an error ([SERVERBUG]).
#include <filesystem>

#include <gtest/gtest.h>

#include "../store/test_support.hpp"
#include "imap/server/selected.hpp"
#include "store/store.hpp"

namespace letterhead::imap::server {
namespace {

using store::testing::ok;

struct fixture {
  store::testing::temp_dir dir;
  std::unique_ptr<store::store> st;
  store::id_t account_id = 0;
  store::id_t inbox = 0;

  fixture() {
    store::store_options o;
    o.data_dir = dir.path().string();
    st = ok(store::open(o));
    ok(st->add_domain("example.com"));
    store::account a;
    a.address = "a@example.com";
    account_id = ok(st->add_account(a)).id;
    inbox = ok(st->find_mailbox_by_role(account_id, store::mailbox_role::inbox)).id;
  }

  std::pair<std::uint32_t, std::string> deliver(std::string_view bytes) {
    store::delivery d;
    d.blob = ok(st->blobs().put(bytes));
    d.targets.push_back(store::delivery_target{account_id, store::mailbox_role::inbox, 0, {}});
    return {ok(st->deliver(d)).at(0).uid, d.blob};
  }
};

TEST(ReadMessageBytes, StoredMessageGivesItsBytes) {
  fixture f;
  const auto [uid, blob] = f.deliver("Subject: one\r\n\r\nbody one\r\n");
  auto got = ok(read_message_bytes(*f.st, f.inbox, uid, blob));
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "Subject: one\r\n\r\nbody one\r\n");
}

TEST(ReadMessageBytes, ExpungedMeanwhileIsGoneNotAnError) {
  fixture f;
  const auto [uid, blob] = f.deliver("Subject: two\r\n\r\nonly copy\r\n");
  ok(f.st->expunge(f.inbox, {uid}));
  ASSERT_FALSE(f.st->blobs().contains(blob)) << "the last reference went, and the bytes with it";
  auto got = read_message_bytes(*f.st, f.inbox, uid, blob);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_FALSE(*got);
}

TEST(ReadMessageBytes, UnreadableStoredMessageIsAnError) {
  fixture f;
  const auto [uid, blob] = f.deliver("Subject: three\r\n\r\nlost file\r\n");
  // The row is still there but its bytes are not (a damaged blob directory).
  std::size_t removed = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(f.dir.path())) {
    if (e.is_regular_file() && e.path().filename() == blob) removed += std::filesystem::remove(e.path()) ? 1 : 0;
  }
  ASSERT_EQ(removed, 1u);
  auto got = read_message_bytes(*f.st, f.inbox, uid, blob);
  EXPECT_FALSE(got);
}

}  // namespace
}  // namespace letterhead::imap::server
