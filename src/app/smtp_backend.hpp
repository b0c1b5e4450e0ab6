#pragma once
// Wires the SMTP server's backend interface to the directory and local delivery.

#include <memory>

#include "delivery/local_delivery.hpp"
#include "directory/directory.hpp"
#include "smtp/server/backend.hpp"

namespace letterhead::app {

class abuse_limits;
class inbound_auth;
class inbound_filter;

class smtp_backend final : public smtp::server::backend {
 public:
  smtp_backend(directory::directory& dir, delivery::local_delivery& delivery)
      : directory_(dir), delivery_(delivery) {}

  core::result<smtp::server::identity> authenticate(const std::string& username,
                                                    const std::string& password) override;
  core::result<smtp::server::identity> login(const std::string& username, const std::string& password,
                                             directory::login_context& ctx) override;
  std::string sasl_mechanisms() const override { return std::string(directory::sasl_scram_sha256); }
  std::unique_ptr<directory::sasl_exchange> start_sasl(std::string_view mechanism,
                                                       const directory::login_context& ctx) override {
    return directory_.start_sasl(mechanism, ctx);
  }
  core::result<bool> still_active(const smtp::server::identity& who) override;
  core::result<smtp::server::recipient_status> lookup_recipient(const std::string& address) override;
  core::result<bool> may_send_as(const smtp::server::identity& who, const std::string& address) override;
  core::result<std::optional<smtp::server::refusal>> check_recipient(const smtp::server::envelope& env,
                                                                   const smtp::server::recipient& r) override;
  core::result<std::optional<smtp::server::refusal>> check_size(const smtp::server::envelope& env,
                                                              std::uint64_t size) override;
  core::result<smtp::server::inspection> inspect(const smtp::server::envelope& env,
                                                std::string& message) override;
  core::result<smtp::server::accepted> accept(const smtp::server::envelope& env,
                                              const std::string& message) override;

  // SPF, DKIM and DMARC of MX mail (inbound_auth.hpp), first in inspect(); none when unset.
  void set_auth(std::shared_ptr<inbound_auth> a) { auth_ = std::move(a); }

  // Spam, virus and attachment checks run by inspect() after authentication; none
  // when unset.
  void set_filter(std::shared_ptr<inbound_filter> f) { filter_ = std::move(f); }

  // Submission rate and greylisting at RCPT (abuse_limits.hpp); none when unset.
  void set_limits(std::shared_ptr<abuse_limits> l) { limits_ = std::move(l); }

 private:
  directory::directory& directory_;
  delivery::local_delivery& delivery_;
  std::shared_ptr<inbound_auth> auth_;
  std::shared_ptr<inbound_filter> filter_;
  std::shared_ptr<abuse_limits> limits_;
};

}  // namespace letterhead::app
