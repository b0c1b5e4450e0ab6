#include "delivery/outbound/dsn.hpp"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <random>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unicode/utf8.h>

#include "mime/seven_bit.hpp"

namespace letterhead::delivery::outbound {

namespace {

// Anything taken from the network goes into one header line: no control
// characters, and short enough for RFC 5322 §2.1.1's 998 octets.
constexpr std::size_t max_field_text = 800;

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return s;
}

std::string one_line(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    if (out.size() >= max_field_text) break;
  }
  return out;
}

bool digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 3461 §4: ENVID and ORCPT arrive as xtext ("+HH" for special characters).
std::string xtext_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && i + 2 < s.size()) {
      const int h = hex_value(s[i + 1]);
      const int l = hex_value(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out += static_cast<char>(h * 16 + l);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return one_line(out);
}

bool is_ascii(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// RFC 6533 §3: a utf-8 address in ORCPT is utf-8-addr-xtext, whose non-ASCII
// characters are written "\x{HEX}"; message/global-delivery-status carries them as
// UTF-8 (utf-8-address). Malformed escapes and surrogates are kept as written.
std::string unitext_to_utf8(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto close = s.substr(i).starts_with("\\x{") ? s.find('}', i + 3) : std::string_view::npos;
    if (close != std::string_view::npos && close - i - 3 >= 1 && close - i - 3 <= 6) {
      std::uint32_t cp = 0;
      bool ok = true;
      for (const char c : s.substr(i + 3, close - i - 3)) {
        const int v = hex_value(c);
        ok = ok && v >= 0;
        cp = cp * 16 + static_cast<std::uint32_t>(v < 0 ? 0 : v);
      }
      if (ok && cp >= 0x80 && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF)) {
        std::uint8_t utf8[U8_MAX_LENGTH];
        std::int32_t n = 0;
        U8_APPEND_UNSAFE(utf8, n, static_cast<UChar32>(cp));
        out.append(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(n));
        i = close;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// "x.y.z" at the start of s (RFC 3463 §2: class 2, 4 or 5; subject and detail up to
// three digits each), or "".
std::string enhanced_at(std::string_view s) {
  std::size_t i = 0;
  if (s.empty() || (s[0] != '2' && s[0] != '4' && s[0] != '5')) return {};
  i = 1;
  for (int part = 0; part < 2; ++part) {
    if (i >= s.size() || s[i] != '.') return {};
    ++i;
    const auto start = i;
    while (i < s.size() && digit(s[i]) && i - start < 3) ++i;
    if (i == start) return {};
  }
  if (i < s.size() && s[i] != ' ') return {};
  return std::string(s.substr(0, i));
}

// The SMTP reply in a last_reply ("550 5.1.1 text"), or "" when it was our own
// reason; an expiry keeps the last reply after "last error: ".
std::string smtp_reply(std::string_view last_reply) {
  constexpr std::string_view marker = "last error: ";
  if (const auto at = last_reply.find(marker); at != std::string_view::npos) {
    last_reply = last_reply.substr(at + marker.size());
  }
  if (last_reply.size() >= 3 && digit(last_reply[0]) && digit(last_reply[1]) && digit(last_reply[2]) &&
      (last_reply.size() == 3 || last_reply[3] == ' ')) {
    return one_line(last_reply);
  }
  return {};
}

std::string rfc5322_date(store::unix_time t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

struct wording {
  std::string_view subject_en;
  std::string_view subject_zh;
  std::string_view intro_en;
  std::string_view intro_zh;
  std::string_view advice_en;
  std::string_view advice_zh;
};

wording words_for(report_kind kind) {
  switch (kind) {
    case report_kind::delayed:
      return {"Delayed Mail (still being retried)", "延迟投递通知",
              "Your message could not be delivered to the recipients below yet. We keep trying; you do not need "
              "to send it again now.",
              "您的邮件暂时未能投递给以下收件人。系统会继续重试，您现在无需重新发送。",
              "If it still fails, you will get another notice when we give up.",
              "如果最终仍然失败，系统放弃投递时会再次通知您。"};
    case report_kind::delivered:
    case report_kind::relayed:
      return {"Successful Mail Delivery Report", "投递成功通知",
              "Your message was delivered (or passed on to a server that does not report further) for the "
              "recipients below, as you asked.",
              "按照您的要求通知：您的邮件已成功投递（或已转交给不再回报状态的服务器）给以下收件人。", "Nothing to do.",
              "您无需任何操作。"};
    case report_kind::failed:
    case report_kind::expired:
      break;
  }
  return {"Undelivered Mail Returned to Sender", "退信通知",
          "Your message could not be delivered to the recipients below. This is a permanent error; we will "
          "not try again.",
          "您的邮件无法投递给以下收件人。这是永久性错误，系统不会再重试。",
          "Check the addresses for typing errors, or contact the recipients another way. The reason from the "
          "receiving server is shown for each recipient.",
          "请检查收件人地址是否有误，或通过其他方式联系收件人。每位收件人下方列出了对方服务器给出的原因。"};
}

std::string_view action_of(report_kind kind) {
  switch (kind) {
    case report_kind::failed:
    case report_kind::expired: return "failed";
    case report_kind::delayed: return "delayed";
    case report_kind::delivered: return "delivered";
    case report_kind::relayed: return "relayed";
  }
  return "failed";
}

std::string random_token() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

}  // namespace

bool wants_report(const store::queue_recipient& r, report_kind kind) {
  const auto notify = upper(r.dsn_notify);
  if (notify.find("NEVER") != std::string::npos) return false;
  const bool none = notify.empty();
  switch (kind) {
    case report_kind::failed:
    case report_kind::expired: return none || notify.find("FAILURE") != std::string::npos;
    case report_kind::delayed: return none || notify.find("DELAY") != std::string::npos;
    case report_kind::delivered:
    case report_kind::relayed: return notify.find("SUCCESS") != std::string::npos;
  }
  return false;
}

std::string dsn_status(const store::queue_recipient& r, report_kind kind) {
  if (kind == report_kind::expired) return "4.4.7";
  std::string_view reply = r.last_reply;
  if (reply.size() > 4 && digit(reply[0]) && digit(reply[1]) && digit(reply[2]) && reply[3] == ' ') {
    reply = reply.substr(4);
  }
  auto code = enhanced_at(reply);
  const char want = kind == report_kind::failed ? '5' : kind == report_kind::delayed ? '4' : '2';
  if (!code.empty() && code[0] == want) return code;
  // A failure with a 4xx enhanced code (e.g. our own TLS trouble made final) keeps
  // its detail: RFC 3464 §2.3.4 wants the class to match the action.
  if (!code.empty() && kind == report_kind::failed) return "5" + code.substr(1);
  return fmt::format("{}.0.0", want);
}

std::string build_dsn(const store::queue_entry& entry, const std::vector<std::size_t>& recipients, report_kind kind,
                       std::string_view original, const dsn_options& options, store::unix_time now) {
  const auto words = words_for(kind);
  const auto boundary = fmt::format("=_dsn_{}_{}", entry.id, random_token());
  const auto& host = options.hostname;
  const bool delayed = kind == report_kind::delayed;
  const auto retry_until = entry.created + options.max_age;

  // Part 1: for people, in English and Simplified Chinese.
  std::string text_en;
  std::string text_zh;
  for (const auto i : recipients) {
    const auto& r = entry.recipients.at(i);
    const auto reply = r.last_reply.empty() ? std::string("(none)") : one_line(r.last_reply);
    text_en += fmt::format("  <{}>\r\n    Reason: {}\r\n", one_line(r.address), reply);
    text_zh += fmt::format("  <{}>\r\n    原因：{}\r\n", one_line(r.address), reply);
    if (!r.remote_mta.empty()) {
      text_en += fmt::format("    Reported by: {}\r\n", one_line(r.remote_mta));
      text_zh += fmt::format("    报告服务器：{}\r\n", one_line(r.remote_mta));
    }
  }
  std::string human = fmt::format(
      "This is the mail system at {0}.\r\n\r\n{1}\r\n\r\n{2}\r\n{3}\r\n", host, words.intro_en, text_en,
      words.advice_en);
  if (delayed) human += fmt::format("We will keep trying until {}.\r\n", rfc5322_date(retry_until));
  human += fmt::format("\r\n这是 {0} 的邮件系统。\r\n\r\n{1}\r\n\r\n{2}\r\n{3}\r\n", host, words.intro_zh, text_zh,
                       words.advice_zh);
  if (delayed) human += fmt::format("系统将持续重试至 {}。\r\n", rfc5322_date(retry_until));

  // RFC 6533 §6: an internationalised message (SMTPUTF8, or UTF-8 in its envelope or
  // header section) gets message/global-delivery-status with utf-8 address types and
  // comes back as message/global or message/global-headers; others stay RFC 3464.
  bool global = entry.smtputf8 || !is_ascii(entry.mail_from) ||
                !is_ascii(original.substr(0, std::min(original.find("\r\n\r\n"), original.size())));
  for (const auto i : recipients) global = global || !is_ascii(entry.recipients.at(i).address);

  // Part 2: for programs (RFC 3464 §2.2 per-message, §2.3 per-recipient fields).
  std::string status = fmt::format("Reporting-MTA: dns; {}\r\n", host);
  if (!entry.dsn_envid.empty()) status += fmt::format("Original-Envelope-Id: {}\r\n", xtext_decode(entry.dsn_envid));
  status += fmt::format("Arrival-Date: {}\r\n", rfc5322_date(entry.created));
  for (const auto i : recipients) {
    const auto& r = entry.recipients.at(i);
    status += "\r\n";
    if (!r.dsn_orcpt.empty()) {
      // ORCPT is "addr-type;xtext" (RFC 3461 §4.2).
      auto orcpt = r.dsn_orcpt;
      const auto semi = orcpt.find(';');
      const auto type = semi == std::string::npos ? std::string("rfc822") : one_line(orcpt.substr(0, semi));
      const auto addr = semi == std::string::npos ? orcpt : orcpt.substr(semi + 1);
      auto decoded = xtext_decode(addr);
      if (global && upper(type) == "UTF-8") decoded = one_line(unitext_to_utf8(decoded));
      status += fmt::format("Original-Recipient: {}; {}\r\n", type, decoded);
    }
    // RFC 6533 §3: the utf-8 address type for a UTF-8 address.
    status += fmt::format("Final-Recipient: {}; {}\r\n", is_ascii(r.address) ? "rfc822" : "utf-8",
                          one_line(r.address));
    status += fmt::format("Action: {}\r\n", action_of(kind));
    status += fmt::format("Status: {}\r\n", dsn_status(r, kind));
    // remote_mta is "host[address]:port"; RFC 3464 §2.3.5 wants the host name.
    if (const auto mta = r.remote_mta.substr(0, r.remote_mta.find('[')); !mta.empty()) {
      status += fmt::format("Remote-MTA: dns; {}\r\n", one_line(mta));
    }
    if (const auto reply = smtp_reply(r.last_reply); !reply.empty()) {
      status += fmt::format("Diagnostic-Code: smtp; {}\r\n", reply);
    }
    if (entry.last_attempt != 0) status += fmt::format("Last-Attempt-Date: {}\r\n", rfc5322_date(entry.last_attempt));
    if (delayed) status += fmt::format("Will-Retry-Until: {}\r\n", rfc5322_date(retry_until));
  }

  // Part 3: the message or its header section (RFC 3462/6522 text/rfc822-headers).
  // RFC 8689 §5: a REQUIRETLS message is returned as if RET=HDRS, whatever RET says.
  const bool headers_only =
      upper(entry.dsn_ret) == "HDRS" || entry.requiretls || original.size() > options.max_returned_size;
  std::string_view returned = original;
  if (headers_only) {
    const auto end = original.find("\r\n\r\n");
    returned = end == std::string_view::npos ? original : original.substr(0, end + 2);
    if (returned.size() > options.max_returned_size) returned = returned.substr(0, options.max_returned_size);
  }
  const auto subject = fmt::format("{} / {}", words.subject_en, words.subject_zh);
  std::string out = fmt::format(
      "From: Mail Delivery System <MAILER-DAEMON@{0}>\r\n"
      "To: <{1}>\r\n"
      "Subject: {2}\r\n"
      "Date: {3}\r\n"
      "Message-ID: <dsn-{4}-{5}-{6}@{0}>\r\n"
      "Auto-Submitted: auto-replied\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type={8};\r\n"
      "\tboundary=\"{7}\"\r\n"
      "\r\n"
      "This is a MIME-encapsulated delivery status notification.\r\n"
      "\r\n--{7}\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "Content-Description: Notification\r\n"
      "\r\n",
      host, entry.mail_from, mime::utf8_encoded_words(subject), rfc5322_date(now), entry.id, now, random_token(), boundary,
      global ? "global-delivery-status" : "delivery-status");
  out += human;
  out += fmt::format(
      "\r\n--{}\r\nContent-Type: message/{}\r\nContent-Description: Delivery report\r\n\r\n", boundary,
      global ? "global-delivery-status" : "delivery-status");
  out += status;
  out += fmt::format("\r\n--{}\r\nContent-Type: {}\r\nContent-Description: {}\r\n", boundary,
                     headers_only ? (global ? "message/global-headers" : "text/rfc822-headers")
                                  : (global ? "message/global" : "message/rfc822"),
                     headers_only ? "Undelivered message headers" : "Undelivered message");
  // 8-bit originals stay 8-bit: the report is declared 8BITMIME when it goes out.
  out += "Content-Transfer-Encoding: 8bit\r\n\r\n";
  out += returned;
  if (!returned.ends_with("\r\n")) out += "\r\n";
  out += fmt::format("\r\n--{}--\r\n", boundary);
  return out;
}

dsn_bounce_sink::dsn_bounce_sink(store::store& store, local_delivery& delivery, dsn_options options)
    : store_(store), delivery_(delivery), options_(std::move(options)) {}

core::result<void> dsn_bounce_sink::report(const store::queue_entry& entry, const std::vector<std::size_t>& recipients,
                                           report_kind kind) {
  for (const auto i : recipients) {
    const auto& r = entry.recipients.at(i);
    spdlog::info("queue {}: <{}> {} (sender <{}>): {}", entry.id, r.address, to_string(kind), entry.mail_from,
                 r.last_reply);
  }
  if (entry.mail_from.empty()) {
    // A bounce that bounced: RFC 5321 §4.5.5, never answered, only logged above.
    spdlog::warn("queue {}: {} report about a null-sender message dropped", entry.id, to_string(kind));
    return {};
  }
  std::vector<std::size_t> wanted;
  for (const auto i : recipients) {
    if (i < entry.recipients.size() && wants_report(entry.recipients[i], kind)) wanted.push_back(i);
  }
  if (wanted.empty()) {
    spdlog::info("queue {}: no {} DSN to <{}>: NOTIFY does not ask for it", entry.id, to_string(kind),
                 entry.mail_from);
    return {};
  }
  auto original = store_.blobs().get(entry.blob);
  if (!original) return std::unexpected(original.error());
  const auto now = static_cast<store::unix_time>(std::time(nullptr));
  const auto dsn = build_dsn(entry, wanted, kind, *original, options_, now);

  inbound_message msg;  // mail_from stays empty: RFC 3461 §6.2 / RFC 5321 §4.5.5
  msg.recipients.push_back(recipient{entry.mail_from, "", ""});
  msg.body_type = "8BITMIME";
  msg.smtputf8 = entry.smtputf8;
  // RFC 8689 §5: the report about a REQUIRETLS message goes with REQUIRETLS too (its
  // null sender keeps it from being held back where the next hop lacks it).
  msg.requiretls = entry.requiretls;
  auto done = delivery_.deliver(msg, dsn);
  if (!done) {
    // The sender is gone (an account removed meanwhile): nobody to tell.
    if (done.error().code == core::errc::invalid || done.error().code == core::errc::not_found) {
      spdlog::warn("queue {}: {} DSN to <{}> dropped: {}", entry.id, to_string(kind), entry.mail_from,
                   done.error().message);
      return {};
    }
    return std::unexpected(done.error());
  }
  spdlog::info("queue {}: {} DSN for {} recipient(s) to <{}> ({} local, {} queued)", entry.id, to_string(kind),
               wanted.size(), entry.mail_from, done->local_copies, done->queued);
  return {};
}

}  // namespace letterhead::delivery::outbound
