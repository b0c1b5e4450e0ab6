#include "app/smtp_backend.hpp"

namespace letterhead::app {

using smtp::server::recipient_status;

core::result<smtp::server::identity> smtp_backend::authenticate(const std::string& username,
                                                               const std::string& password) {
  auto acc = directory_.authenticate(username, password);
  if (!acc) return std::unexpected(acc.error());
  return smtp::server::identity{acc->id, acc->address};
}

core::result<recipient_status> smtp_backend::lookup_recipient(const std::string& address) {
  auto parsed = directory::parse_address(address);
  if (!parsed) {
    // Syntactically fine for SMTP (quoted local part, address literal) but not an
    // address we could host: it can only be foreign.
    return recipient_status::foreign;
  }
  auto local = directory_.is_local_domain(parsed->domain);
  if (!local) return std::unexpected(local.error());
  if (!*local) return recipient_status::foreign;
  auto res = directory_.resolve(parsed->str());
  if (res) return recipient_status::local;
  if (res.error().code == core::errc::not_found) return recipient_status::local_unknown;
  return std::unexpected(res.error());
}

core::result<bool> smtp_backend::may_send_as(const smtp::server::identity& who,
                                             const std::string& address) {
  auto acc = directory_.store().get_account(who.account_id);
  if (!acc) return std::unexpected(acc.error());
  return directory_.may_send_as(*acc, address);
}

core::result<smtp::server::accepted> smtp_backend::accept(const smtp::server::envelope& env,
                                                          const std::string& message) {
  delivery::inbound_message in;
  in.mail_from = env.mail_from;
  in.dsn_ret = env.dsn_ret;
  in.dsn_envid = env.dsn_envid;
  if (env.authenticated) in.auth_account = env.authenticated->address;
  for (const auto& r : env.recipients) in.recipients.push_back({r.address, r.notify, r.orcpt});
  auto done = delivery_.deliver(in, message);
  if (!done) return std::unexpected(done.error());
  return smtp::server::accepted{done->id};
}

}  // namespace letterhead::app
