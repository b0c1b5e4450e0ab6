#include "delivery/moderation.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

namespace letterhead::delivery {
namespace {

constexpr std::size_t max_quoted_header = 200;

// The value of the first header field `name` in the header section, unfolded, with
// anything but printable text replaced: it is quoted into a notice, never parsed.
std::string header_value(std::string_view message, std::string_view name) {
  std::size_t pos = 0;
  std::string out;
  bool in_field = false;
  while (pos < message.size()) {
    auto eol = message.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = message.size();
    const auto line = message.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;  // end of the header section
    if (in_field && (line.front() == ' ' || line.front() == '\t')) {
      out += line;
      continue;
    }
    if (in_field) break;
    if (line.size() > name.size() && line[name.size()] == ':' &&
        directory::lower_ascii(line.substr(0, name.size())) == directory::lower_ascii(name)) {
      in_field = true;
      out = std::string(line.substr(name.size() + 1));
    }
  }
  std::string clean;
  for (const char c : out) {
    const auto u = static_cast<unsigned char>(c);
    clean += (u < 0x20 || u == 0x7f) ? ' ' : c;
  }
  const auto first = clean.find_first_not_of(' ');
  clean = first == std::string::npos ? std::string() : clean.substr(first);
  if (clean.size() > max_quoted_header) clean = clean.substr(0, max_quoted_header) + "...";
  return clean;
}

std::string rfc5322_date(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

}  // namespace

std::string held_notice(const store::group& g, store::id_t held_id, std::string_view owner,
                        std::string_view mail_from, std::string_view message, std::string_view approve_address,
                        std::string_view reject_address) {
  const auto subject = header_value(message, "Subject");
  const auto from = header_value(message, "From");
  const auto now = std::time(nullptr);
  std::string body = fmt::format(
      "A message to the moderated list <{0}> is waiting for your approval.\r\n"
      "\r\n"
      "  Envelope sender: <{1}>\r\n"
      "  From: {2}\r\n"
      "  Subject: {3}\r\n"
      "  Held message id: {4}\r\n"
      "\r\n"
      "Approve it: reply to this message (it goes to <{5}>).\r\n"
      "Reject it:  send a message to <{6}>.\r\n"
      "Either way, send from your own account (authenticated submission); these\r\n"
      "addresses work once and only for you.\r\n"
      "Or: letterhead group approve {4} / letterhead group reject {4}\r\n"
      "\r\n"
      "发往受审核邮件列表 <{0}> 的一封邮件正在等待您的批准。\r\n"
      "批准：直接回复本邮件（发往 <{5}>）。\r\n"
      "拒绝：发送邮件至 <{6}>。\r\n"
      "请使用您本人的账户（经认证的提交）发送；以上地址只对您有效，且只能使用一次。\r\n"
      "或使用命令：letterhead group approve {4} / letterhead group reject {4}\r\n",
      g.address, mail_from, from, subject, held_id, approve_address, reject_address);
  // RFC 5322 §3.6; the subject stays ASCII, the UTF-8 body is declared (RFC 2045).
  // RFC 5322 §3.6.2: Reply-To makes a plain reply the approval.
  return fmt::format(
      "From: Letterhead <postmaster@{}>\r\n"
      "To: <{}>\r\n"
      "Reply-To: <{}>\r\n"
      "Subject: Held for moderation: message {} to {}\r\n"
      "Date: {}\r\n"
      "Message-ID: <held-{}-{}@{}>\r\n"
      "Auto-Submitted: auto-generated\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n{}",
      domain_of(g.address), owner, approve_address, held_id, g.address, rfc5322_date(now), held_id, now,
      domain_of(g.address), body);
}

namespace {

constexpr std::string_view capability_purpose = "moderation-reply";

std::string token_data(const store::held_message& h, store::id_t owner, bool approve) {
  return fmt::format("{}|{}|{}|{}|{}", approve ? "approve" : "reject", h.id, h.created, h.blob, owner);
}

}  // namespace

std::optional<moderation_command> parse_moderation_address(std::string_view address) {
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  const auto local = address.substr(0, at);
  const auto plus = local.rfind('+');
  if (plus == std::string_view::npos || plus == 0) return std::nullopt;
  auto rest = local.substr(plus + 1);
  moderation_command c;
  if (rest.starts_with("approve-")) {
    c.approve = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("reject-")) {
    rest.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 18) return std::nullopt;
  const auto id_text = rest.substr(0, dash);
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), c.held_id);
  if (ec != std::errc{} || end != id_text.data() + id_text.size() || c.held_id <= 0) return std::nullopt;
  c.token = std::string(rest.substr(dash + 1));
  if (c.token.size() != 26) return std::nullopt;  // 128 bits in base32
  c.group = std::string(local.substr(0, plus)) + std::string(address.substr(at));
  return c;
}

std::string moderation_address(const directory::directory& dir, const store::group& g,
                               const store::held_message& h, store::id_t owner, bool approve) {
  const auto at = g.address.rfind('@');
  const auto token = dir.capability_token(capability_purpose, token_data(h, owner, approve));
  return fmt::format("{}+{}-{}-{}{}", g.address.substr(0, at), approve ? "approve" : "reject", h.id, token,
                     g.address.substr(at));
}

core::result<void> check_moderation_reply(directory::directory& dir, directory::organisation& org,
                                          const moderation_command& c, store::id_t sender) {
  const auto refuse = [](std::string_view why) { return core::fail(core::errc::denied, std::string(why)); };
  if (sender == 0) {
    // Mail from the world proves nothing about who sent it (a From is easily forged).
    return refuse("Moderation replies are accepted only from the list owner, sent with authentication "
                  "(submission); mail from outside cannot approve or reject");
  }
  auto& st = org.store();
  auto g = st.find_group(c.group);
  if (!g) {
    if (g.error().code == core::errc::not_found) return refuse("No such moderated list");
    return std::unexpected(g.error());
  }
  auto h = st.get_held(c.held_id);
  if (!h) {
    if (h.error().code == core::errc::not_found) {
      return refuse("This held message was already approved or rejected, or has expired: the address works once");
    }
    return std::unexpected(h.error());
  }
  if (h->group_id != g->id || !dir.check_capability_token(capability_purpose, token_data(*h, sender, c.approve), c.token)) {
    return refuse("Only the list owner this moderation notice was sent to may approve or reject with it");
  }
  auto acc = st.get_account(sender);
  if (!acc) return std::unexpected(acc.error());
  if (auto may = org.may_moderate(directory::actor{acc->address, acc->id}, *g); !may) {
    if (may.error().code == core::errc::denied) return refuse("You are no longer an owner of this list");
    return may;
  }
  return {};
}

core::result<void> apply_moderation_reply(local_delivery& delivery, directory::directory& dir,
                                          directory::organisation& org, const moderation_command& c,
                                          store::id_t sender) {
  if (auto ok = check_moderation_reply(dir, org, c, sender); !ok) return ok;
  auto acc = org.store().get_account(sender);
  if (!acc) return std::unexpected(acc.error());
  const directory::actor who{acc->address, acc->id};
  if (c.approve) {
    auto done = approve_held(delivery, org, who, c.held_id);
    if (!done) return std::unexpected(done.error());
    return {};
  }
  return reject_held(org, who, c.held_id);
}

core::result<std::size_t> local_delivery::hold(const inbound_message& msg, std::string_view message,
                                               const std::vector<store::id_t>& groups) {
  // Durable now: a held message may wait for days.
  auto hash = store_.blobs().put(message);
  if (!hash) return std::unexpected(hash.error());
  const auto now = static_cast<store::unix_time>(std::time(nullptr));
  for (const auto gid : groups) {
    auto g = store_.get_group(gid);
    if (!g) return std::unexpected(g.error());
    store::held_message h;
    h.group_id = gid;
    h.blob = *hash;
    h.size = message.size();
    h.mail_from = msg.mail_from;
    h.auth_account = msg.auth_account;
    h.created = now;
    auto id = store_.hold_message(h);
    if (!id) return std::unexpected(id.error());
    // RFC 3834 §2: the notice is auto-generated, sent with the null sender.
    h.id = *id;
    for (const auto& owner : g->owners) {
      auto acc = store_.find_account(owner);
      if (!acc) continue;  // an owner removed meanwhile
      auto notice = held_notice(*g, *id, acc->address, msg.mail_from, message,
                                moderation_address(directory_, *g, h, acc->id, true),
                                moderation_address(directory_, *g, h, acc->id, false));
      const auto local = "Return-Path: <>\r\n" + notice;
      auto blob = store_.blobs().put_deferred(local);
      if (!blob) return std::unexpected(blob.error());
      store::delivery d;
      d.blob = *blob;
      d.size = local.size();
      d.internal_date = now;
      d.targets.push_back(store::delivery_target{acc->id, store::mailbox_role::inbox, 0, {}});
      if (auto done = store_.deliver(d); !done) return std::unexpected(done.error());
      store_.notifier().notify(acc->id);
    }
  }
  return groups.size();
}

core::result<delivery_result> approve_held(local_delivery& delivery, directory::organisation& org,
                                           const directory::actor& who, store::id_t id) {
  auto& store = org.store();
  auto h = store.get_held(id);
  if (!h) return std::unexpected(h.error());
  auto g = store.get_group(h->group_id);
  if (!g) return std::unexpected(g.error());
  if (auto ok = org.may_moderate(who, *g); !ok) return std::unexpected(ok.error());
  // The bytes first: the claim releases the held blob reference.
  auto bytes = store.blobs().get(h->blob);
  if (!bytes) return std::unexpected(bytes.error());
  // The claim: one store transaction that fails once the row is gone, so of two
  // decisions racing exactly one goes on.
  if (auto r = store.remove_held(id); !r) {
    if (r.error().code == core::errc::not_found) {
      return core::fail(core::errc::not_found, fmt::format("held message {} was already approved or rejected", id));
    }
    return std::unexpected(r.error());
  }
  inbound_message in;
  in.mail_from = h->mail_from;
  in.auth_account = h->auth_account;
  in.recipients.push_back(recipient{g->address, "", ""});
  in.moderation_approved = true;
  auto done = delivery.deliver(in, *bytes);
  if (!done) {
    // Not delivered: held again, so that the approval can be repeated.
    auto again = store.blobs().put(*bytes);
    if (again) {
      auto back = *h;
      back.blob = *again;
      if (auto nid = store.hold_message(back); nid) {
        (void)store.audit(who.name, "group.approve.failed",
                          fmt::format("{} message {}: {}; held again as {}", g->address, id, done.error().message,
                                      *nid));
      }
    }
    return done;
  }
  (void)store.audit(who.name, "group.approve",
                    fmt::format("{} message {} from <{}>: {} local copies, {} queued", g->address, id, h->mail_from,
                                done->local_copies, done->queued));
  return done;
}

core::result<void> reject_held(directory::organisation& org, const directory::actor& who, store::id_t id) {
  auto& store = org.store();
  auto h = store.get_held(id);
  if (!h) return std::unexpected(h.error());
  auto g = store.get_group(h->group_id);
  if (!g) return std::unexpected(g.error());
  if (auto ok = org.may_moderate(who, *g); !ok) return ok;
  if (auto r = store.remove_held(id); !r) {
    if (r.error().code == core::errc::not_found) {
      return core::fail(core::errc::not_found, fmt::format("held message {} was already approved or rejected", id));
    }
    return r;
  }
  (void)store.audit(who.name, "group.reject", fmt::format("{} message {} from <{}>", g->address, id, h->mail_from));
  return {};
}

}  // namespace letterhead::delivery
