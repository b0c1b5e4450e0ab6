#include "app/pop3_backend.hpp"

namespace letterhead::app {

core::result<pop3::server::identity> pop3_backend::authenticate(const std::string& username,
                                                               const std::string& password) {
  auto acc = directory_.authenticate(username, password);
  if (!acc) return std::unexpected(acc.error());
  return pop3::server::identity{acc->id, acc->address};
}

core::result<pop3::server::identity> pop3_backend::login(const std::string& username, const std::string& password,
                                                        directory::login_context& ctx) {
  auto acc = directory_.authenticate(username, password, ctx);
  if (!acc) return std::unexpected(acc.error());
  return pop3::server::identity{acc->id, acc->address};
}

core::result<pop3::server::maildrop> pop3_backend::open_maildrop(const pop3::server::identity& who) {
  auto& st = directory_.store();
  auto inbox = st.find_mailbox_by_role(who.account_id, store::mailbox_role::inbox);
  if (!inbox) return std::unexpected(inbox.error());
  auto messages = st.list_messages(inbox->id);
  if (!messages) return std::unexpected(messages.error());
  pop3::server::maildrop drop;
  drop.mailbox_id = inbox->id;
  drop.uidvalidity = inbox->uidvalidity;
  drop.messages.reserve(messages->size());
  for (auto& m : *messages) drop.messages.push_back({m.uid, m.size, std::move(m.blob)});
  return drop;
}

core::result<std::string> pop3_backend::fetch(const pop3::server::maildrop& drop,
                                              const pop3::server::maildrop_message& message) {
  auto& st = directory_.store();
  // Still in the mailbox? An IMAP session or another POP3 session may have expunged
  // it since the snapshot; its blob may live on for other mailboxes.
  auto m = st.get_message(drop.mailbox_id, message.uid);
  if (!m) return std::unexpected(m.error());
  return st.blobs().get(m->blob);
}

core::result<void> pop3_backend::remove(const pop3::server::maildrop& drop, const std::vector<std::uint32_t>& uids) {
  return directory_.store().expunge(drop.mailbox_id, uids);
}

}  // namespace letterhead::app
