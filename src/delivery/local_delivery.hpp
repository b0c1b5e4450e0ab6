#pragma once
// The pipeline after SMTP acceptance: resolve each recipient (accounts, aliases,
// catch-all), store the message once for all local recipients with a Return-Path
// (RFC 5321 §4.4), and put remote recipients into the durable outbound queue.
// When deliver() returns success everything is on stable storage.

#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "directory/directory.hpp"
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
};

struct delivery_result {
  std::string id;                 // for the SMTP reply and the logs
  std::size_t local_copies = 0;   // mailboxes that got the message
  std::size_t queued = 0;         // remote recipients queued
};

class local_delivery {
 public:
  local_delivery(store::store& store, directory::directory& directory);

  [[nodiscard]] core::result<delivery_result> deliver(const inbound_message& msg,
                                                      std::string_view message);

 private:
  [[nodiscard]] core::result<delivery_result> deliver_now(const inbound_message& msg, std::string_view message);

  store::store& store_;
  directory::directory& directory_;
};

}  // namespace letterhead::delivery
