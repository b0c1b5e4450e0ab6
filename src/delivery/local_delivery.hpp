#pragma once
// The pipeline after SMTP acceptance: resolve each recipient (accounts, aliases,
// catch-all), store the message once for all local recipients with a Return-Path
// (RFC 5321 §4.4), and put remote recipients into the durable outbound queue.
// When deliver() returns success everything is on stable storage.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "delivery/forwarding.hpp"
#include "directory/directory.hpp"
#include "mime/parser.hpp"
#include "store/store.hpp"

namespace letterhead::delivery {

struct recipient {
  std::string address;
  std::string notify;  // RFC 3461 NOTIFY
  std::string orcpt;   // RFC 3461 ORCPT
};

struct inbound_message {
  std::string mail_from;  // empty = null reverse-path
  std::vector<recipient> recipients;
  std::string dsn_ret;
  std::string dsn_envid;
  std::string auth_account;  // submitting account's address, empty for MX mail
  // An owner approved it (delivery/moderation.hpp): moderated groups are expanded
  // instead of holding the message again.
  bool moderation_approved = false;
  std::string body_type;     // BODY= as declared (RFC 6152, RFC 3030), "" if none
  bool smtputf8 = false;     // SMTPUTF8 was used (RFC 6531)
  bool requiretls = false;   // REQUIRETLS was used (RFC 8689 §4.1): kept on queue entries
  bool junk = false;         // judged spam: local recipients get it in their Junk mailbox
};

struct delivery_result {
  std::string id;                 // for the SMTP reply and the logs
  std::size_t local_copies = 0;   // mailboxes that got the message
  std::size_t queued = 0;         // remote recipients queued
  std::size_t held = 0;           // moderated groups it waits for
};

class local_delivery {
 public:
  local_delivery(store::store& store, directory::directory& directory);

  [[nodiscard]] core::result<delivery_result> deliver(const inbound_message& msg,
                                                      std::string_view message);

  // Called after each successful enqueue (from the delivering thread), so that the
  // outbound queue starts at once instead of at its next poll. Set before serving.
  void on_enqueued(std::function<void()> cb) { on_enqueued_ = std::move(cb); }
  // The MIME limits IMAP parses with ([limits]), so that the summary stored with each
  // message is the one IMAP would compute. Defaults otherwise.
  void set_parse_limits(const core::limits& l) { parse_limits_ = mime::parse_limits::from_config(l); }
  // SRS and ARC for what aliases, forwards and lists pass on to outside addresses,
  // and bounces to SRS addresses relayed back (forwarding.hpp). Without it mail is
  // passed on unchanged. Set before serving.
  void set_forwarding(std::shared_ptr<const forwarding> f) { forwarding_ = std::move(f); }
  [[nodiscard]] const forwarding* forwarding_rules() const noexcept { return forwarding_.get(); }

 private:
  [[nodiscard]] core::result<delivery_result> deliver_now(const inbound_message& msg, std::string_view message);
  // Issue 6: stores the message once for the moderated groups it waits for and tells
  // their owners.
  [[nodiscard]] core::result<std::size_t> hold(const inbound_message& msg, std::string_view message,
                                               const std::vector<store::id_t>& groups);

  // One queue entry for `recipients`, sent with `mail_from`.
  [[nodiscard]] core::result<void> enqueue(const inbound_message& msg, std::string_view message,
                                           std::string_view mail_from, const std::vector<recipient>& recipients,
                                           store::unix_time now);

  store::store& store_;
  directory::directory& directory_;
  std::shared_ptr<const forwarding> forwarding_;
  std::function<void()> on_enqueued_;
  mime::parse_limits parse_limits_;
};

}  // namespace letterhead::delivery
