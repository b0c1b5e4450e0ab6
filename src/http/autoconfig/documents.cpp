#include "http/autoconfig/documents.hpp"

#include <array>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

namespace letterhead::http::autoconfig {
namespace {

struct server {
  const char* type;    // "imap", "pop3", "smtp"
  std::uint16_t port;
  bool implicit_tls;   // false: STARTTLS
};

// The incoming servers in order of preference, then the outgoing ones.
std::vector<server> incoming(const mail_settings& s) {
  std::vector<server> out;
  if (s.imaps.enabled) out.push_back({"imap", s.imaps.port, true});
  if (s.imap.enabled) out.push_back({"imap", s.imap.port, false});
  if (s.pop3s.enabled) out.push_back({"pop3", s.pop3s.port, true});
  if (s.pop3.enabled) out.push_back({"pop3", s.pop3.port, false});
  return out;
}

std::vector<server> outgoing(const mail_settings& s) {
  std::vector<server> out;
  if (s.submissions.enabled) out.push_back({"smtp", s.submissions.port, true});
  if (s.submission.enabled) out.push_back({"smtp", s.submission.port, false});
  return out;
}

// The best of implicit TLS and STARTTLS for one protocol, if any.
std::optional<server> preferred(const endpoint& implicit, const endpoint& starttls, const char* type) {
  if (implicit.enabled) return server{type, implicit.port, true};
  if (starttls.enabled) return server{type, starttls.port, false};
  return std::nullopt;
}

bool xml_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

mail_settings settings_from(const core::config& config) {
  mail_settings s;
  s.hostname = config.hostname;
  const auto& l = config.listen;
  const auto& a = config.autoconfig;
  s.imap = {l.imap.has_value(), a.imap_port};
  s.imaps = {l.imaps.has_value(), a.imaps_port};
  s.pop3 = {l.pop3.has_value(), a.pop3_port};
  s.pop3s = {l.pop3s.has_value(), a.pop3s_port};
  s.submission = {l.submission.has_value(), a.submission_port};
  s.submissions = {l.submissions.has_value(), a.submissions_port};
  return s;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string thunderbird_config(const mail_settings& s, std::string_view domain) {
  const auto host = xml_escape(s.hostname);
  const auto dom = xml_escape(domain);
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<clientConfig version=\"1.1\">\n";
  out += fmt::format("  <emailProvider id=\"{}\">\n", dom);
  out += fmt::format("    <domain>{}</domain>\n", dom);
  out += fmt::format("    <displayName>{}</displayName>\n", dom);
  out += fmt::format("    <displayShortName>{}</displayShortName>\n", dom);
  auto server_block = [&](const char* element, const server& sv) {
    out += fmt::format("    <{} type=\"{}\">\n", element, sv.type);
    out += fmt::format("      <hostname>{}</hostname>\n", host);
    out += fmt::format("      <port>{}</port>\n", sv.port);
    out += fmt::format("      <socketType>{}</socketType>\n", sv.implicit_tls ? "SSL" : "STARTTLS");
    out += "      <username>%EMAILADDRESS%</username>\n";
    out += "      <authentication>password-cleartext</authentication>\n";
    out += fmt::format("    </{}>\n", element);
  };
  for (const auto& sv : incoming(s)) server_block("incomingServer", sv);
  for (const auto& sv : outgoing(s)) server_block("outgoingServer", sv);
  out += "  </emailProvider>\n";
  out += "</clientConfig>\n";
  return out;
}

std::string autodiscover_response(const mail_settings& s, std::string_view address) {
  const auto host = xml_escape(s.hostname);
  const auto user = xml_escape(address);
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n";
  out += "  <Response xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\">\n";
  out += "    <Account>\n";
  out += "      <AccountType>email</AccountType>\n";
  out += "      <Action>settings</Action>\n";
  auto protocol = [&](const char* type, const server& sv) {
    out += "      <Protocol>\n";
    out += fmt::format("        <Type>{}</Type>\n", type);
    out += fmt::format("        <Server>{}</Server>\n", host);
    out += fmt::format("        <Port>{}</Port>\n", sv.port);
    out += "        <DomainRequired>off</DomainRequired>\n";
    out += fmt::format("        <LoginName>{}</LoginName>\n", user);
    out += "        <SPA>off</SPA>\n";
    // SSL on with Encryption TLS asks for STARTTLS; Encryption SSL for implicit TLS.
    out += "        <SSL>on</SSL>\n";
    out += fmt::format("        <Encryption>{}</Encryption>\n", sv.implicit_tls ? "SSL" : "TLS");
    out += "        <AuthRequired>on</AuthRequired>\n";
    if (std::string_view(type) == "SMTP") {
      out += "        <UsePOPAuth>on</UsePOPAuth>\n";
      out += "        <SMTPLast>off</SMTPLast>\n";
    }
    out += "      </Protocol>\n";
  };
  if (auto sv = preferred(s.imaps, s.imap, "imap")) protocol("IMAP", *sv);
  if (auto sv = preferred(s.pop3s, s.pop3, "pop3")) protocol("POP3", *sv);
  if (auto sv = preferred(s.submissions, s.submission, "smtp")) protocol("SMTP", *sv);
  out += "    </Account>\n";
  out += "  </Response>\n";
  out += "</Autodiscover>\n";
  return out;
}

std::string autodiscover_error() {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
         "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
         "  <Response>\n"
         "    <Error>\n"
         "      <ErrorCode>600</ErrorCode>\n"
         "      <Message>Invalid Request</Message>\n"
         "      <DebugData />\n"
         "    </Error>\n"
         "  </Response>\n"
         "</Autodiscover>\n";
}

std::optional<std::string> autodiscover_request_address(std::string_view body) {
  constexpr std::size_t scan_limit = 64 * 1024;
  constexpr std::size_t address_limit = 320;  // RFC 5321 §4.5.3.1: 64 + @ + 255
  body = body.substr(0, scan_limit);
  constexpr std::string_view name = "EMailAddress";
  for (std::size_t at = body.find(name); at != std::string_view::npos; at = body.find(name, at + 1)) {
    // The name must be an element name: after "<" or "<prefix:", and followed by ">"
    // (attributes are not expected on this element).
    std::size_t open = at;
    if (open > 0 && body[open - 1] == ':') {
      --open;
      while (open > 0 && body[open - 1] != '<' && !xml_space(body[open - 1]) && body[open - 1] != '>') --open;
    }
    if (open == 0 || body[open - 1] != '<') continue;
    std::size_t p = at + name.size();
    while (p < body.size() && xml_space(body[p])) ++p;
    if (p >= body.size() || body[p] != '>') continue;
    const auto start = p + 1;
    const auto end = body.find('<', start);
    if (end == std::string_view::npos) return std::nullopt;
    auto text = body.substr(start, end - start);
    while (!text.empty() && xml_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && xml_space(text.back())) text.remove_suffix(1);
    if (text.empty() || text.size() > address_limit) return std::nullopt;
    return std::string(text);
  }
  return std::nullopt;
}

std::string name_uuid(std::string_view name) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(name.data(), name.size(), digest.data(), &len, EVP_sha256(), nullptr);
  // RFC 9562 §5.8 and Appendix B.2: version 8 in the high nibble of octet 6, variant
  // 10 in the two high bits of octet 8.
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x80);
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02X}", digest[i]);
  }
  return out;
}

std::string reverse_dns(std::string_view hostname) {
  std::string out;
  while (!hostname.empty()) {
    const auto dot = hostname.rfind('.');
    const auto label = dot == std::string_view::npos ? hostname : hostname.substr(dot + 1);
    if (!label.empty()) {
      if (!out.empty()) out += '.';
      out += label;
    }
    if (dot == std::string_view::npos) break;
    hostname = hostname.substr(0, dot);
  }
  return out;
}

std::optional<std::string> apple_mobileconfig(const mail_settings& s, std::string_view address) {
  auto in = preferred(s.imaps, s.imap, "imap");
  const bool imap = in.has_value();
  if (!in) in = preferred(s.pop3s, s.pop3, "pop3");
  if (!in) return std::nullopt;
  const auto out_server = preferred(s.submissions, s.submission, "smtp");
  const auto host = xml_escape(s.hostname);
  const auto addr = xml_escape(address);
  const auto at = address.rfind('@');
  const auto domain = xml_escape(at == std::string_view::npos ? address : address.substr(at + 1));
  const auto base_id = xml_escape(reverse_dns(s.hostname));
  const auto profile_uuid = name_uuid(fmt::format("letterhead mobileconfig profile {}", address));
  const auto payload_uuid = name_uuid(fmt::format("letterhead mobileconfig mail {}", address));

  std::string o;
  auto key = [&o](std::string_view k) { o += fmt::format("      <key>{}</key>\n", k); };
  auto str = [&o](std::string_view v) { o += fmt::format("      <string>{}</string>\n", v); };
  auto integer = [&o](unsigned v) { o += fmt::format("      <integer>{}</integer>\n", v); };
  auto boolean = [&o](bool v) { o += v ? "      <true/>\n" : "      <false/>\n"; };

  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
       "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n";
  o += "<plist version=\"1.0\">\n";
  o += "<dict>\n";
  o += "  <key>PayloadContent</key>\n";
  o += "  <array>\n";
  o += "    <dict>\n";
  key("EmailAccountDescription"); str(addr);
  key("EmailAccountName"); str(addr);
  key("EmailAccountType"); str(imap ? "EmailTypeIMAP" : "EmailTypePOP");
  key("EmailAddress"); str(addr);
  key("IncomingMailServerAuthentication"); str("EmailAuthPassword");
  key("IncomingMailServerHostName"); str(host);
  key("IncomingMailServerPortNumber"); integer(in->port);
  // With a STARTTLS port, UseSSL asks the client to upgrade with STARTTLS.
  key("IncomingMailServerUseSSL"); boolean(true);
  key("IncomingMailServerUsername"); str(addr);
  if (out_server) {
    key("OutgoingMailServerAuthentication"); str("EmailAuthPassword");
    key("OutgoingMailServerHostName"); str(host);
    key("OutgoingMailServerPortNumber"); integer(out_server->port);
    key("OutgoingMailServerUseSSL"); boolean(true);
    key("OutgoingMailServerUsername"); str(addr);
    key("OutgoingPasswordSameAsIncomingPassword"); boolean(true);
  }
  key("PayloadDescription"); str("Email account / 邮件账户");
  key("PayloadDisplayName"); str(addr);
  key("PayloadIdentifier"); str(fmt::format("{}.mail.{}", base_id, payload_uuid));
  key("PayloadType"); str("com.apple.mail.managed");
  key("PayloadUUID"); str(payload_uuid);
  key("PayloadVersion"); integer(1);
  key("PreventAppSheet"); boolean(false);
  key("PreventMove"); boolean(false);
  key("SMIMEEnabled"); boolean(false);
  o += "    </dict>\n";
  o += "  </array>\n";
  o += "  <key>PayloadDescription</key>\n";
  o += fmt::format("  <string>Mail settings for {} / {} 的邮件设置</string>\n", addr, addr);
  o += "  <key>PayloadDisplayName</key>\n";
  o += fmt::format("  <string>{} mail</string>\n", domain);
  o += "  <key>PayloadIdentifier</key>\n";
  o += fmt::format("  <string>{}.{}</string>\n", base_id, profile_uuid);
  o += "  <key>PayloadOrganization</key>\n";
  o += fmt::format("  <string>{}</string>\n", domain);
  o += "  <key>PayloadRemovalDisallowed</key>\n";
  o += "  <false/>\n";
  o += "  <key>PayloadType</key>\n";
  o += "  <string>Configuration</string>\n";
  o += "  <key>PayloadUUID</key>\n";
  o += fmt::format("  <string>{}</string>\n", profile_uuid);
  o += "  <key>PayloadVersion</key>\n";
  o += "  <integer>1</integer>\n";
  o += "</dict>\n";
  o += "</plist>\n";
  return o;
}

}  // namespace letterhead::http::autoconfig
