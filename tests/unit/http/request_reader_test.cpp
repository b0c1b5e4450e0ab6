// The sans-I/O request reader: whole requests, every split point, pipelining, and
// each limit and framing rule (RFC 9112).
#include "http/request_reader.hpp"

#include <gtest/gtest.h>

namespace letterhead::http {
namespace {

struct outcome {
  read_state state = read_state::need_more;
  request req;
  unsigned status = 0;
  std::string rest;  // bytes left for the next request
  bool keep_alive = false;
  bool asked_continue = false;
};

// Feeds `wire` in pieces of `step` bytes (0 = all at once).
outcome read(const std::string& wire, std::size_t step = 0, reader_limits limits = {}) {
  request_reader r(limits);
  std::string buf;
  outcome o;
  std::size_t at = 0;
  const std::size_t n = step == 0 ? wire.size() : step;
  while (at < wire.size()) {
    buf.append(wire, at, n);
    at += n;
    o.state = r.feed(buf);
    if (r.take_continue()) o.asked_continue = true;
    if (o.state != read_state::need_more) break;
  }
  if (o.state == read_state::done) {
    o.req = r.take();
    o.keep_alive = r.keep_alive();
  } else if (o.state == read_state::error) {
    o.status = r.error_status();
  }
  o.rest = buf + wire.substr(std::min(at, wire.size()));
  return o;
}

const std::string get_thunderbird =
    "GET /mail/config-v1.1.xml?emailaddress=alice%40example.com&x=a+b HTTP/1.1\r\n"
    "Host: autoconfig.example.com\r\nUser-Agent: Thunderbird\r\nAccept: */*\r\n\r\n";

TEST(request_reader, simple_get) {
  auto o = read(get_thunderbird);
  ASSERT_EQ(o.state, read_state::done);
  EXPECT_EQ(o.req.method, "GET");
  EXPECT_EQ(o.req.target, "/mail/config-v1.1.xml?emailaddress=alice%40example.com&x=a+b");
  EXPECT_EQ(o.req.path, "/mail/config-v1.1.xml");
  EXPECT_EQ(o.req.query_param("emailaddress").value_or(""), "alice@example.com");
  EXPECT_EQ(o.req.query_param("x").value_or(""), "a b");
  EXPECT_EQ(o.req.header("host").value_or(""), "autoconfig.example.com");
  EXPECT_EQ(o.req.headers.size(), 3u);
  EXPECT_EQ(o.req.version, 11u);
  EXPECT_TRUE(o.keep_alive);
  EXPECT_EQ(o.rest, "");
}

TEST(request_reader, split_at_every_byte_gives_the_same_request) {
  const std::string post =
      "POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n"
      "Content-Type: text/xml\r\n\r\nhello world";
  for (const auto& wire : {get_thunderbird, post}) {
    const auto whole = read(wire);
    ASSERT_EQ(whole.state, read_state::done);
    for (std::size_t split = 1; split < wire.size(); ++split) {
      request_reader r({});
      std::string buf = wire.substr(0, split);
      auto s = r.feed(buf);
      ASSERT_EQ(s, read_state::need_more) << "split " << split;
      buf += wire.substr(split);
      s = r.feed(buf);
      ASSERT_EQ(s, read_state::done) << "split " << split;
      auto req = r.take();
      EXPECT_EQ(req.method, whole.req.method);
      EXPECT_EQ(req.target, whole.req.target);
      EXPECT_EQ(req.body, whole.req.body);
      EXPECT_EQ(req.headers.size(), whole.req.headers.size());
      EXPECT_TRUE(buf.empty());
    }
    const auto bytewise = read(wire, 1);
    ASSERT_EQ(bytewise.state, read_state::done);
    EXPECT_EQ(bytewise.req.body, whole.req.body);
  }
  EXPECT_EQ(read(post).req.body, "hello world");
}

TEST(request_reader, pipelined_requests_stay_in_the_buffer) {
  const std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  request_reader r({});
  std::string buf = two;
  ASSERT_EQ(r.feed(buf), read_state::done);
  EXPECT_EQ(r.take().path, "/a");
  EXPECT_TRUE(r.keep_alive());
  EXPECT_EQ(buf, two.substr(two.find("GET /b")));
  r.reset();
  ASSERT_EQ(r.feed(buf), read_state::done);
  EXPECT_EQ(r.take().path, "/b");
  EXPECT_FALSE(r.keep_alive());
  EXPECT_TRUE(buf.empty());
}

TEST(request_reader, header_limit_is_431_at_any_split) {
  const std::string big = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(read(big).status, 431u);
  EXPECT_EQ(read(big, 1).status, 431u);
  EXPECT_EQ(read(big, 977).status, 431u);
  // Never ends its header: still refused once the limit is passed.
  const std::string endless = "GET / HTTP/1.1\r\nHost: h\r\n" + std::string(17000, 'b');
  EXPECT_EQ(read(endless, 100).status, 431u);
  // Just under the limit is fine.
  reader_limits small{1024, 1024};
  const std::string fits = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(900, 'c') + "\r\n\r\n";
  EXPECT_EQ(read(fits, 0, small).state, read_state::done);
}

TEST(request_reader, body_limit_is_413_before_the_body) {
  reader_limits l{16 * 1024, 1000};
  auto o = read("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n", 0, l);
  EXPECT_EQ(o.status, 413u);
  auto ok = read("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'x'), 7, l);
  EXPECT_EQ(ok.state, read_state::done);
  EXPECT_EQ(ok.req.body.size(), 1000u);
  // RFC 9110 §15.5.12: bodies need a Content-Length; chunked ones are refused at the
  // header, before any chunk is parsed (even a malformed one, fed a byte at a time).
  const std::string chunked =
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\x0c\n";
  EXPECT_EQ(read(chunked).status, 411u);
  EXPECT_EQ(read(chunked, 1).status, 411u);
}

TEST(request_reader, framing_and_syntax_errors) {
  // RFC 9112 §6.3: both framings at once.
  EXPECT_EQ(read("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "0\r\n\r\n").status, 400u);
  EXPECT_EQ(read("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!").status,
            400u);
  // RFC 9112 §3.2: Host is required in HTTP/1.1, and only one.
  EXPECT_EQ(read("GET / HTTP/1.1\r\n\r\n").status, 400u);
  EXPECT_EQ(read("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status, 400u);
  auto old = read("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(old.state, read_state::done);
  EXPECT_EQ(old.req.version, 10u);
  EXPECT_FALSE(old.keep_alive);
  EXPECT_TRUE(read("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  EXPECT_EQ(read("GET / HTTP/2.0\r\nHost: h\r\n\r\n").status, 505u);
  EXPECT_EQ(read("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n").status, 501u);
  EXPECT_EQ(read("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n").status, 400u);
  EXPECT_EQ(read("GET / HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n").status, 400u);
  EXPECT_EQ(read("\x01\x02\x03 junk\r\n\r\n").status, 400u);
  EXPECT_EQ(read("GET /%00 HTTP/1.1\r\nHost: h\r\n\r\n").status, 400u);
}

TEST(request_reader, expect_continue_only_while_the_body_is_pending) {
  auto o = read("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", 0);
  EXPECT_EQ(o.state, read_state::need_more);
  EXPECT_TRUE(o.asked_continue);
  auto whole = read("POST /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(whole.state, read_state::done);
  EXPECT_FALSE(whole.asked_continue);
}

TEST(request_reader, peer_closing_mid_request) {
  request_reader r({});
  EXPECT_EQ(r.finish(), read_state::need_more);  // nothing started: a clean end
  std::string buf = "GET / HTTP/1.1\r\nHo";
  EXPECT_EQ(r.feed(buf), read_state::need_more);
  EXPECT_TRUE(r.started());
  EXPECT_EQ(r.finish(), read_state::error);
  EXPECT_EQ(r.error_status(), 400u);
}

TEST(request_reader, targets) {
  request req;
  ASSERT_TRUE(parse_target("/a/./b/../c?x=1&y=%E4%B8%AD&z", req));
  EXPECT_EQ(req.path, "/a/c");
  ASSERT_EQ(req.query.size(), 3u);
  EXPECT_EQ(req.query[1].second, "中");
  EXPECT_EQ(req.query[2].first, "z");
  ASSERT_TRUE(parse_target("/../../metrics", req));
  EXPECT_EQ(req.path, "/metrics");
  ASSERT_TRUE(parse_target("http://mail.example.com:8080/healthz?a=b", req));
  EXPECT_EQ(req.path, "/healthz");
  EXPECT_EQ(req.query_param("a").value_or(""), "b");
  ASSERT_TRUE(parse_target("http://mail.example.com", req));
  EXPECT_EQ(req.path, "/");
  ASSERT_TRUE(parse_target("/%41%2fb", req));
  EXPECT_EQ(req.path, "/A/b");
  ASSERT_TRUE(parse_target("*", req));
  EXPECT_EQ(req.path, "*");
  EXPECT_FALSE(parse_target("/a%zz", req));
  EXPECT_FALSE(parse_target("nonsense", req));
}

}  // namespace
}  // namespace letterhead::http
