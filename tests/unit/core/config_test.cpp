#include "core/config.hpp"

#include <gtest/gtest.h>

namespace letterhead::core {
namespace {

TEST(config, empty_file_gives_defaults) {
  auto c = parse_config("", "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->hostname, "localhost");
  EXPECT_EQ(c->store.backend, "sqlite");
  EXPECT_FALSE(c->listen.smtp.has_value());
  EXPECT_EQ(c->limits.message_size, 50ull * 1024 * 1024);
  EXPECT_EQ(c->http.header_size, 16u * 1024);
  EXPECT_EQ(c->http.body_size, 1024u * 1024);
  EXPECT_EQ(c->http.metrics, "loopback");
  EXPECT_EQ(c->autoconfig.imaps_port, 993);
  EXPECT_EQ(c->autoconfig.submission_port, 587);
  EXPECT_EQ(c->autoconfig.submissions_port, 465);
}

TEST(config, reads_every_section) {
  auto c = parse_config(R"(
hostname = "mail.example.com"
data_dir = "/var/lib/letterhead"
[listen]
smtp = "0.0.0.0:25"
submission = "[::1]:587"
[tls]
cert = "/etc/c.pem"
key = "/etc/k.pem"
[tls.sni."Mail.Example.org"]
cert = "a.pem"
key = "b.pem"
[store]
backend = "postgres"
url = "postgresql://x"
[dns]
servers = ["127.0.0.1:5353"]
[relay]
host = "smarthost:587"
[smtp]
allow_plaintext_auth_on_loopback = true
[limits]
message_size = 1048576
recipients = 20
command_timeout = 30
[http]
header_size = 8192
body_size = 4096
request_timeout = 5
idle_timeout = 3
keepalive_requests = 10
metrics = "anyone"
[autoconfig]
imap_port = 10143
imaps_port = 10993
pop3_port = 10110
pop3s_port = 10995
submission_port = 10587
submissions_port = 10465
[log]
level = "debug"
[runtime]
io_threads = 2
)",
                        "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->hostname, "mail.example.com");
  EXPECT_EQ(*c->listen.smtp, "0.0.0.0:25");
  EXPECT_EQ(*c->listen.submission, "[::1]:587");
  EXPECT_EQ(c->tls.sni.at("mail.example.org").cert, "a.pem");
  EXPECT_EQ(c->store.backend, "postgres");
  EXPECT_EQ(c->dns.servers.at(0), "127.0.0.1:5353");
  EXPECT_EQ(c->relay.host, "smarthost:587");
  EXPECT_TRUE(c->smtp.allow_plaintext_auth_on_loopback);
  EXPECT_EQ(c->limits.message_size, 1048576u);
  EXPECT_EQ(c->limits.recipients, 20u);
  EXPECT_EQ(c->limits.command_timeout.count(), 30);
  EXPECT_EQ(c->http.header_size, 8192u);
  EXPECT_EQ(c->http.body_size, 4096u);
  EXPECT_EQ(c->http.request_timeout.count(), 5);
  EXPECT_EQ(c->http.idle_timeout.count(), 3);
  EXPECT_EQ(c->http.keepalive_requests, 10u);
  EXPECT_EQ(c->http.metrics, "anyone");
  EXPECT_EQ(c->autoconfig.imap_port, 10143);
  EXPECT_EQ(c->autoconfig.imaps_port, 10993);
  EXPECT_EQ(c->autoconfig.pop3_port, 10110);
  EXPECT_EQ(c->autoconfig.pop3s_port, 10995);
  EXPECT_EQ(c->autoconfig.submission_port, 10587);
  EXPECT_EQ(c->autoconfig.submissions_port, 10465);
  EXPECT_EQ(c->log.level, "debug");
  EXPECT_EQ(c->runtime.io_threads, 2u);
}

struct bad_case {
  const char* text;
  const char* expected_in_message;
};

class config_errors : public ::testing::TestWithParam<bad_case> {};

TEST_P(config_errors, name_the_key) {
  auto c = parse_config(GetParam().text, "t.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::invalid);
  EXPECT_NE(c.error().message.find(GetParam().expected_in_message), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("t.toml"), std::string::npos) << c.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    all, config_errors,
    ::testing::Values(bad_case{"hostnme = \"x\"", "unknown key 'hostnme'"},
                      bad_case{"[listen]\nsmpt = \"1:2\"", "unknown key 'listen.smpt'"},
                      bad_case{"[listen]\nsmtp = \"nowhere\"", "listen.smtp"},
                      bad_case{"[listen]\nsmtp = \"127.0.0.1:99999\"", "listen.smtp"},
                      bad_case{"hostname = 5", "'hostname' must be a string"},
                      bad_case{"[limits]\nrecipients = 0", "limits.recipients"},
                      bad_case{"[limits]\nmessage_size = \"big\"", "limits.message_size"},
                      bad_case{"[store]\nbackend = \"mysql\"", "store.backend"},
                      bad_case{"[log]\nlevel = \"loud\"", "log.level"},
                      bad_case{"[tls]\ncert = \"a\"", "[tls] needs both"},
                      bad_case{"listen = 3", "'listen' must be a table"},
                      bad_case{"hostname = \"a\"\nhostname = \"b\"", "t.toml:2"},
                      bad_case{"[tls.sni.\"x\"]\ncert = \"a\"", "needs both cert and key"},
                      bad_case{"[autoconfig]\nimaps_port = 0", "autoconfig.imaps_port"},
                      bad_case{"[autoconfig]\nimap = 143", "unknown key 'autoconfig.imap'"},
                      bad_case{"[http]\nbody_size = 10", "http.body_size"},
                      bad_case{"[http]\nmetrics = \"public\"", "http.metrics"}));

TEST(config, host_port) {
  auto a = parse_host_port("127.0.0.1:2525");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 2525);
  auto b = parse_host_port("[::1]:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  EXPECT_FALSE(parse_host_port("::1:25x"));
  EXPECT_FALSE(parse_host_port("[::1]25"));
}

TEST(config, missing_file_is_a_clear_error) {
  auto c = load_config("/nonexistent/letterhead.toml");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("/nonexistent/letterhead.toml"), std::string::npos);
}

}  // namespace
}  // namespace letterhead::core
