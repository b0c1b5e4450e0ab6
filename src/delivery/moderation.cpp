#include "delivery/moderation.hpp"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "mime/parser.hpp"
#include "mime/search_text.hpp"

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
      "Approve it: reply to this message (it goes to <{5}>) with the word\r\n"
      "            \"approve\" as the first line; \"reject\" there rejects it.\r\n"
      "            A reply without either word decides nothing.\r\n"
      "Reject it:  send a message to <{6}>.\r\n"
      "Either way, send from your own account (authenticated submission); these\r\n"
      "addresses work once and only for you.\r\n"
      "Or: letterhead group approve {4} / letterhead group reject {4}\r\n"
      "\r\n"
      "发往受审核邮件列表 <{0}> 的一封邮件正在等待您的批准。\r\n"
      "批准：回复本邮件（发往 <{5}>），第一行写“批准”；写“拒绝”则拒绝。没有这两个词的回复不做任何决定。\r\n"
      "拒绝：发送邮件至 <{6}>。\r\n"
      "请使用您本人的账户（经认证的提交）发送；以上地址只对您有效，且只能使用一次。\r\n"
      "或使用命令：letterhead group approve {4} / letterhead group reject {4}\r\n",
      g.address, mail_from, from, subject, held_id, approve_address, reject_address);
  // RFC 5322 §3.6; the subject stays ASCII, the UTF-8 body is declared (RFC 2045).
  // RFC 5322 §3.6.2: Reply-To takes a reply to the approve address; its first line decides.
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

namespace {

// A reply is short; what lies beyond this is not where the decision is.
constexpr std::size_t max_reply_text = 64 * 1024;

constexpr std::string_view approve_words[] = {"approve", "批准", "同意"};
// Negations first: "disapprove" holds "approve", "不同意" holds "同意".
constexpr std::string_view negations[] = {"disapprove", "不同意", "不批准"};
constexpr std::string_view reject_words[] = {"reject", "拒绝"};
// Words that turn a decision around or into a question ("do not approve", "don't
// reject", "不要批准", "approve?"): with any of them the reply decides nothing and the
// owner is asked again, rather than guessed at.
constexpr std::string_view hedges[] = {"not", "n't", "never", "unapprov", "?", "？", "不", "别", "勿", "没", "未"};

reply_decision decide_text(std::string_view utf8) {
  auto folded = mime::search_fold(utf8);
  bool reject = false;
  for (const auto w : negations) {
    const auto needle = mime::search_fold(w);
    for (auto at = folded.find(needle); at != std::string::npos; at = folded.find(needle)) {
      folded.replace(at, needle.size(), " ");
      reject = true;
    }
  }
  for (const auto w : reject_words) reject = reject || mime::folded_contains(folded, mime::search_fold(w));
  bool approve = false;
  for (const auto w : approve_words) approve = approve || mime::folded_contains(folded, mime::search_fold(w));
  if (approve == reject) return reply_decision::none;
  for (const auto h : hedges) {
    if (mime::folded_contains(folded, mime::search_fold(h))) return reply_decision::none;
  }
  return approve ? reply_decision::approve : reply_decision::reject;
}

}  // namespace

reply_decision decide_reply(std::string_view message, bool to_reject_address) {
  if (to_reject_address) return reply_decision::reject;
  const auto parsed = mime::parse(message);
  mime::search_text_limits limits;
  limits.max_bytes = max_reply_text;
  const auto body = mime::searchable_body_text(message, parsed, limits);
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto eol = body.find('\n', pos);
    if (eol == std::string::npos) eol = body.size();
    auto line = std::string_view(body).substr(pos, eol - pos);
    pos = eol + 1;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    if (line.empty() || line.front() == '>') continue;
    if (auto d = decide_text(line); d != reply_decision::none) return d;
    break;  // the first real line decided nothing: the Subject may still
  }
  return decide_text(mime::decoded_header_text(message, parsed, 0, "Subject"));
}

std::string undecided_notice(const store::group& g, store::id_t held_id, std::string_view owner,
                             std::string_view approve_address, std::string_view reject_address) {
  const auto now = std::time(nullptr);
  const auto body = fmt::format(
      "Your reply about message {1} held for the list <{0}> decided nothing: it is\r\n"
      "still waiting. To decide, reply to this message with the word \"approve\" or\r\n"
      "\"reject\" as the first line (or in the subject), or send any message to\r\n"
      "<{3}> to reject it.\r\n"
      "Or: letterhead group approve {1} / letterhead group reject {1}\r\n"
      "\r\n"
      "您对邮件列表 <{0}> 待审核邮件 {1} 的回复没有做出决定，该邮件仍在等待审核。\r\n"
      "请回复本邮件，并在第一行（或主题）写明“批准”（或“同意”）或“拒绝”；\r\n"
      "也可以向 <{3}> 发送任意邮件以拒绝。\r\n"
      "Approve address / 批准地址: <{2}>\r\n",
      g.address, held_id, approve_address, reject_address);
  // RFC 3834 §5: auto-generated; RFC 5322 §3.6.2: Reply-To makes a reply reach the
  // approve address, where the first line decides.
  return fmt::format(
      "From: Letterhead <postmaster@{0}>\r\n"
      "To: <{1}>\r\n"
      "Reply-To: <{2}>\r\n"
      "Subject: Nothing decided: message {3} to {4}\r\n"
      "Date: {5}\r\n"
      "Message-ID: <undecided-{3}-{6}@{0}>\r\n"
      "Auto-Submitted: auto-replied\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n{7}",
      domain_of(g.address), owner, approve_address, held_id, g.address, rfc5322_date(now), now, body);
}

core::result<reply_decision> apply_moderation_reply(local_delivery& delivery, directory::directory& dir,
                                                    directory::organisation& org, const moderation_command& c,
                                                    store::id_t sender, std::string_view message) {
  if (auto ok = check_moderation_reply(dir, org, c, sender); !ok) return std::unexpected(ok.error());
  auto& st = org.store();
  auto acc = st.get_account(sender);
  if (!acc) return std::unexpected(acc.error());
  const directory::actor who{acc->address, acc->id};
  const auto decision = decide_reply(message, !c.approve);
  if (decision == reply_decision::approve) {
    auto done = approve_held(delivery, org, who, c.held_id);
    if (!done) return std::unexpected(done.error());
  } else if (decision == reply_decision::reject) {
    if (auto r = reject_held(org, who, c.held_id); !r) return std::unexpected(r.error());
  } else {
    auto h = st.get_held(c.held_id);
    if (!h) return std::unexpected(h.error());
    auto g = st.get_group(h->group_id);
    if (!g) return std::unexpected(g.error());
    const auto text = "Return-Path: <>\r\n" +
                      undecided_notice(*g, h->id, acc->address, moderation_address(dir, *g, *h, acc->id, true),
                                       moderation_address(dir, *g, *h, acc->id, false));
    auto blob = st.blobs().put(text);
    if (!blob) return std::unexpected(blob.error());
    store::delivery d;
    d.blob = *blob;
    d.size = text.size();
    d.targets.push_back(store::delivery_target{acc->id, store::mailbox_role::inbox, 0, {}});
    if (auto r = st.deliver(d); !r) return std::unexpected(r.error());
    st.notifier().notify(acc->id);
    (void)st.audit(who.name, "group.reply_undecided", fmt::format("{} message {}", g->address, h->id));
  }
  return decision;
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
