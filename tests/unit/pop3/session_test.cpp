// The POP3 session's state machine, driven through an in-memory transport and a fake
// backend: fast, deterministic, and able to split input anywhere. The real binary
// with real clients is tested in tests/integration/test_pop3.py.
#include "pop3/server/session.hpp"

#include <deque>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include "pop3/proto/sasl.hpp"

namespace letterhead::pop3::server {
namespace {

namespace asio = boost::asio;

// Hands the session the scripted chunks one read at a time; a read after the script
// ends sees the peer close (or, with `timeout_at_end`, the autologout timer expire).
class memory_transport final : public core::transport {
 public:
  memory_transport(std::deque<std::string> script, bool loopback, bool timeout_at_end)
      : script_(std::move(script)), loopback_(loopback), timeout_at_end_(timeout_at_end) {}

  asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                       std::chrono::seconds timeout) override {
    last_timeout = timeout;
    if (closed_) co_return 0;
    if (script_.empty()) {
      if (timeout_at_end_) co_return core::fail(core::errc::unavailable, "timeout");
      co_return 0;
    }
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
  std::string peer_ip() const override { return loopback_ ? "127.0.0.1" : "192.0.2.7"; }
  bool peer_is_loopback() const override { return loopback_; }
  void cancel_read() override {}
  void close() override { closed_ = true; }

  std::string out;
  std::chrono::seconds last_timeout{0};

 private:
  std::deque<std::string> script_;
  bool tls_ = false;
  bool closed_ = false;
  bool loopback_;
  bool timeout_at_end_;
};

const std::string message1 = "Subject: one\r\n\r\nfirst\r\n.leading dot\r\n.\r\nend\r\n";
const std::string message2 = "Subject: two\r\nFrom: b@example.com\r\n\r\nl1\r\nl2\r\nl3\r\n";
const std::string message3 = "Subject: three\r\n\r\nshort\r\n";

class fake_backend final : public backend {
 public:
  core::result<identity> authenticate(const std::string& user, const std::string& password) override {
    if (user == "alice@example.com" && password == "secret pass") return identity{1, user};
    return core::fail(core::errc::denied, "invalid credentials");
  }
  core::result<maildrop> open_maildrop(const identity& who) override {
    maildrop d;
    d.mailbox_id = 7;
    d.uidvalidity = 1700000000;
    d.messages = {{3, message1.size(), "h1"}, {5, message2.size(), "h2"}, {9, message3.size(), "h3"}};
    return d;
  }
  core::result<std::string> fetch(const maildrop&, const maildrop_message& m) override {
    if (gone == m.uid) return core::fail(core::errc::not_found, "expunged");
    if (m.blob == "h1") return message1;
    if (m.blob == "h2") return message2;
    return message3;
  }
  core::result<void> remove(const maildrop&, const std::vector<std::uint32_t>& uids) override {
    removed.push_back(uids);
    return {};
  }
  std::vector<std::vector<std::uint32_t>> removed;
  std::uint32_t gone = 0;
};

struct options {
  bool loopback = false;
  bool allow_plaintext = false;
  bool implicit_tls = false;
  bool timeout_at_end = false;
  std::uint32_t gone = 0;
  std::size_t write_chunk = 64 * 1024;
  core::limits limits{};
};

struct run_result {
  std::string out;
  std::vector<std::vector<std::uint32_t>> removed;
  std::chrono::seconds read_timeout{0};
};

run_result run(std::deque<std::string> script, const options& o = {}, bool shut_down = false) {
  asio::io_context io;
  asio::thread_pool pool(1);
  fake_backend back;
  back.gone = o.gone;
  auto t = std::make_shared<memory_transport>(std::move(script), o.loopback, o.timeout_at_end);
  auto settings = std::make_shared<session_settings>();
  settings->hostname = "mail.example.com";
  settings->implicit_tls = o.implicit_tls;
  settings->allow_plaintext_auth_on_loopback = o.allow_plaintext;
  settings->write_chunk = o.write_chunk;
  settings->limits = o.limits;
  session s(t, settings, back, pool, 1);
  if (shut_down) s.request_shutdown();
  auto go = [](session& sess) -> asio::awaitable<void> { co_await sess.run(); };
  asio::co_spawn(io, go(s), asio::detached);
  io.run();
  pool.join();
  return {t->out, back.removed, t->last_timeout};
}

// The status lines in order: "+OK", "-ERR", "-ERR [AUTH]", "+" (a SASL challenge)
// or "TLS". Multi-line bodies in these tests never start a line with "+" or "-".
std::vector<std::string> statuses(const std::string& out) {
  std::vector<std::string> v;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const auto eol = out.find("\r\n", pos);
    const auto line = out.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.starts_with("+OK")) {
      v.push_back("+OK");
    } else if (line.starts_with("-ERR [")) {
      v.push_back(line.substr(0, line.find(']') + 1));
    } else if (line.starts_with("-ERR")) {
      v.push_back("-ERR");
    } else if (line == "+ ") {
      v.push_back("+");
    } else if (line == "<TLS>") {
      v.push_back("TLS");
    }
  }
  return v;
}

using strings = std::vector<std::string>;

// STLS in a chunk of its own (what follows it in the same chunk is thrown away),
// then a login and `rest`.
std::deque<std::string> with_login(const std::string& rest) {
  return {"STLS\r\n", "USER alice@example.com\r\nPASS secret pass\r\n" + rest};
}

TEST(pop3_session, capa_before_and_after_tls) {
  auto r = run({"CAPA\r\nUSER alice@example.com\r\nAUTH PLAIN\r\nSTLS\r\n", "CAPA\r\nSTLS\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "-ERR", "-ERR", "+OK", "TLS", "+OK", "-ERR", "+OK"}));
  const auto tls_at = r.out.find("<TLS>");
  const auto before = r.out.substr(0, tls_at);
  const auto after = r.out.substr(tls_at);
  EXPECT_NE(before.find("\r\nSTLS\r\n"), std::string::npos);
  EXPECT_EQ(before.find("\r\nUSER\r\n"), std::string::npos);
  EXPECT_EQ(before.find("SASL"), std::string::npos);
  EXPECT_EQ(after.find("\r\nSTLS\r\n"), std::string::npos);
  EXPECT_NE(after.find("\r\nUSER\r\n"), std::string::npos);
  EXPECT_NE(after.find("\r\nSASL PLAIN\r\n"), std::string::npos);
  EXPECT_NE(after.find("\r\nRESP-CODES\r\n"), std::string::npos);
  EXPECT_NE(after.find("\r\nUIDL\r\n"), std::string::npos);
  EXPECT_TRUE(r.removed.empty());
}

TEST(pop3_session, transaction_and_update) {
  auto r = run(with_login("STAT\r\nLIST\r\nUIDL\r\nUIDL 2\r\nRETR 1\r\nDELE 1\r\nLIST 1\r\nRETR 1\r\nDELE 1\r\n"
                        "STAT\r\nDELE 3\r\nQUIT\r\n"));
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK", "+OK",
                                      "+OK", "-ERR", "-ERR", "-ERR", "+OK", "+OK", "+OK"}));
  const auto total = message1.size() + message2.size() + message3.size();
  EXPECT_NE(r.out.find("+OK 3 " + std::to_string(total) + "\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("1 " + std::to_string(message1.size()) + "\r\n2 " + std::to_string(message2.size()) +
                       "\r\n3 " + std::to_string(message3.size()) + "\r\n.\r\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("1 1700000000.3\r\n2 1700000000.5\r\n3 1700000000.9\r\n.\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("+OK 2 1700000000.5\r\n"), std::string::npos);
  // RETR: the size, then the message dot-stuffed.
  EXPECT_NE(r.out.find("+OK " + std::to_string(message1.size()) +
                       " octets\r\nSubject: one\r\n\r\nfirst\r\n..leading dot\r\n..\r\nend\r\n.\r\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("+OK 2 " + std::to_string(message2.size() + message3.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(r.out.find("(2 messages deleted, 1 left)"), std::string::npos);
  ASSERT_EQ(r.removed.size(), 1u);
  EXPECT_EQ(r.removed[0], (std::vector<std::uint32_t>{3, 9}));
}

TEST(pop3_session, top_sends_header_and_n_body_lines) {
  auto r = run(with_login("TOP 2 0\r\nTOP 2 2\r\nTOP 2 99\r\nTOP 4 1\r\nQUIT\r\n"));
  EXPECT_NE(r.out.find("+OK Top of message follows\r\nSubject: two\r\nFrom: b@example.com\r\n\r\n.\r\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("follows\r\nSubject: two\r\nFrom: b@example.com\r\n\r\nl1\r\nl2\r\n.\r\n"),
            std::string::npos);
  EXPECT_NE(r.out.find("follows\r\n" + message2 + ".\r\n"), std::string::npos);
  EXPECT_EQ(statuses(r.out).back(), "+OK");
  EXPECT_EQ(statuses(r.out)[statuses(r.out).size() - 2], "-ERR");
}

TEST(pop3_session, rset_unmarks_and_quit_deletes_nothing) {
  auto r = run(with_login("DELE 1\r\nDELE 2\r\nRSET\r\nSTAT\r\nQUIT\r\n"));
  EXPECT_NE(r.out.find("(0 messages deleted, 3 left)"), std::string::npos);
  EXPECT_TRUE(r.removed.empty());
}

TEST(pop3_session, dropped_connection_deletes_nothing) {
  // RFC 1939 §6: without QUIT the session never enters UPDATE.
  auto r = run(with_login("DELE 1\r\nDELE 2\r\n"));
  EXPECT_TRUE(r.removed.empty());
  auto t = run(with_login("DELE 1\r\n"), {.timeout_at_end = true});
  EXPECT_TRUE(t.removed.empty());
  // The autologout timer is at least 10 minutes (RFC 1939 §3); no reply on expiry.
  EXPECT_GE(t.read_timeout, std::chrono::seconds(600));
  EXPECT_EQ(statuses(t.out).back(), "+OK");
}

TEST(pop3_session, wrong_password_gives_auth_code_and_ends_after_three) {
  auto r = run({"STLS\r\n", "USER alice@example.com\r\nPASS wrong\r\nPASS secret pass\r\nUSER nobody@example.com\r\n"
                "PASS secret pass\r\nUSER alice@example.com\r\nPASS nope\r\nNOOP\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+OK", "-ERR [AUTH]", "-ERR", "+OK", "-ERR [AUTH]",
                                      "+OK", "-ERR [AUTH]"}));
  EXPECT_NE(r.out.find("Too many failed logins"), std::string::npos);
}

TEST(pop3_session, auth_plain_with_initial_response_and_continuation) {
  const auto good = proto::base64_encode(std::string("\0alice@example.com\0secret pass", 30));
  const auto bad = proto::base64_encode(std::string("\0alice@example.com\0wrong", 24));
  auto r = run({"STLS\r\n", "AUTH\r\nAUTH CRAM-MD5\r\nAUTH PLAIN " + bad + "\r\nAUTH PLAIN\r\n*\r\nAUTH PLAIN\r\n",
                good + "\r\nSTAT\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+OK", "-ERR", "-ERR [AUTH]", "+", "-ERR", "+", "+OK",
                                      "+OK", "+OK"}));
  EXPECT_NE(r.out.find("+OK Supported mechanisms follow\r\nPLAIN\r\n.\r\n"), std::string::npos);
  auto ir = run({"STLS\r\n", "AUTH PLAIN " + good + "\r\nSTAT\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(ir.out), (strings{"+OK", "+OK", "TLS", "+OK", "+OK", "+OK"}));
}

TEST(pop3_session, sasl_response_may_exceed_the_command_limit) {
  // A long (wrong) password: the response line is longer than 255 octets but is read
  // whole, and judged as a failed login rather than as a line too long.
  const auto creds = proto::base64_encode(std::string("\0alice@example.com\0", 19) + std::string(400, 'p'));
  auto r = run({"STLS\r\n", "AUTH PLAIN\r\n" + creds + "\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+", "-ERR [AUTH]", "+OK"}));
  // The same bytes as a command line are too long.
  auto c = run({"STLS\r\n", "AUTH PLAIN " + creds + "\r\nQUIT\r\n"});
  EXPECT_NE(c.out.find("-ERR Line too long"), std::string::npos);
}

TEST(pop3_session, stls_discards_pipelined_plaintext) {
  auto r = run({"STLS\r\nUSER alice@example.com\r\nPASS secret pass\r\n", "STAT\r\nQUIT\r\n"});
  // No replies to the injected USER/PASS: STAT is refused in AUTHORIZATION.
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "-ERR", "+OK"}));
}

TEST(pop3_session, user_forgotten_across_stls) {
  auto r = run({"USER alice@example.com\r\n", "STLS\r\n", "PASS secret pass\r\nQUIT\r\n"}, {.loopback = true, .allow_plaintext = true});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "+OK", "TLS", "-ERR", "+OK"}));
}

TEST(pop3_session, plaintext_login_only_on_loopback_with_the_test_setting) {
  auto refused = run({"USER alice@example.com\r\nPASS secret pass\r\nQUIT\r\n"}, {.loopback = true});
  EXPECT_EQ(statuses(refused.out), (strings{"+OK", "-ERR", "-ERR", "+OK"}));
  auto remote = run({"USER alice@example.com\r\nQUIT\r\n"}, {.loopback = false, .allow_plaintext = true});
  EXPECT_EQ(statuses(remote.out), (strings{"+OK", "-ERR", "+OK"}));
  auto allowed = run({"CAPA\r\nUSER alice@example.com\r\nPASS secret pass\r\nSTAT\r\nQUIT\r\n"},
                     {.loopback = true, .allow_plaintext = true});
  EXPECT_EQ(statuses(allowed.out), (strings{"+OK", "+OK", "+OK", "+OK", "+OK", "+OK"}));
  EXPECT_NE(allowed.out.find("\r\nUSER\r\n"), std::string::npos);
}

TEST(pop3_session, implicit_tls_greets_after_the_handshake) {
  auto r = run({"CAPA\r\nUSER alice@example.com\r\nPASS secret pass\r\nQUIT\r\n"}, {.implicit_tls = true});
  EXPECT_TRUE(r.out.starts_with("<TLS>\r\n+OK mail.example.com"));
  EXPECT_EQ(r.out.find("\r\nSTLS\r\n"), std::string::npos);
  EXPECT_EQ(statuses(r.out), (strings{"TLS", "+OK", "+OK", "+OK", "+OK", "+OK"}));
}

TEST(pop3_session, commands_only_in_their_state) {
  auto r = run({"STAT\r\nRETR 1\r\nAPOP alice@example.com c4c9334bac560ecc979e58001b3e22fb\r\nSTLS\r\n",
                "USER alice@example.com\r\nPASS secret pass\r\nUSER bob\r\nSTLS\r\nLIST 0\r\nRETR 4\r\nCAPA\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "-ERR", "-ERR", "-ERR", "+OK", "TLS", "+OK", "+OK", "-ERR", "-ERR",
                                      "-ERR", "-ERR", "+OK", "+OK"}));
  // CAPA in TRANSACTION offers no login methods.
  const auto capa = r.out.substr(r.out.rfind("Capability"));
  EXPECT_EQ(capa.find("USER"), std::string::npos);
  EXPECT_EQ(capa.find("SASL"), std::string::npos);
}

TEST(pop3_session, message_removed_by_another_session) {
  auto r = run(with_login("RETR 1\r\nRETR 2\r\nQUIT\r\n"), {.gone = 3});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+OK", "+OK", "-ERR", "+OK", "+OK"}));
  EXPECT_NE(r.out.find("removed by another session"), std::string::npos);
}

TEST(pop3_session, shutdown_says_so_and_deletes_nothing) {
  auto r = run(with_login("DELE 1\r\nQUIT\r\n"), {}, true);
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "-ERR [SYS/TEMP]"}));
  EXPECT_TRUE(r.removed.empty());
}

TEST(pop3_session, overlong_sasl_response_ends_the_exchange) {
  auto r = run({"STLS\r\n", "AUTH PLAIN\r\n" + std::string(13000, 'A') + "\r\nCAPA\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "+OK", "TLS", "+", "-ERR", "+OK", "+OK"}));
  EXPECT_NE(r.out.find("-ERR Line too long"), std::string::npos);
}

TEST(pop3_session, errors_end_the_session) {
  core::limits limits;
  limits.errors = 3;
  auto r = run({"FOO\r\nBAR\r\nBAZ\r\nNOOP\r\n"}, {.limits = limits});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "-ERR", "-ERR", "-ERR"}));
  EXPECT_NE(r.out.find("Too many errors"), std::string::npos);
}

TEST(pop3_session, overlong_line_is_refused_and_session_continues) {
  auto r = run({"NOOP " + std::string(300, 'a') + "\r\nCAPA\r\nQUIT\r\n"});
  EXPECT_EQ(statuses(r.out), (strings{"+OK", "-ERR", "+OK", "+OK"}));
  // 253 octets plus CRLF is the longest line (RFC 2449 §4: 255 with the CRLF).
  auto edge = run({"USER " + std::string(248, 'a') + "\r\nUSER " + std::string(249, 'a') + "\r\nQUIT\r\n"},
                  {.loopback = true, .allow_plaintext = true});
  EXPECT_EQ(statuses(edge.out), (strings{"+OK", "+OK", "-ERR", "+OK"}));
}

TEST(pop3_session, message_sent_in_small_pieces_is_the_same) {
  const std::string script = "RETR 1\r\nRETR 2\r\nQUIT\r\n";
  const auto whole = run(with_login(script));
  const auto pieces = run(with_login(script), {.write_chunk = 1});
  EXPECT_EQ(whole.out, pieces.out);
}

const std::string session_script = "CAPA\r\nSTLS\r\n";
const std::string after_tls =
    "CAPA\r\nUSER alice@example.com\r\nPASS secret pass\r\nSTAT\r\nLIST\r\nUIDL 3\r\nRETR 1\r\nTOP 2 1\r\n"
    "DELE 2\r\nRSET\r\nDELE 3\r\nNOOP\r\nQUIT\r\n";

TEST(pop3_session, same_result_whatever_the_split) {
  const auto whole = run({session_script, after_tls});
  ASSERT_EQ(whole.removed.size(), 1u);
  for (std::size_t cut = 1; cut < after_tls.size(); ++cut) {
    auto r = run({session_script, after_tls.substr(0, cut), after_tls.substr(cut)});
    ASSERT_EQ(r.out, whole.out) << "cut at " << cut;
    ASSERT_EQ(r.removed, whole.removed) << "cut at " << cut;
  }
  std::deque<std::string> bytes;
  for (char c : session_script) bytes.emplace_back(1, c);
  for (char c : after_tls) bytes.emplace_back(1, c);
  auto r = run(bytes);
  EXPECT_EQ(r.out, whole.out);
  EXPECT_EQ(r.removed, whole.removed);
}

}  // namespace
}  // namespace letterhead::pop3::server
