#include "delivery/moderation.hpp"

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
                        std::string_view mail_from, std::string_view message) {
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
      "Approve it:  letterhead group approve {4}\r\n"
      "Reject it:   letterhead group reject {4}\r\n"
      "\r\n"
      "发往受审核邮件列表 <{0}> 的一封邮件正在等待您的批准。\r\n"
      "批准：letterhead group approve {4}\r\n"
      "拒绝：letterhead group reject {4}\r\n",
      g.address, mail_from, from, subject, held_id);
  // RFC 5322 §3.6; the subject stays ASCII, the UTF-8 body is declared (RFC 2045).
  return fmt::format(
      "From: Letterhead <postmaster@{}>\r\n"
      "To: <{}>\r\n"
      "Subject: Held for moderation: message {} to {}\r\n"
      "Date: {}\r\n"
      "Message-ID: <held-{}-{}@{}>\r\n"
      "Auto-Submitted: auto-generated\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n{}",
      domain_of(g.address), owner, held_id, g.address, rfc5322_date(now), held_id, now, domain_of(g.address),
      body);
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
    for (const auto& owner : g->owners) {
      auto acc = store_.find_account(owner);
      if (!acc) continue;  // an owner removed meanwhile
      auto notice = held_notice(*g, *id, acc->address, msg.mail_from, message);
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
  auto bytes = store.blobs().get(h->blob);
  if (!bytes) return std::unexpected(bytes.error());
  inbound_message in;
  in.mail_from = h->mail_from;
  in.auth_account = h->auth_account;
  in.recipients.push_back(recipient{g->address, "", ""});
  in.moderation_approved = true;
  auto done = delivery.deliver(in, *bytes);
  if (!done) return done;
  // todo: delivery and removal are two transactions; a crash between them leaves the
  // message held after delivery, and approving it again delivers a second copy.
  if (auto r = store.remove_held(id); !r) return std::unexpected(r.error());
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
  if (auto r = store.remove_held(id); !r) return r;
  (void)store.audit(who.name, "group.reject", fmt::format("{} message {} from <{}>", g->address, id, h->mail_from));
  return {};
}

}  // namespace letterhead::delivery
