// SMTP load generator: N concurrent sessions on one connection each, sending
// messages of a given size to one recipient until a total is reached. Reports
// messages/s accepted (250 after DATA) and the latency of that final reply.
// Plain TCP to an MX port: what is measured is the server's accept-and-store path;
// --starttls upgrades each session with STARTTLS (RFC 3207) first, as a sending MTA
// that finds it offered does, so that both sides of a comparison pay for the same TLS.
//
//   smtp_load --port 2525 --sessions 20 --messages 5000 --size 20480 --rcpt alice@example.com
//
// --vary gives every message its own header (Message-ID, Date, From, a Subject with a
// number, every tenth a reply to the one before it, every 1000th with "needle" in its
// Subject), so that no two messages share a blob: what an IMAP benchmark must have, as
// identical messages would be stored once.
// --attach-every N (with --vary) makes every Nth message multipart/mixed: its text and
// a base64 PDF-like attachment of bytes of its own (a third of --size), the share of
// business mail that carries a file.
// --auth USER:PASSWORD logs in with AUTH PLAIN (RFC 4954) after EHLO, for a submission
// port that allows it without TLS on loopback (`[smtp] allow_plaintext_auth_on_loopback`).
// --users U spreads the mail over U accounts: --rcpt is then a pattern whose "{}" is
// the account number (user{}@example.com: user0 .. user{U-1}); one recipient each.
// --mix (with --users) draws each message from a business-mail mix, the same for a
// given --seed whichever server is measured: a size from a log-normal law of median
// 20 KB clamped to 2 KB .. 2 MB (sigma 1.5: a tenth over 140 KB), and 1 + 49*u^6
// recipients (u uniform; half the messages have one, the mean is about 7.5, at most
// 50 or U), distinct accounts in a row from a random start. Every message has its own
// Message-ID, so no two are identical.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numbers>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "smtp/proto/base64.hpp"
#include "smtp/proto/reply.hpp"

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 25;
  unsigned sessions = 20;
  unsigned messages = 2000;
  std::size_t size = 20 * 1024;
  std::string rcpt = "alice@example.com";
  std::string from = "load@bench.example";
  bool vary = false;
  unsigned attach_every = 0;  // 0: never
  std::string auth;           // "user:password", empty: no AUTH
  unsigned users = 0;         // 0: --rcpt is one address
  bool mix = false;
  std::uint64_t seed = 1;
  bool starttls = false;
};

struct shared_state {
  std::atomic<unsigned> next{0};
  std::atomic<unsigned> accepted{0};
  std::atomic<unsigned> failed{0};
  std::uint64_t recipients = 0;  // accepted RCPTs of accepted messages
  std::uint64_t bytes = 0;       // DATA bytes of accepted messages
  std::vector<double> latencies_ms;  // guarded by being single-threaded (one io thread)
};

constexpr std::string_view line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghij\r\n";

std::string make_message(std::size_t size, const std::string& from, const std::string& rcpt) {
  std::string m = fmt::format("From: {}\r\nTo: {}\r\nSubject: bench\r\n\r\n", from, rcpt);
  while (m.size() + line.size() < size) m += line;
  return m;
}

// Message number n's own header, then the shared body (from `body`, past its header).
std::string varied_message(const std::string& body, unsigned n, unsigned attach_every) {
  static constexpr const char* days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  const auto text = body.substr(body.find("\r\n\r\n") + 4);
  std::string h = fmt::format("From: Sender {0} <sender{0}@bench.example>\r\nTo: alice@example.com\r\n", n % 50);
  h += fmt::format("Date: {}, {} Nov 2026 {:02}:{:02}:{:02} +0800\r\n", days[n % 7], 1 + n % 28, n / 3600 % 24,
                   n / 60 % 60, n % 60);
  h += fmt::format("Message-ID: <{}.bench@bench.example>\r\n", n);
  const bool reply = n % 10 != 0;
  if (reply) h += fmt::format("In-Reply-To: <{}.bench@bench.example>\r\n", n - 1);
  h += fmt::format("Subject: {}bench message {} of topic {}{}\r\n", reply ? "Re: " : "", n / 10, n / 10 % 97,
                   n % 1000 == 0 ? " needle" : "");
  if (attach_every == 0 || n % attach_every != 0) return h + "\r\n" + text;
  // Bytes of this message's own (an xorshift stream seeded by n), base64 in 76-column
  // lines (RFC 2045 §6.8), in place of the last third of the text: whole 4-character
  // groups, as every encoder writes them (a lone last character is malformed).
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::uint64_t x = 0x9e3779b97f4a7c15ull ^ (n + 1);
  std::string file;
  const std::size_t encoded = text.size() / 3 / 4 * 4;
  for (std::size_t i = 0; i < encoded; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    file += alphabet[x & 63];
    if (i % 76 == 75) file += "\r\n";
  }
  const std::string boundary = fmt::format("=_bench_{}", n);
  h += fmt::format("MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", boundary);
  h += fmt::format("--{}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n", boundary);
  h += text.substr(0, text.size() - encoded);
  h += fmt::format("\r\n--{}\r\nContent-Type: application/pdf; name=\"report-{}.pdf\"\r\n"
                   "Content-Disposition: attachment; filename=\"report-{}.pdf\"\r\n"
                   "Content-Transfer-Encoding: base64\r\n\r\n",
                   boundary, n, n);
  return h + file + fmt::format("\r\n--{}--\r\n", boundary);
}

// splitmix64: a reproducible stream per message number, independent of the order in
// which sessions pick messages.
struct rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

std::string account(const options& o, unsigned k) {
  std::string a = o.rcpt;
  if (const auto at = a.find("{}"); at != std::string::npos) a.replace(at, 2, std::to_string(k));
  return a;
}

struct message_plan {
  std::vector<std::string> rcpts;
  std::string data;  // the message, dot-stuffing free, ending in ".\r\n"
};

// Message n of the --mix workload; `filler` holds 2 MB of text lines to cut from.
message_plan mixed_message(const options& o, unsigned n, const std::string& filler) {
  rng r{o.seed * 0x100000001b3ull + n};
  // Box-Muller: one standard normal from two uniforms.
  const double u1 = 1.0 - r.uniform(), u2 = r.uniform();
  const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * std::numbers::pi * u2);
  const auto size = static_cast<std::size_t>(std::clamp(20480.0 * std::exp(1.5 * normal), 2048.0, 2097152.0));
  const auto count = std::min<unsigned>({o.users, 50u, 1u + static_cast<unsigned>(49 * std::pow(r.uniform(), 6))});
  const auto first = static_cast<unsigned>(r.next() % o.users);
  message_plan p;
  for (unsigned i = 0; i < count; ++i) p.rcpts.push_back(account(o, (first + i) % o.users));
  p.data = fmt::format("From: Sender {0} <sender{0}@bench.example>\r\nTo: {1}\r\nDate: Sun, 29 Nov 2026 12:00:00 +0000\r\n"
                       "Message-ID: <{2}.{3}.mix@bench.example>\r\nSubject: bench mix message {2}\r\n\r\n",
                       n % 50, p.rcpts.front(), n, o.seed);
  // Cut at a line end of the filler.
  const auto body = std::max(size > p.data.size() ? size - p.data.size() : 0, line.size());
  p.data += filler.substr(0, body - body % line.size());
  p.data += ".\r\n";
  return p;
}

template <class Stream>
asio::awaitable<letterhead::smtp::proto::reply> read_reply(Stream& s, letterhead::smtp::proto::reply_reader& r) {
  char buf[4096];
  for (;;) {
    auto next = r.next();
    if (!next) throw std::runtime_error("bad reply: " + next.error().message);
    if (*next) co_return std::move(**next);
    const auto n = co_await s.async_read_some(asio::buffer(buf), asio::use_awaitable);
    r.feed(std::string_view(buf, n));
  }
}

// After the greeting (and, with TLS, the second EHLO): AUTH if asked, then messages
// until the shared count runs out, then QUIT.
template <class Stream>
asio::awaitable<void> converse(Stream& s, letterhead::smtp::proto::reply_reader& rr, const options& o,
                               shared_state& st, const std::string& body, const std::string& filler) {
  if (const auto colon = o.auth.find(':'); colon != std::string::npos) {
    // RFC 4616: authzid NUL authcid NUL passwd.
    const auto plain = std::string(1, '\0') + o.auth.substr(0, colon) + '\0' + o.auth.substr(colon + 1);
    const auto command = "AUTH PLAIN " + letterhead::smtp::proto::base64_encode(plain) + "\r\n";
    co_await asio::async_write(s, asio::buffer(command), asio::use_awaitable);
    if (auto r = co_await read_reply(s, rr); r.code != 235) throw std::runtime_error(fmt::format("AUTH: {}", r.code));
  }
  message_plan plan{{o.rcpt}, body + ".\r\n"};
  for (;;) {
    const unsigned n = st.next.fetch_add(1);
    if (n >= o.messages) break;
    if (o.mix) {
      plan = mixed_message(o, n, filler);
    } else {
      if (o.users > 0) plan.rcpts = {account(o, n % o.users)};
      if (o.vary) plan.data = varied_message(body, n, o.attach_every) + ".\r\n";
    }
    std::string envelope = fmt::format("MAIL FROM:<{}>\r\n", o.from);
    for (const auto& rcpt : plan.rcpts) envelope += fmt::format("RCPT TO:<{}>\r\n", rcpt);
    envelope += "DATA\r\n";
    const auto start = clock_type::now();
    // RFC 2920 pipelining: the envelope in one write.
    co_await asio::async_write(s, asio::buffer(envelope), asio::use_awaitable);
    auto mail = co_await read_reply(s, rr);
    unsigned rcpts_ok = 0;
    for (std::size_t i = 0; i < plan.rcpts.size(); ++i) {
      if ((co_await read_reply(s, rr)).code == 250) ++rcpts_ok;
    }
    auto go = co_await read_reply(s, rr);
    if (go.code == 354 && (mail.code != 250 || rcpts_ok == 0)) {
      // RFC 2920 §3.1: a server may answer DATA with 354 even after every RCPT
      // failed; end the empty message so the reply it gets is the one to discard.
      co_await asio::async_write(s, asio::buffer(std::string(".\r\n")), asio::use_awaitable);
      (void)co_await read_reply(s, rr);
    }
    if (mail.code != 250 || rcpts_ok == 0 || go.code != 354) {
      ++st.failed;
      co_await asio::async_write(s, asio::buffer(std::string("RSET\r\n")), asio::use_awaitable);
      (void)co_await read_reply(s, rr);
      continue;
    }
    co_await asio::async_write(s, asio::buffer(plan.data), asio::use_awaitable);
    auto done = co_await read_reply(s, rr);
    const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
    if (done.code == 250) {
      ++st.accepted;
      st.recipients += rcpts_ok;
      st.bytes += plan.data.size() - 3;
      st.latencies_ms.push_back(ms);
    } else {
      ++st.failed;
    }
  }
  co_await asio::async_write(s, asio::buffer(std::string("QUIT\r\n")), asio::use_awaitable);
}

asio::awaitable<void> session(const options& o, shared_state& st, const std::string& body, const std::string& filler,
                              ssl::context& tls) {
  try {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    tcp::socket s(ex);
    co_await asio::async_connect(s, co_await resolver.async_resolve(o.host, std::to_string(o.port), asio::use_awaitable),
                                 asio::use_awaitable);
    s.set_option(tcp::no_delay(true));
    letterhead::smtp::proto::reply_reader rr;
    (void)co_await read_reply(s, rr);
    co_await asio::async_write(s, asio::buffer(std::string("EHLO bench.example\r\n")), asio::use_awaitable);
    (void)co_await read_reply(s, rr);
    if (!o.starttls) {
      co_await converse(s, rr, o, st, body, filler);
      co_return;
    }
    co_await asio::async_write(s, asio::buffer(std::string("STARTTLS\r\n")), asio::use_awaitable);
    if (auto r = co_await read_reply(s, rr); r.code != 220) throw std::runtime_error(fmt::format("STARTTLS: {}", r.code));
    ssl::stream<tcp::socket> t(std::move(s), tls);
    co_await t.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    // RFC 3207 §4.2: the client forgets what it knew and says EHLO again.
    letterhead::smtp::proto::reply_reader fresh;
    co_await asio::async_write(t, asio::buffer(std::string("EHLO bench.example\r\n")), asio::use_awaitable);
    (void)co_await read_reply(t, fresh);
    co_await converse(t, fresh, o, st, body, filler);
  } catch (const std::exception& e) {
    ++st.failed;
    std::fprintf(stderr, "session error: %s\n", e.what());
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"SMTP load generator"};
  app.add_option("--host", o.host);
  app.add_option("--port", o.port)->required();
  app.add_option("--sessions", o.sessions);
  app.add_option("--messages", o.messages);
  app.add_option("--size", o.size);
  app.add_option("--rcpt", o.rcpt);
  app.add_option("--from", o.from);
  app.add_flag("--vary", o.vary, "a distinct header per message");
  app.add_option("--attach-every", o.attach_every, "with --vary: every Nth message has an attachment");
  app.add_option("--auth", o.auth, "USER:PASSWORD for AUTH PLAIN after EHLO");
  app.add_option("--users", o.users, "spread over this many accounts: {} in --rcpt is the number");
  app.add_flag("--mix", o.mix, "with --users: sizes 2 KB..2 MB (median 20 KB), 1..50 recipients");
  app.add_option("--seed", o.seed, "the --mix sequence");
  app.add_flag("--starttls", o.starttls, "STARTTLS after EHLO (the certificate is not verified: loopback)");
  CLI11_PARSE(app, argc, argv);
  if (o.mix && o.users == 0) {
    std::fprintf(stderr, "--mix needs --users\n");
    return 2;
  }

  const std::string body = make_message(o.size, o.from, o.rcpt);
  std::string filler;
  if (o.mix) {
    const auto text = make_message(2097152 + 200, o.from, o.rcpt);
    filler = text.substr(text.find("\r\n\r\n") + 4);
  }
  asio::io_context io(1);
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  shared_state st;
  const auto start = clock_type::now();
  for (unsigned i = 0; i < o.sessions; ++i) asio::co_spawn(io, session(o, st, body, filler, tls), asio::detached);
  io.run();
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf(
      "sessions=%u tls=%s size=%zu accepted=%u failed=%u seconds=%.2f msgs_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
      "recipients=%llu bytes=%llu\n",
      o.sessions, o.starttls ? "starttls" : "no", o.mix ? std::size_t{0} : body.size(), st.accepted.load(), st.failed.load(), secs, st.accepted / secs,
      percentile(st.latencies_ms, 0.50), percentile(st.latencies_ms, 0.99),
      static_cast<unsigned long long>(st.recipients), static_cast<unsigned long long>(st.bytes));
  return st.failed == 0 ? 0 : 1;
}
