// The SMTP client against a scripted server on loopback: real sockets, canned
// replies, and a record of what the client said.
#include "smtp/client/client.hpp"

#include <charconv>
#include <functional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "core/tls.hpp"

namespace letterhead::smtp::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class script_server {
 public:
  explicit script_server(asio::io_context& io) : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io, serve(), asio::detached);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  std::string greeting = "220 test ESMTP\r\n";
  // The reply to a command line ("DATA" included); "." is asked for the reply after
  // a DATA body or the LAST BDAT chunk. "" = say nothing (hang).
  std::function<std::string(const std::string&)> respond;
  std::vector<std::string> lines;
  std::vector<std::string> bodies;
  int connections = 0;

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(acceptor_.get_executor());
      co_await acceptor_.async_accept(s, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      ++connections;
      co_await session(std::move(s));
    }
  }

  asio::awaitable<void> session(tcp::socket s) {
    boost::system::error_code ec;
    std::string buf;
    auto say = [&](std::string text) -> asio::awaitable<void> {
      if (!text.empty()) co_await asio::async_write(s, asio::buffer(text), asio::redirect_error(asio::use_awaitable, ec));
    };
    co_await say(greeting);
    std::string body;
    for (;;) {
      const auto n = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n",
                                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const std::string line = buf.substr(0, n - 2);
      buf.erase(0, n);
      lines.push_back(line);
      if (line.starts_with("BDAT ")) {
        std::size_t size = 0;
        std::from_chars(line.data() + 5, line.data() + line.size(), size);
        if (buf.size() < size) {
          co_await asio::async_read(s, asio::dynamic_buffer(buf), asio::transfer_exactly(size - buf.size()),
                                    asio::redirect_error(asio::use_awaitable, ec));
        }
        body += buf.substr(0, size);
        buf.erase(0, size);
        if (line.ends_with(" LAST")) {
          bodies.push_back(std::exchange(body, {}));
          co_await say(respond("."));
        } else {
          co_await say("250 2.0.0 chunk ok\r\n");
        }
        continue;
      }
      const std::string answer = respond(line);
      co_await say(answer);
      if (line == "DATA" && answer.starts_with("354")) {
        const auto end = co_await asio::async_read_until(s, asio::dynamic_buffer(buf), "\r\n.\r\n",
                                                         asio::redirect_error(asio::use_awaitable, ec));
        if (ec) co_return;
        bodies.push_back(buf.substr(0, end));
        buf.erase(0, end);
        co_await say(respond("."));
      }
      if (line == "QUIT") co_return;
    }
  }

  tcp::acceptor acceptor_;
};

std::string standard(const std::string& line) {
  if (line.starts_with("EHLO")) return "250-test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 100000\r\n";
  if (line == "DATA") return "354 go\r\n";
  if (line == ".") return "250 2.0.0 queued\r\n";
  if (line == "QUIT") return "221 bye\r\n";
  return "250 2.0.0 ok\r\n";
}

options test_options() {
  options o;
  o.helo_name = "client.example";
  o.server_name = "mx.test";
  o.tls = tls_mode::none;
  o.timeouts.greeting = std::chrono::seconds(1);
  o.timeouts.command = std::chrono::seconds(1);
  o.timeouts.data_end = std::chrono::seconds(1);
  return o;
}

envelope to(std::vector<std::string> rcpts) {
  envelope e;
  e.mail_from = "alice@example.com";
  for (auto& r : rcpts) e.recipients.push_back(recipient{std::move(r), "", ""});
  return e;
}

// Runs `body` as a coroutine with a session opened to `server`, then stops the loop.
struct harness {
  asio::io_context io;
  script_server server{io};
  std::shared_ptr<asio::ssl::context> tls = *core::make_client_tls_context();

  void run(std::function<asio::awaitable<void>(std::expected<std::unique_ptr<session>, status>)> body,
           options o = test_options()) {
    auto main = [](harness* h, options o,
                   std::function<asio::awaitable<void>(std::expected<std::unique_ptr<session>, status>)> body)
        -> asio::awaitable<void> {
      auto s = co_await session::open(h->io.get_executor(), h->tls, "127.0.0.1", h->server.port(), std::move(o));
      co_await body(std::move(s));
      h->io.stop();
    };
    asio::co_spawn(io, main(this, std::move(o), std::move(body)), asio::detached);
    io.run_for(std::chrono::seconds(20));
  }
};

TEST(ClientSession, PipelinedTransactionWithOneRecipientRefused) {
  harness h;
  h.server.respond = [](const std::string& line) -> std::string {
    if (line.starts_with("RCPT TO:<nobody@")) return "550 5.1.1 no such user\r\n";
    return standard(line);
  };
  transaction_result res;
  const std::string message = "Subject: hi\r\n\r\n.leading dot\r\nbye\r\n";
  h.run([&](auto s) -> asio::awaitable<void> {
    EXPECT_TRUE(s) << (s ? "" : s.error().describe());
    if (!s) co_return;
    res = co_await (*s)->send(to({"a@b.test", "nobody@b.test", "c@b.test"}), message);
    co_await (*s)->quit();
  });
  ASSERT_EQ(res.recipients.size(), 3u);
  EXPECT_EQ(res.recipients[0].result, outcome::delivered);
  EXPECT_EQ(res.recipients[1].result, outcome::permanent);
  EXPECT_EQ(res.recipients[1].describe(), "550 5.1.1 no such user");
  EXPECT_EQ(res.recipients[2].result, outcome::delivered);
  EXPECT_EQ(res.recipients[2].code, 250);
  ASSERT_EQ(h.server.bodies.size(), 1u);
  EXPECT_EQ(h.server.bodies[0], "Subject: hi\r\n\r\n..leading dot\r\nbye\r\n.\r\n");
  // SIZE was announced, so MAIL declares it (RFC 1870); 7-bit: no BODY=.
  EXPECT_EQ(h.server.lines[1], "MAIL FROM:<alice@example.com> SIZE=" + std::to_string(message.size()));
}

TEST(ClientSession, HeloFallbackAndNo8BitWithout8BitMime) {
  harness h;
  h.server.respond = [](const std::string& line) -> std::string {
    if (line.starts_with("EHLO")) return "502 5.5.1 what?\r\n";
    if (line.starts_with("HELO")) return "250 old.test\r\n";
    return standard(line);
  };
  transaction_result seven, eight;
  h.run([&](auto s) -> asio::awaitable<void> {
    EXPECT_TRUE(s);
    if (!s) co_return;
    EXPECT_FALSE((*s)->esmtp());
    eight = co_await (*s)->send(to({"a@b.test"}), "Subject: x\r\n\r\n\xe4\xbd\xa0\r\n");
    seven = co_await (*s)->send(to({"a@b.test"}), "Subject: x\r\n\r\nplain\r\n");
    co_await (*s)->quit();
  });
  EXPECT_EQ(eight.recipients.at(0).result, outcome::permanent);
  EXPECT_EQ(eight.recipients.at(0).enhanced, "5.6.3");
  EXPECT_TRUE(eight.reusable);
  EXPECT_EQ(seven.recipients.at(0).result, outcome::delivered);
  EXPECT_EQ(h.server.bodies.size(), 1u);
  EXPECT_EQ(std::count(h.server.lines.begin(), h.server.lines.end(), "MAIL FROM:<alice@example.com>"), 1);
}

TEST(ClientSession, ReplyWithTooManyLinesEndsTheSession) {
  harness h;
  h.server.respond = [](const std::string& line) -> std::string {
    if (line.starts_with("EHLO")) {
      std::string flood;
      for (int i = 0; i < 500; ++i) flood += "250-X-JUNK\r\n";
      return flood + "250 OK\r\n";
    }
    return standard(line);
  };
  h.run([&](auto s) -> asio::awaitable<void> {
    EXPECT_FALSE(s);
    if (!s) EXPECT_EQ(s.error().result, outcome::temporary);
    co_return;
  });
}

TEST(ClientSession, SilentServerTimesOut) {
  harness h;
  h.server.greeting = "";
  h.server.respond = standard;
  const auto start = std::chrono::steady_clock::now();
  h.run([&](auto s) -> asio::awaitable<void> {
    EXPECT_FALSE(s);
    if (!s) {
      EXPECT_EQ(s.error().result, outcome::temporary);
      EXPECT_NE(s.error().text.find("greeting"), std::string::npos) << s.error().text;
    }
    co_return;
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(ClientSession, ChunkingSendsBdatAndReusesTheConnection) {
  harness h;
  h.server.respond = [](const std::string& line) -> std::string {
    if (line.starts_with("EHLO")) return "250-test\r\n250-CHUNKING\r\n250-DSN\r\n250 8BITMIME\r\n";
    if (line.starts_with("RCPT TO:<gone@")) return "550 5.1.1 gone\r\n";
    return standard(line);
  };
  options o = test_options();
  o.chunk_size = 10;
  const std::string message = "Subject: chunks\r\n\r\n.dots stay as they are\r\n\xc3\xa9\r\n";
  transaction_result first, refused, second;
  h.run(
      [&](auto s) -> asio::awaitable<void> {
        EXPECT_TRUE(s);
        if (!s) co_return;
        envelope env = to({"a@b.test"});
        env.dsn_envid = "id+1";
        env.dsn_ret = "HDRS";
        env.recipients[0].notify = "SUCCESS,FAILURE";
        env.recipients[0].orcpt = "rfc822;a=b@b.test";
        first = co_await (*s)->send(env, message);
        refused = co_await (*s)->send(to({"gone@b.test"}), message);
        second = co_await (*s)->send(to({"c@b.test"}), "x\r\n");
        co_await (*s)->quit();
      },
      o);
  EXPECT_EQ(first.recipients.at(0).result, outcome::delivered);
  EXPECT_EQ(refused.recipients.at(0).result, outcome::permanent);
  EXPECT_TRUE(refused.reusable);
  EXPECT_EQ(second.recipients.at(0).result, outcome::delivered);
  EXPECT_EQ(h.server.connections, 1);
  ASSERT_EQ(h.server.bodies.size(), 2u);
  EXPECT_EQ(h.server.bodies[0], message);  // BDAT: no dot-stuffing
  const auto& l = h.server.lines;
  EXPECT_NE(std::find(l.begin(), l.end(), "MAIL FROM:<alice@example.com> BODY=8BITMIME RET=HDRS ENVID=id+2B1"), l.end());
  EXPECT_NE(std::find(l.begin(), l.end(), "RCPT TO:<a@b.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a+3Db@b.test"),
            l.end());
  // After the refused transaction the client cleared it.
  EXPECT_NE(std::find(l.begin(), l.end(), "RSET"), l.end());
}

}  // namespace
}  // namespace letterhead::smtp::client
