#include "directory/notices.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

#include "directory/detail/crypto.hpp"

namespace letterhead::directory {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// RFC 5322 §3.3 date-time in UTC.
std::string rfc5322_date(store::unix_time t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

std::string utc_time(store::unix_time t) {
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// RFC 2047 §4.1 B encoding, split into encoded-words of at most 75 characters
// without cutting a UTF-8 sequence.
std::string encode_header(std::string_view text) {
  bool ascii = true;
  for (unsigned char c : text) ascii = ascii && c >= 0x20 && c < 0x7f;
  if (ascii) return std::string(text);
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t n = 0;
    while (i + n < text.size() && n < 39) {
      std::size_t len = 1;
      const auto c = static_cast<unsigned char>(text[i + n]);
      if (c >= 0xf0) len = 4;
      else if (c >= 0xe0) len = 3;
      else if (c >= 0xc0) len = 2;
      if (n + len > 39) break;
      n += len;
    }
    if (n == 0) n = 1;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + detail::base64_encode(text.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string wrap_base64(std::string_view bytes) {
  const auto b64 = detail::base64_encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

}  // namespace

std::string header_value(std::string_view message, std::string_view name) {
  const auto want = lower(name);
  std::string value;
  bool in_field = false;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    auto line = message.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;  // end of the header section
    if (line.front() == ' ' || line.front() == '\t') {
      if (in_field) value += std::string(line);
      continue;
    }
    if (in_field) return value;
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && lower(line.substr(0, colon)) == want) {
      in_field = true;
      value = std::string(line.substr(colon + 1));
    }
  }
  if (!in_field) return {};
  return value;
}

bool may_auto_reply(std::string_view mail_from, std::string_view message) {
  if (mail_from.empty()) return false;
  const auto from = lower(mail_from);
  const auto local = from.substr(0, from.find('@'));
  if (local == "mailer-daemon" || local == "postmaster" || local.starts_with("owner-") ||
      local.ends_with("-request") || local.starts_with("bounce") || local == "noreply" || local == "no-reply") {
    return false;
  }
  auto trimmed = [](std::string v) {
    const auto b = v.find_first_not_of(" \t");
    if (b == std::string::npos) return std::string{};
    const auto e = v.find_last_not_of(" \t");
    return lower(std::string_view(v).substr(b, e - b + 1));
  };
  const auto auto_submitted = trimmed(header_value(message, "Auto-Submitted"));
  if (!auto_submitted.empty() && !auto_submitted.starts_with("no")) return false;
  for (const auto* h : {"List-Id", "List-Unsubscribe", "List-Post"}) {
    if (!header_value(message, h).empty()) return false;
  }
  const auto precedence = trimmed(header_value(message, "Precedence"));
  if (precedence == "bulk" || precedence == "list" || precedence == "junk") return false;
  return true;
}

std::string compose_notice(const notice_headers& h, std::string_view body_utf8, store::unix_time date) {
  const auto domain = h.from.substr(h.from.find('@') + 1);
  std::string out;
  out += "Date: " + rfc5322_date(date) + "\r\n";
  out += "From: " + h.from + "\r\n";
  out += "To: " + h.to + "\r\n";
  out += "Subject: " + encode_header(h.subject) + "\r\n";
  out += fmt::format("Message-ID: <{}@{}>\r\n",
                     detail::base32_encode(detail::random_bytes(15)), domain);
  if (!h.in_reply_to.empty()) {
    out += "In-Reply-To: " + h.in_reply_to + "\r\n";
    out += "References: " + h.in_reply_to + "\r\n";
  }
  // RFC 3834 §5: marks the message as automatic, so that other responders stay quiet.
  out += std::string("Auto-Submitted: ") + (h.auto_replied ? "auto-replied" : "auto-generated") + "\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n";
  std::string crlf;
  for (char c : body_utf8) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  out += wrap_base64(crlf);
  return out;
}

std::string new_network_notice_body(std::string_view address, std::string_view ip, std::string_view protocol,
                                    store::unix_time when) {
  return fmt::format(
      "您的账户 {0} 刚刚从一个新的网络登录：\n"
      "  时间：{1}\n  地址：{2}\n  协议：{3}\n"
      "如果这是您本人，请忽略此邮件。如果不是，请立即修改密码并联系管理员。\n"
      "\n"
      "Your account {0} just signed in from a network it has not used before:\n"
      "  Time: {1}\n  Address: {2}\n  Protocol: {3}\n"
      "If this was you, you can ignore this message. If not, change your password now\n"
      "and tell your administrator.\n",
      address, utc_time(when), ip, protocol);
}

std::string expiry_notice_body(std::string_view address, store::unix_time expires) {
  return fmt::format(
      "账户 {0} 的密码将于 {1} 过期。过期后将无法通过邮件客户端登录，请在此之前修改密码。\n"
      "\n"
      "The password of {0} expires on {1}. After that, mail clients can no longer log in:\n"
      "please change it before then.\n",
      address, utc_time(expires));
}

}  // namespace letterhead::directory
