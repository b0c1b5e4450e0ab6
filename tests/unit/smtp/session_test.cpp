// The SMTP session's state machine, driven through an in-memory transport and a
// fake backend: fast, deterministic, and able to split input anywhere. The real
// binary with real clients is tested in tests/integration/.
#include "smtp/server/session.hpp"

#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

namespace letterhead::smtp::server {
namespace {

namespace asio = boost::asio;

// Hands the session the scripted chunks one read at a time; a read after the
// script ends sees the peer close.
class memory_transport final : public core::transport {
 public:
  explicit memory_transport(std::deque<std::string> script) : script_(std::move(script)) {}

  asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                       std::chrono::seconds) override {
    if (closed_ || script_.empty()) co_return 0;
    auto& front = script_.front();
    const auto n = std::min(max, front.size());
    buf.append(front, 0, n);
    front.erase(0, n);
    if (front.empty()) script_.pop_front();
    co_return n;
  }
  asio::awaitable<core::result<void>> write(std::string_view data, std::chrono::seconds) override {
    out += data;
    co_return core::result<void>{};
  }
  asio::awaitable<core::result<void>> start_tls(std::chrono::seconds) override {
    tls_ = true;
    out += "<TLS>\r\n";
    co_return core::result<void>{};
  }
  bool tls() const override { return tls_; }
  std::string tls_description() const override { return tls_ ? "TLSv1.3 TEST" : ""; }
  std::string peer_ip() const override { return "192.0.2.7"; }
  bool peer_is_loopback() const override { return false; }
  void cancel_read() override {}
  void close() override { closed_ = true; }

  std::string out;

 private:
  std::deque<std::string> script_;
  bool tls_ = false;
  bool closed_ = false;
};

class fake_backend final : public backend {
 public:
  core::result<identity> authenticate(const std::string& user, const std::string& password) override {
    if (user == "alice@example.com" && password == "secret") return identity{1, user};
    return core::fail(core::errc::denied, "invalid credentials");
  }
  core::result<recipient_status> lookup_recipient(const std::string& address) override {
    if (address == "alice@example.com" || address == "bob@example.com") return recipient_status::local;
    if (address.ends_with("@example.com")) return recipient_status::local_unknown;
    return recipient_status::foreign;
  }
  core::result<bool> may_send_as(const identity& who, const std::string& address) override {
    return address == who.address;
  }
  core::result<accepted> accept(const envelope& env, const std::string& message) override {
    envelopes.push_back(env);
    messages.push_back(message);
    return accepted{"ID" + std::to_string(messages.size())};
  }
  std::vector<envelope> envelopes;
  std::vector<std::string> messages;
};

struct run_result {
  std::string out;
  std::vector<std::string> messages;
  std::vector<envelope> envelopes;
};

run_result run(listener_kind kind, std::deque<std::string> script, core::limits limits = {}) {
  asio::io_context io;
  asio::thread_pool pool(1);
  fake_backend back;
  auto t = std::make_shared<memory_transport>(std::move(script));
  auto settings = std::make_shared<session_settings>();
  settings->hostname = "mx.example.com";
  settings->kind = kind;
  settings->limits = limits;
  session s(t, settings, back, pool, 1);
  auto go = [](session& sess) -> asio::awaitable<void> { co_await sess.run(); };
  asio::co_spawn(io, go(s), asio::detached);
  io.run();
  pool.join();
  return {t->out, back.messages, back.envelopes};
}

// The reply codes in order, one per final reply line.
std::vector<int> codes(const std::string& out) {
  std::vector<int> v;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const auto eol = out.find("\r\n", pos);
    const auto line = out.substr(pos, eol - pos);
    if (line.size() >= 4 && line[3] == ' ') v.push_back(std::stoi(line.substr(0, 3)));
    if (line == "<TLS>") v.push_back(0);
    pos = eol + 2;
  }
  return v;
}

// The messages without the Received header's date, which moves with the clock.
std::vector<std::string> undated(std::vector<std::string> messages) {
  for (auto& m : messages) {
    const auto date = m.find(";\r\n\t");
    const auto end = m.find("\r\n", date + 4);
    if (date != std::string::npos && end != std::string::npos) m.erase(date, end - date);
  }
  return messages;
}

const std::string transaction =
    "EHLO client.example\r\n"
    "MAIL FROM:<sender@outside.example> BODY=8BITMIME\r\n"
    "RCPT TO:<alice@example.com>\r\n"
    "DATA\r\n"
    "Subject: test\r\n\r\nline one\r\n..dot line\r\n.\r\n"
    "QUIT\r\n";

TEST(smtp_session, whole_transaction_in_one_chunk) {
  auto r = run(listener_kind::mx, {transaction});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 250, 250, 354, 250, 221}));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].starts_with("Received: from client.example ([192.0.2.7])\r\n"));
  EXPECT_TRUE(r.messages[0].ends_with("\r\nSubject: test\r\n\r\nline one\r\n.dot line\r\n"));
  EXPECT_EQ(r.envelopes[0].mail_from, "sender@outside.example");
  EXPECT_EQ(r.envelopes[0].body, "8BITMIME");
  EXPECT_EQ(r.out.find("AUTH"), std::string::npos);  // not on the MX port
}

TEST(smtp_session, same_result_whatever_the_split) {
  const auto whole = run(listener_kind::mx, {transaction});
  for (std::size_t cut = 1; cut < transaction.size(); ++cut) {
    auto r = run(listener_kind::mx, {transaction.substr(0, cut), transaction.substr(cut)});
    ASSERT_EQ(codes(r.out), codes(whole.out)) << "cut at " << cut;
    ASSERT_EQ(undated(r.messages), undated(whole.messages)) << "cut at " << cut;
  }
  std::deque<std::string> bytes;
  for (char c : transaction) bytes.emplace_back(1, c);
  auto r = run(listener_kind::mx, bytes);
  EXPECT_EQ(undated(r.messages), undated(whole.messages));
}

TEST(smtp_session, relay_and_unknown_recipients_refused) {
  auto r = run(listener_kind::mx, {"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<x@elsewhere.example>\r\n"
                                   "RCPT TO:<nobody@example.com>\r\nRCPT TO:<bob@example.com>\r\nQUIT\r\n"});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 250, 554, 550, 250, 221}));
  EXPECT_NE(r.out.find("554 5.7.1"), std::string::npos);
  EXPECT_NE(r.out.find("550 5.1.1"), std::string::npos);
}

TEST(smtp_session, submission_needs_tls_then_auth_then_owned_sender) {
  auto r = run(listener_kind::submission,
               {"EHLO c\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\nMAIL FROM:<alice@example.com>\r\n"
                "STARTTLS\r\n",
                "EHLO c\r\nAUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHdyb25n\r\n"
                "AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHNlY3JldA==\r\n"
                "MAIL FROM:<bob@example.com>\r\nMAIL FROM:<alice@example.com>\r\n"
                "RCPT TO:<partner@elsewhere.example>\r\nQUIT\r\n"});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 538, 530, 220, 0, 250, 535, 235, 553, 250, 250, 221}));
  EXPECT_NE(r.out.find("250-AUTH PLAIN LOGIN"), std::string::npos);
}

TEST(smtp_session, auth_login_dialogue) {
  auto r = run(listener_kind::submission,
               {"EHLO c\r\nSTARTTLS\r\n", "EHLO c\r\nAUTH LOGIN\r\n", "YWxpY2VAZXhhbXBsZS5jb20=\r\n",
                "c2VjcmV0\r\nQUIT\r\n"});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 220, 0, 250, 334, 334, 235, 221}));
}

TEST(smtp_session, requiretls_only_on_tls_sessions) {
  // RFC 8689 §2: not offered and refused in cleartext; offered and kept after STARTTLS.
  auto r = run(listener_kind::mx,
               {"EHLO c\r\nMAIL FROM:<a@b.example> REQUIRETLS\r\nSTARTTLS\r\n",
                "EHLO c\r\nMAIL FROM:<a@b.example> REQUIRETLS=YES\r\nMAIL FROM:<a@b.example> REQUIRETLS\r\n"
                "RCPT TO:<alice@example.com>\r\nDATA\r\nSubject: t\r\n\r\nx\r\n.\r\nQUIT\r\n"});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 530, 220, 0, 250, 501, 250, 250, 354, 250, 221}));
  EXPECT_NE(r.out.find("530 5.7.10"), std::string::npos);
  const auto tls_at = r.out.find("<TLS>");
  ASSERT_NE(tls_at, std::string::npos);
  EXPECT_EQ(r.out.substr(0, tls_at).find("250-REQUIRETLS"), std::string::npos);
  EXPECT_NE(r.out.find("250-REQUIRETLS", tls_at), std::string::npos);
  ASSERT_EQ(r.envelopes.size(), 1u);
  EXPECT_TRUE(r.envelopes[0].requiretls);
}

TEST(smtp_session, starttls_discards_pipelined_plaintext) {
  auto r = run(listener_kind::mx, {"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b.example>\r\n", "QUIT\r\n"});
  // No reply to the injected MAIL: 220 greeting, 250 EHLO, 220 STARTTLS, TLS, 221.
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 220, 0, 221}));
}

TEST(smtp_session, smuggling_variants_refuse_the_message) {
  for (const std::string end : {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n"}) {
    auto r = run(listener_kind::mx,
                 {"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n"
                  "Subject: one\r\n\r\nbody" + end +
                  "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n"});
    EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 250, 250, 354, 550, 221}));
    EXPECT_TRUE(r.messages.empty());
  }
}

TEST(smtp_session, bdat_chunks_and_size_limit) {
  core::limits limits;
  limits.message_size = 1024;
  const std::string body(600, 'x');
  auto r = run(listener_kind::mx,
               {"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
                "BDAT 600\r\n" + body + "BDAT 10 LAST\r\n0123456789"
                "MAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\n"
                "BDAT 600\r\n" + body + "BDAT 600 LAST\r\n" + body + "QUIT\r\n"},
               limits);
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 250, 250, 250, 250, 250, 250, 250, 250, 552, 221}));
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_TRUE(r.messages[0].ends_with(body + "0123456789"));
}

TEST(smtp_session, errors_end_the_session) {
  core::limits limits;
  limits.errors = 3;
  auto r = run(listener_kind::mx, {"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n"}, limits);
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 500, 500, 421}));
}

TEST(smtp_session, overlong_line_is_refused_and_session_continues) {
  auto r = run(listener_kind::mx, {"NOOP " + std::string(3000, 'a') + "\r\nNOOP\r\nQUIT\r\n"});
  EXPECT_EQ(codes(r.out), (std::vector<int>{220, 500, 250, 221}));
  EXPECT_NE(r.out.find("500 5.5.2"), std::string::npos);
}

TEST(smtp_session, peer_closing_mid_data_stores_nothing) {
  auto r = run(listener_kind::mx,
               {"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\nSubject: x\r\n"});
  EXPECT_TRUE(r.messages.empty());
}

}  // namespace
}  // namespace letterhead::smtp::server
