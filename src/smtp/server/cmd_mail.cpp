// MAIL (RFC 5321 §4.1.1.2) and RCPT (§4.1.1.3), with the ESMTP parameters of SIZE
// (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8 (RFC 6531), DSN (RFC 3461) and
// REQUIRETLS (RFC 8689), and the relay policy.
#include <charconv>

#include <fmt/format.h>

#include "core/runtime.hpp"
#include "smtp/proto/address.hpp"
#include "smtp/proto/xtext.hpp"
#include "smtp/server/session.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

}  // namespace

asio::awaitable<session::outcome> session::cmd_mail(const proto::command& cmd) {
  if (state_ == state::greeted) co_return co_await error_reply(503, "5.5.1", "Send EHLO first");
  if (state_ == state::mail || state_ == state::rcpt) {
    co_return co_await error_reply(503, "5.5.1", "Nested MAIL command");
  }
  if (shutdown_) {
    (void)co_await reply(421, "4.3.2", "Service shutting down, try again later");
    co_return outcome::close;
  }
  // RFC 6409 §4.3 (and RFC 4954 §6 code 530): submission requires authentication.
  if (settings_.kind != listener_kind::mx && !identity_) {
    co_return co_await error_reply(530, "5.7.0", "Authentication required");
  }

  envelope next;
  for (const auto& p : cmd.params) {
    if (!esmtp_) co_return co_await error_reply(555, "5.5.4", "Parameters need EHLO");
    if (p.keyword == "SIZE") {
      std::uint64_t size = 0;
      const std::string v = p.value.value_or("");
      const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), size);
      if (v.empty() || ec != std::errc{} || ptr != v.data() + v.size()) {
        co_return co_await error_reply(501, "5.5.4", "Invalid SIZE value");
      }
      // RFC 1870 §6.1: refuse at MAIL when the declared size is over our limit.
      if (size > settings_.limits.message_size) {
        co_return co_await error_reply(552, "5.3.4", "Message size exceeds fixed maximum message size");
      }
      declared_size_ = size;
    } else if (p.keyword == "BODY") {
      const auto v = upper(p.value.value_or(""));
      if (v != "7BIT" && v != "8BITMIME" && v != "BINARYMIME") {
        co_return co_await error_reply(501, "5.5.4", "BODY must be 7BIT, 8BITMIME or BINARYMIME");
      }
      next.body = v;
    } else if (p.keyword == "SMTPUTF8") {
      if (p.value) co_return co_await error_reply(501, "5.5.4", "SMTPUTF8 takes no value");
      next.smtputf8 = true;
    } else if (p.keyword == "RET") {
      const auto v = upper(p.value.value_or(""));
      if (v != "FULL" && v != "HDRS") co_return co_await error_reply(501, "5.5.4", "RET must be FULL or HDRS");
      next.dsn_ret = v;
    } else if (p.keyword == "ENVID") {
      auto v = proto::xtext_decode(p.value.value_or(""));
      // RFC 3461 §4.4: at most 100 characters.
      if (!v || p.value->size() > 100) co_return co_await error_reply(501, "5.5.4", "Invalid ENVID");
      next.dsn_envid = std::move(*v);
    } else if (p.keyword == "REQUIRETLS") {
      // RFC 8689 §2: no value, and only in a session that uses TLS (where EHLO offers
      // it); X.7.10 "Encryption needed" (RFC 5248) for a cleartext session.
      if (p.value) co_return co_await error_reply(501, "5.5.4", "REQUIRETLS takes no value");
      if (!transport_->tls()) {
        co_return co_await error_reply(530, "5.7.10", "REQUIRETLS needs a TLS session: issue STARTTLS first");
      }
      next.requiretls = true;
    } else if (p.keyword == "AUTH") {
      // RFC 4954 §5: accepted and not trusted (we relay for no one who does not log in).
    } else {
      co_return co_await error_reply(555, "5.5.4", fmt::format("Unsupported parameter {}", p.keyword));
    }
  }
  // RFC 6531 §3.4: a UTF-8 address needs the SMTPUTF8 parameter.
  if (!next.smtputf8 && !proto::is_ascii(cmd.path)) {
    co_return co_await error_reply(553, "5.6.7", "UTF-8 address without SMTPUTF8");
  }
  if (identity_) {
    // Submission: the sender must be the user or one of its aliases (DESIGN.md
    // "Security posture"). The null sender is for bounces, which users don't send.
    if (cmd.null_path) {
      co_return co_await error_reply(553, "5.7.1", "Sender address not allowed for this account");
    }
    auto active = [&b = backend_, who = *identity_]() { return b.still_active(who); };
    auto on = co_await core::run_blocking(blocking_, std::move(active));
    // A store error is no reason to end the session; a disabled account is.
    if (on && !*on) {
      log_.info("account {} was disabled: ending the session", identity_->address);
      (void)co_await reply(421, "4.7.0", "This account has been disabled / 此账户已停用");
      co_return outcome::close;
    }
    auto check = [&b = backend_, who = *identity_, from = cmd.path]() { return b.may_send_as(who, from); };
    auto ok = co_await core::run_blocking(blocking_, std::move(check));
    if (!ok) {
      log_.error("sender check failed: {}", ok.error().message);
      co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
    }
    if (!*ok) {
      co_return co_await error_reply(553, "5.7.1",
                                     fmt::format("Sender address <{}> not owned by user {}",
                                                 cmd.path, identity_->address));
    }
  }
  next.mail_from = cmd.null_path ? std::string() : cmd.path;
  next.authenticated = identity_;
  next.client_ip = transport_->peer_ip();
  next.helo = helo_;
  next.tls = transport_->tls();
  next.kind = settings_.kind;
  if (declared_size_ > 0) {
    auto size_check = [&b = backend_, env = next, size = declared_size_]() { return b.check_size(env, size); };
    auto refused = co_await core::run_blocking(blocking_, std::move(size_check));
    if (!refused) {
      log_.error("size check failed: {}", refused.error().message);
      co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
    }
    if (*refused) {
      const auto& no = **refused;
      co_return co_await error_reply(no.code, no.enhanced, no.text);
    }
  }
  envelope_ = std::move(next);
  state_ = state::mail;
  if (!co_await reply(250, "2.1.0", "Ok")) co_return outcome::close;
  co_return outcome::next;
}

asio::awaitable<session::outcome> session::cmd_rcpt(const proto::command& cmd) {
  if (state_ != state::mail && state_ != state::rcpt) {
    co_return co_await error_reply(503, "5.5.1", "Need MAIL before RCPT");
  }
  recipient r;
  r.address = cmd.path;
  for (const auto& p : cmd.params) {
    if (p.keyword == "NOTIFY") {
      // RFC 3461 §4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY.
      const auto v = upper(p.value.value_or(""));
      bool ok = !v.empty();
      bool never = false;
      std::size_t start = 0;
      int items = 0;
      while (ok && start <= v.size()) {
        const auto comma = v.find(',', start);
        const auto item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (item == "NEVER") never = true;
        else if (item != "SUCCESS" && item != "FAILURE" && item != "DELAY") ok = false;
        ++items;
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      if (!ok || (never && items > 1)) co_return co_await error_reply(501, "5.5.4", "Invalid NOTIFY");
      r.notify = v;
    } else if (p.keyword == "ORCPT") {
      // RFC 3461 §4.2: addr-type ";" xtext.
      auto o = proto::parse_orcpt(p.value.value_or(""));
      if (!o) co_return co_await error_reply(501, "5.5.4", "Invalid ORCPT");
      r.orcpt = o->addr_type + ";" + o->address;
    } else {
      co_return co_await error_reply(555, "5.5.4", fmt::format("Unsupported parameter {}", p.keyword));
    }
  }
  if (!envelope_.smtputf8 && !proto::is_ascii(cmd.path)) {
    co_return co_await error_reply(553, "5.6.7", "UTF-8 address without SMTPUTF8");
  }
  // RFC 5321 §4.5.1: <Postmaster> without a domain means our postmaster.
  if (r.address.find('@') == std::string::npos) {
    r.address = fmt::format("postmaster@{}", settings_.hostname);
  }

  for (const auto& existing : envelope_.recipients) {
    if (existing.address == r.address) {
      // A duplicate is harmless: acknowledge it and deliver once.
      if (!co_await reply(250, "2.1.5", "Ok (duplicate)")) co_return outcome::close;
      co_return outcome::next;
    }
  }
  // RFC 5321 §4.5.3.1.8: 452 for too many recipients; the client sends the rest later.
  if (envelope_.recipients.size() >= settings_.limits.recipients) {
    co_return co_await error_reply(452, "4.5.3", "Too many recipients");
  }

  auto lookup = [&b = backend_, addr = r.address]() { return b.lookup_recipient(addr); };
  auto status = co_await core::run_blocking(blocking_, std::move(lookup));
  if (!status) {
    log_.error("recipient lookup failed: {}", status.error().message);
    co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
  }
  switch (*status) {
    case recipient_status::local:
      r.local = true;
      break;
    case recipient_status::local_unknown:
      log_.info("RCPT <{}> unknown", r.address);
      co_return co_await error_reply(550, "5.1.1", "Recipient address rejected: no such mailbox");
    case recipient_status::foreign:
      // Relaying only for authenticated users (RFC 5321 §3.6.2; never an open relay).
      if (!identity_) {
        log_.info("relay to <{}> denied", r.address);
        co_return co_await error_reply(554, "5.7.1",
                                       fmt::format("Relay access denied for domain {}", domain_of(r.address)));
      }
      r.local = false;
      break;
  }
  {
    auto policy = [&b = backend_, env = envelope_, rcpt = r]() { return b.check_recipient(env, rcpt); };
    auto refused = co_await core::run_blocking(blocking_, std::move(policy));
    if (!refused) {
      log_.error("recipient policy check failed: {}", refused.error().message);
      co_return co_await error_reply(451, "4.3.0", "Temporary failure, try again later");
    }
    if (*refused) {
      const auto& no = **refused;
      log_.info("RCPT <{}> refused by policy: {}", r.address, no.text);
      co_return co_await error_reply(no.code, no.enhanced, no.text);
    }
  }
  envelope_.recipients.push_back(std::move(r));
  state_ = state::rcpt;
  if (!co_await reply(250, "2.1.5", "Ok")) co_return outcome::close;
  co_return outcome::next;
}

}  // namespace letterhead::smtp::server
