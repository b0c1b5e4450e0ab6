#pragma once
// Wires the POP3 server's backend interface to the directory and the store: the
// maildrop is the account's INBOX.

#include "directory/directory.hpp"
#include "pop3/server/backend.hpp"

namespace letterhead::app {

class pop3_backend final : public pop3::server::backend {
 public:
  explicit pop3_backend(directory::directory& dir) : directory_(dir) {}

  core::result<pop3::server::identity> authenticate(const std::string& username,
                                                    const std::string& password) override;
  core::result<pop3::server::identity> login(const std::string& username, const std::string& password,
                                             directory::login_context& ctx) override;
  std::string sasl_mechanisms() const override { return std::string(directory::sasl_scram_sha256); }
  std::unique_ptr<directory::sasl_exchange> start_sasl(std::string_view mechanism,
                                                       const directory::login_context& ctx) override {
    return directory_.start_sasl(mechanism, ctx);
  }
  core::result<bool> still_active(const pop3::server::identity& who) override {
    if (auto cached = directory_.account_active_cached(who.account_id)) return *cached;
    return directory_.account_active(who.account_id);
  }
  core::result<pop3::server::maildrop> open_maildrop(const pop3::server::identity& who) override;
  core::result<std::string> fetch(const pop3::server::maildrop& drop,
                                  const pop3::server::maildrop_message& message) override;
  core::result<void> remove(const pop3::server::maildrop& drop, const std::vector<std::uint32_t>& uids) override;

 private:
  directory::directory& directory_;
};

}  // namespace letterhead::app
