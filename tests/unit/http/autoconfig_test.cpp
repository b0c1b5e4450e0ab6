// The autoconfiguration documents, byte for byte, and the routes' domain rules.
#include "http/autoconfig/documents.hpp"
#include "http/autoconfig/routes.hpp"

#include <gtest/gtest.h>

namespace letterhead::http::autoconfig {
namespace {

mail_settings all_on() {
  mail_settings s;
  s.hostname = "mx.example.com";
  s.imap = {true, 143};
  s.imaps = {true, 993};
  s.pop3 = {true, 110};
  s.pop3s = {true, 995};
  s.submission = {true, 587};
  s.submissions = {true, 465};
  return s;
}

TEST(autoconfig, settings_from_config) {
  core::config c;
  c.hostname = "mail.example.org";
  c.listen.imaps = "127.0.0.1:10993";
  c.listen.submission = "127.0.0.1:10587";
  c.autoconfig.imaps_port = 1993;
  const auto s = settings_from(c);
  EXPECT_EQ(s.hostname, "mail.example.org");
  EXPECT_TRUE(s.imaps.enabled);
  EXPECT_EQ(s.imaps.port, 1993);
  EXPECT_FALSE(s.imap.enabled);
  EXPECT_TRUE(s.submission.enabled);
  EXPECT_EQ(s.submission.port, 587);
  EXPECT_FALSE(s.pop3s.enabled);
}

TEST(autoconfig, thunderbird_exact) {
  auto s = all_on();
  s.pop3 = {};
  s.pop3s = {};
  s.imap = {};
  EXPECT_EQ(thunderbird_config(s, "example.com"),
            R"(<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>example.com</displayName>
    <displayShortName>example.com</displayShortName>
    <incomingServer type="imap">
      <hostname>mx.example.com</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>mx.example.com</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>mx.example.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
)");
}

TEST(autoconfig, thunderbird_orders_implicit_tls_first) {
  const auto x = thunderbird_config(all_on(), "example.com");
  const auto p993 = x.find("<port>993</port>");
  const auto p143 = x.find("<port>143</port>");
  const auto p995 = x.find("<port>995</port>");
  const auto p110 = x.find("<port>110</port>");
  ASSERT_NE(p110, std::string::npos);
  EXPECT_LT(p993, p143);
  EXPECT_LT(p143, p995);
  EXPECT_LT(p995, p110);
  EXPECT_NE(x.find("<incomingServer type=\"pop3\">"), std::string::npos);
}

TEST(autoconfig, autodiscover_request_scan) {
  const std::string outlook = R"(<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress> alice@example.com </EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>)";
  EXPECT_EQ(autodiscover_request_address(outlook).value_or(""), "alice@example.com");
  EXPECT_EQ(autodiscover_request_address("<a:Request><a:EMailAddress>b@example.com</a:EMailAddress>").value_or(""),
            "b@example.com");
  EXPECT_FALSE(autodiscover_request_address("<Request><NotEMailAddress>x@y</NotEMailAddress></Request>"));
  EXPECT_FALSE(autodiscover_request_address("EMailAddress>x@y<"));
  EXPECT_FALSE(autodiscover_request_address("<EMailAddress>x@y"));
  EXPECT_FALSE(autodiscover_request_address("<EMailAddress></EMailAddress>"));
  EXPECT_FALSE(autodiscover_request_address("<EMailAddress>" + std::string(400, 'a') + "</EMailAddress>"));
  EXPECT_FALSE(autodiscover_request_address(""));
  EXPECT_FALSE(autodiscover_request_address(std::string(70000, ' ') + "<EMailAddress>a@b</EMailAddress>"));
}

TEST(autoconfig, autodiscover_response) {
  auto s = all_on();
  s.imaps = {};
  const auto x = autodiscover_response(s, "alice@example.com");
  EXPECT_TRUE(x.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Autodiscover xmlns=\"http://schemas"
                            ".microsoft.com/exchange/autodiscover/responseschema/2006\">\n  <Response xmlns=\"http"
                            "://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a\">\n"));
  EXPECT_NE(x.find("<AccountType>email</AccountType>"), std::string::npos);
  EXPECT_NE(x.find("<Action>settings</Action>"), std::string::npos);
  // IMAP falls back to STARTTLS on 143; POP3 and SMTP use implicit TLS.
  EXPECT_NE(x.find("<Type>IMAP</Type>\n        <Server>mx.example.com</Server>\n        <Port>143</Port>"),
            std::string::npos);
  EXPECT_NE(x.find("<Port>143</Port>\n        <DomainRequired>off</DomainRequired>\n        <LoginName>alice@"
                   "example.com</LoginName>\n        <SPA>off</SPA>\n        <SSL>on</SSL>\n        <Encryption>"
                   "TLS</Encryption>"),
            std::string::npos);
  EXPECT_NE(x.find("<Type>SMTP</Type>\n        <Server>mx.example.com</Server>\n        <Port>465</Port>"),
            std::string::npos);
  EXPECT_NE(x.find("<Type>POP3</Type>\n        <Server>mx.example.com</Server>\n        <Port>995</Port>"),
            std::string::npos);
  EXPECT_NE(autodiscover_error().find("<ErrorCode>600</ErrorCode>"), std::string::npos);
}

TEST(autoconfig, escaping) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  auto s = all_on();
  s.hostname = "mx<script>";
  const auto x = autodiscover_response(s, "a&b@example.com");
  EXPECT_EQ(x.find("<script>"), std::string::npos);
  EXPECT_NE(x.find("a&amp;b@example.com"), std::string::npos);
}

TEST(autoconfig, uuid_and_identifiers) {
  const auto a = name_uuid("alice@example.com");
  EXPECT_EQ(a, name_uuid("alice@example.com"));
  EXPECT_NE(a, name_uuid("bob@example.com"));
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[8], '-');
  EXPECT_EQ(a[14], '8');  // version 8
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'A' || a[19] == 'B');  // variant 10
  EXPECT_EQ(reverse_dns("mx.example.com"), "com.example.mx");
  EXPECT_EQ(reverse_dns("localhost"), "localhost");
  EXPECT_EQ(reverse_dns("a..b."), "b.a");
}

TEST(autoconfig, mobileconfig) {
  const auto p = apple_mobileconfig(all_on(), "alice@example.com");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist"));
  for (const char* want :
       {"<key>EmailAccountType</key>\n      <string>EmailTypeIMAP</string>",
        "<key>IncomingMailServerHostName</key>\n      <string>mx.example.com</string>",
        "<key>IncomingMailServerPortNumber</key>\n      <integer>993</integer>",
        "<key>IncomingMailServerUseSSL</key>\n      <true/>",
        "<key>IncomingMailServerUsername</key>\n      <string>alice@example.com</string>",
        "<key>OutgoingMailServerPortNumber</key>\n      <integer>465</integer>",
        "<key>OutgoingPasswordSameAsIncomingPassword</key>\n      <true/>",
        "<key>PayloadType</key>\n      <string>com.apple.mail.managed</string>",
        "<key>PayloadType</key>\n  <string>Configuration</string>"}) {
    EXPECT_NE(p->find(want), std::string::npos) << want;
  }
  EXPECT_NE(p->find("<string>com.example.mx.mail." + name_uuid("letterhead mobileconfig mail alice@example.com")),
            std::string::npos);
  EXPECT_EQ(*p, *apple_mobileconfig(all_on(), "alice@example.com"));

  auto pop_only = all_on();
  pop_only.imap = {};
  pop_only.imaps = {};
  pop_only.pop3s = {};
  const auto pop = apple_mobileconfig(pop_only, "alice@example.com");
  ASSERT_TRUE(pop);
  EXPECT_NE(pop->find("EmailTypePOP"), std::string::npos);
  EXPECT_NE(pop->find("<integer>110</integer>"), std::string::npos);
  mail_settings none;
  none.hostname = "mx.example.com";
  EXPECT_FALSE(apple_mobileconfig(none, "alice@example.com"));
}

// The routes with a fake domain list.
class autoconfig_routes : public ::testing::Test {
 protected:
  void SetUp() override {
    add_routes(routes_, all_on(), [this](std::string_view d) -> core::result<bool> {
      ++lookups_;
      if (d == "broken.example") return core::fail(core::errc::unavailable, "store down");
      return d == "example.com";
    });
  }
  response get(std::string path, std::vector<std::pair<std::string, std::string>> query,
               std::string host = "mx.example.com") {
    request r;
    r.method = "GET";
    r.path = std::move(path);
    r.query = std::move(query);
    r.headers = {{"Host", std::move(host)}};
    return routes_.handle(r);
  }
  response post(std::string path, std::string body) {
    request r;
    r.method = "POST";
    r.path = std::move(path);
    r.body = std::move(body);
    return routes_.handle(r);
  }
  router routes_;
  int lookups_ = 0;
};

TEST_F(autoconfig_routes, thunderbird_both_urls) {
  for (const char* path : {"/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"}) {
    auto r = get(path, {{"emailaddress", "Alice@Example.COM"}});
    EXPECT_EQ(r.status, 200u) << path;
    EXPECT_EQ(r.content_type, "application/xml; charset=utf-8");
    EXPECT_EQ(r.body, thunderbird_config(all_on(), "example.com"));
  }
  EXPECT_EQ(get("/mail/config-v1.1.xml", {{"emailaddress", "alice@foreign.example"}}).status, 404u);
  EXPECT_EQ(get("/mail/config-v1.1.xml", {{"emailaddress", "not an address"}}).status, 400u);
  EXPECT_EQ(get("/mail/config-v1.1.xml", {{"emailaddress", "a@broken.example"}}).status, 503u);
  // Without the parameter, the Host autoconfig.DOMAIN names the domain.
  EXPECT_EQ(get("/mail/config-v1.1.xml", {}, "autoconfig.example.com:8080").status, 200u);
  EXPECT_EQ(get("/mail/config-v1.1.xml", {}, "autoconfig.foreign.example").status, 404u);
}

TEST_F(autoconfig_routes, autodiscover) {
  const std::string body = "<Autodiscover><Request><EMailAddress>alice@example.com</EMailAddress></Request></Autodiscover>";
  for (const char* path : {"/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"}) {
    auto r = post(path, body);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, autodiscover_response(all_on(), "alice@example.com"));
  }
  EXPECT_EQ(post("/autodiscover/autodiscover.xml", "<nothing/>").status, 400u);
  EXPECT_EQ(post("/autodiscover/autodiscover.xml",
                 "<Request><EMailAddress>x@foreign.example</EMailAddress></Request>").status, 404u);
  EXPECT_EQ(get("/autodiscover/autodiscover.xml", {}).status, 405u);
}

TEST_F(autoconfig_routes, apple) {
  auto r = get("/apple/mobileconfig", {{"emailaddress", "alice@example.com"}});
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/x-apple-aspen-config");
  EXPECT_EQ(r.body, *apple_mobileconfig(all_on(), "alice@example.com"));
  bool disposition = false;
  for (const auto& h : r.headers) {
    if (h.name == "Content-Disposition") {
      disposition = true;
      EXPECT_EQ(h.value, "attachment; filename=\"example.com.mobileconfig\"");
    }
  }
  EXPECT_TRUE(disposition);
  EXPECT_EQ(get("/apple/mobileconfig", {}).status, 400u);
  EXPECT_EQ(get("/apple/mobileconfig", {{"emailaddress", "x@foreign.example"}}).status, 404u);
}

}  // namespace
}  // namespace letterhead::http::autoconfig
