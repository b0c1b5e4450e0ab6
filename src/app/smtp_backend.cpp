#include "app/smtp_backend.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/abuse_limits.hpp"
#include "app/inbound.hpp"
#include "app/inbound_auth.hpp"
#include "app/inbound_filter.hpp"
#include "delivery/moderation.hpp"
#include "directory/org.hpp"

namespace letterhead::app {

using smtp::server::recipient_status;
using smtp::server::refusal;

namespace {

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : directory::lower_ascii(address.substr(at + 1));
}

// A moderation reply's command when `address` has that form AND names a list of ours:
// `someone+approve-1-…@` where `someone` is not a list is an ordinary subaddress.
std::optional<delivery::moderation_command> moderation_target(store::store& st, std::string_view address) {
  auto cmd = delivery::parse_moderation_address(address);
  if (!cmd || !st.find_group(cmd->group)) return std::nullopt;
  return cmd;
}

}  // namespace

// Issue 6 rules at RCPT time: groups' send policies, and the sender's mail rules
// (internal-only, allowed external domains, most recipients) on submission, or the
// recipients' (internal-only accounts receive nothing from outside) on the MX.
core::result<std::optional<refusal>> smtp_backend::check_recipient(const smtp::server::envelope& env,
                                                                  const smtp::server::recipient& r) {
  if (limits_) {
    auto limited = limits_->check_recipient(env, r);
    if (!limited) return std::unexpected(limited.error());
    if (*limited) return *limited;
  }
  if (r.local && !env.mail_from.empty()) {
    // Only a bounce (null reverse-path, RFC 3464 §2; auto-replies too, RFC 3834
    // §3.3) may go back through an SRS address: anything else would let whoever
    // saw our forwarded mail relay through us to the original sender.
    if (const auto* fwd = delivery_.forwarding_rules()) {
      auto srs = fwd->reverse(r.address, static_cast<std::int64_t>(std::time(nullptr)));
      if (!srs) return std::unexpected(srs.error());
      if (srs->status == delivery::srs_status::valid) {
        return refusal{550, "5.7.1", "This forwarding address accepts only bounces (a null sender, MAIL FROM:<>)"};
      }
    }
  }
  auto& store = directory_.store();
  directory::organisation org(store, directory_);
  if (r.local) {
    // A reply to a moderation notice (delivery/moderation.hpp): only the owner it was
    // sent to, authenticated, may use it, and only once.
    if (auto cmd = moderation_target(store, r.address)) {
      const store::id_t sender = env.authenticated ? env.authenticated->account_id : 0;
      auto ok = delivery::check_moderation_reply(directory_, org, *cmd, sender);
      if (ok) return std::nullopt;
      if (ok.error().code == core::errc::denied) return refusal{550, "5.7.1", ok.error().message};
      return std::unexpected(ok.error());
    }
  }
  const store::id_t sender_id = env.authenticated ? env.authenticated->account_id : 0;
  auto book = directory::rule_book::load(store);
  if (!book) return std::unexpected(book.error());
  if (sender_id != 0) {
    auto rules = book->rules_for(sender_id);
    if (!rules) return std::unexpected(rules.error());
    // RFC 5321 §4.5.3.1.8: 452 lets the client send the rest in another transaction.
    if (rules->max_recipients != 0 && env.recipients.size() >= rules->max_recipients) {
      return refusal{452, "4.5.3", fmt::format("Too many recipients: this account may address at most {} per message",
                                               rules->max_recipients)};
    }
    if (!r.local && !directory::external_allowed(*rules, domain_of(r.address))) {
      return refusal{550, "5.7.1",
                     rules->internal_only && rules->allowed_domains.empty()
                         ? fmt::format("Account {} may only send mail inside the organisation", env.authenticated->address)
                         : fmt::format("Account {} may not send mail to domain {}", env.authenticated->address,
                                       domain_of(r.address))};
    }
  }
  if (!r.local) return std::nullopt;
  auto res = directory_.resolve(r.address, directory::resolve_options{.hold_moderated = true});
  if (!res) {
    if (res.error().code == core::errc::not_found) return std::nullopt;  // lookup_recipient decides
    return std::unexpected(res.error());
  }
  for (const auto gid : res->groups) {
    auto g = store.get_group(gid);
    if (!g) return std::unexpected(g.error());
    auto ok = org.check_sender(*g, directory::sender{env.mail_from, sender_id});
    if (!ok) {
      if (ok.error().code == core::errc::denied) return refusal{550, "5.7.1", ok.error().message};
      return std::unexpected(ok.error());
    }
  }
  if (sender_id == 0 && res->groups.empty() && !book->no_external_rules()) {
    // Refused only when nobody could receive it: a list keeps reaching its other
    // members, delivery leaves the internal-only ones out.
    const auto from_domain = domain_of(env.mail_from);
    bool anyone = !res->external.empty();
    for (const auto id : res->accounts) {
      auto rules = book->rules_for(id);
      if (!rules) return std::unexpected(rules.error());
      if (directory::external_allowed(*rules, from_domain)) anyone = true;
    }
    if (!anyone) {
      return refusal{550, "5.7.1",
                     fmt::format("Recipient <{}> accepts mail only from inside the organisation", r.address)};
    }
  }
  return std::nullopt;
}

core::result<std::optional<refusal>> smtp_backend::check_size(const smtp::server::envelope& env, std::uint64_t size) {
  if (!env.authenticated) return std::nullopt;
  directory::organisation org(directory_.store(), directory_);
  auto rules = org.rules_for(env.authenticated->account_id);
  if (!rules) return std::unexpected(rules.error());
  // RFC 1870 §6.1 / RFC 3463 §3.4: 552 5.3.4 for a message over a fixed limit.
  if (rules->max_message_size != 0 && size > rules->max_message_size) {
    return refusal{552, "5.3.4", fmt::format("Message too big: this account may send at most {} bytes",
                                             rules->max_message_size)};
  }
  return std::nullopt;
}

core::result<smtp::server::identity> smtp_backend::authenticate(const std::string& username,
                                                               const std::string& password) {
  auto acc = directory_.authenticate(username, password);
  if (!acc) return std::unexpected(acc.error());
  return smtp::server::identity{acc->id, acc->address};
}

core::result<smtp::server::identity> smtp_backend::login(const std::string& username, const std::string& password,
                                                        directory::login_context& ctx) {
  auto acc = directory_.authenticate(username, password, ctx);
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
  if (const auto* fwd = delivery_.forwarding_rules()) {
    // A bounce to an SRS address of ours (delivery/forwarding.hpp) is relayed to the
    // original sender; a forged or expired one is nobody (never an open relay).
    auto srs = fwd->reverse(parsed->str(), static_cast<std::int64_t>(std::time(nullptr)));
    if (!srs) return std::unexpected(srs.error());
    if (srs->status == delivery::srs_status::valid) return recipient_status::local;
    if (srs->status != delivery::srs_status::not_srs) {
      spdlog::info("SRS address <{}> refused: {}", parsed->str(),
                   srs->status == delivery::srs_status::expired ? "expired" : "bad hash or form");
      return recipient_status::local_unknown;
    }
  }
  auto local = directory_.is_local_domain(parsed->domain);
  if (!local) return std::unexpected(local.error());
  if (!*local) return recipient_status::foreign;
  if (auto cmd = delivery::parse_moderation_address(parsed->str())) {
    // A list's moderation address exists while the list does; whether this sender
    // may use it is check_recipient's (5.7.1), not an unknown user's 5.1.1.
    auto g = directory_.store().find_group(cmd->group);
    if (g) return recipient_status::local;
    if (g.error().code != core::errc::not_found) return std::unexpected(g.error());
  }
  auto res = directory_.resolve(parsed->str());
  if (res) return recipient_status::local;
  if (res.error().code == core::errc::not_found) return recipient_status::local_unknown;
  return std::unexpected(res.error());
}

core::result<bool> smtp_backend::still_active(const smtp::server::identity& who) {
  if (auto cached = directory_.account_active_cached(who.account_id)) return *cached;
  return directory_.account_active(who.account_id);
}

core::result<bool> smtp_backend::may_send_as(const smtp::server::identity& who,
                                             const std::string& address) {
  auto acc = directory_.store().get_account(who.account_id);
  if (!acc) return std::unexpected(acc.error());
  return directory_.may_send_as(*acc, address);
}

core::result<smtp::server::inspection> smtp_backend::inspect(const smtp::server::envelope& env,
                                                             std::string& message) {
  smtp::server::inspection verdict;
  auth_outcome auth;  // what the authentication step found; the filters score it
  if (auth_) {
    auto judged = auth_->judge(env, message, auth);
    if (!judged) return std::unexpected(judged.error());
    if (judged->refuse) return *judged;
    verdict.junk = judged->junk;
  }
  if (filter_) {
    auto judged = filter_->judge(env, message, auth);
    if (!judged) return std::unexpected(judged.error());
    if (judged->refuse) return *judged;
    verdict.junk = verdict.junk || judged->junk;
  }
  return verdict;
}

core::result<smtp::server::accepted> smtp_backend::accept(const smtp::server::envelope& env,
                                                          const std::string& message) {
  delivery::inbound_message in;
  in.mail_from = env.mail_from;
  in.dsn_ret = env.dsn_ret;
  in.dsn_envid = env.dsn_envid;
  in.body_type = env.body;
  in.smtputf8 = env.smtputf8;
  in.requiretls = env.requiretls;
  in.junk = env.junk;
  if (env.authenticated) in.auth_account = env.authenticated->address;
  std::size_t decided = 0;
  for (const auto& r : env.recipients) {
    auto cmd = r.local ? moderation_target(directory_.store(), r.address) : std::nullopt;
    if (!cmd) {
      in.recipients.push_back({r.address, r.notify, r.orcpt});
      continue;
    }
    // The reply's first line (or Subject) is the decision; the reply goes nowhere else.
    // check_recipient allowed it at RCPT; a decision made meanwhile by someone else
    // only gets logged.
    directory::organisation org(directory_.store(), directory_);
    const store::id_t sender = env.authenticated ? env.authenticated->account_id : 0;
    if (auto ok = delivery::apply_moderation_reply(delivery_, directory_, org, *cmd, sender, message); !ok) {
      spdlog::info("moderation reply to <{}> not applied: {}", cmd->group, ok.error().message);
    }
    ++decided;
  }
  if (in.recipients.empty() && decided > 0) return smtp::server::accepted{"moderation"};
  auto done = delivery_.deliver(in, message);
  if (!done) return std::unexpected(done.error());
  if (limits_) limits_->note_accepted(env);
  // Offboarded recipients answer senders (RFC 3834) once the message is safe; a
  // failure here must not undo the acceptance.
  {
    std::vector<std::string> rcpts;
    for (const auto& r : env.recipients) rcpts.push_back(r.address);
    (void)directory_.send_offboarding_replies(rcpts, env.mail_from, message);
  }
  return smtp::server::accepted{done->id};
}

}  // namespace letterhead::app
