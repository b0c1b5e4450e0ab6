// The PROXY protocol parser (core/proxy_protocol.hpp) and the CIDR matching that
// decides who may send it (core/ip_network.hpp). Expected values follow HAProxy's
// "The PROXY protocol, Versions 1 & 2", §2.1 (text) and §2.2 (binary).
#include "core/proxy_protocol.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/ip_network.hpp"

namespace letterhead::core {
namespace {

using namespace std::string_literals;

const std::string v2_sig = "\r\n\r\n\0\r\nQUIT\n"s;

std::string be16(unsigned v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xFF)}; }

// A v2 header: version/command byte, family/protocol byte, then `body`.
std::string v2(unsigned char ver_cmd, unsigned char fam, const std::string& body) {
  return v2_sig + static_cast<char>(ver_cmd) + static_cast<char>(fam) + be16(body.size()) + body;
}

const std::string inet_block = "\xC0\x00\x02\x07"s "\x0A\x00\x00\x01"s + be16(51234) + be16(25);

std::string text(const ip_address& a) {
  std::string s;
  for (std::size_t i = 0; i < (a.v6 ? 16u : 4u); ++i) s += std::to_string(a.bytes[i]) + ".";
  return s;
}

TEST(ProxyV1, Tcp4) {
  const std::string in = "PROXY TCP4 192.0.2.7 10.0.0.1 51234 25\r\nEHLO x\r\n";
  auto r = parse_proxy_header(in);
  ASSERT_TRUE(r && *r);
  const auto& h = **r;
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.size, in.find('\n') + 1);
  ASSERT_TRUE(h.source && h.destination);
  EXPECT_FALSE(h.source->address.v6);
  EXPECT_EQ(text(h.source->address), "192.0.2.7.");
  EXPECT_EQ(h.source->port, 51234);
  EXPECT_EQ(text(h.destination->address), "10.0.0.1.");
  EXPECT_EQ(h.destination->port, 25);
}

TEST(ProxyV1, Tcp6AndUnknown) {
  auto r = parse_proxy_header("PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n");
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->source->address.v6);
  EXPECT_EQ((*r)->source->address.bytes[0], 0x20);
  EXPECT_EQ((*r)->source->address.bytes[15], 1);
  EXPECT_EQ((*r)->source->port, 65535);

  for (std::string_view in : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"}) {
    auto u = parse_proxy_header(in);
    ASSERT_TRUE(u && *u) << in;
    EXPECT_FALSE((*u)->source);
    EXPECT_EQ((*u)->size, in.size());
  }
}

TEST(ProxyV1, NeedsMoreUntilTheLineEnds) {
  const std::string in = "PROXY TCP4 192.0.2.7 10.0.0.1 51234 25\r\n";
  for (std::size_t n = 0; n < in.size(); ++n) {
    auto r = parse_proxy_header(std::string_view(in).substr(0, n));
    ASSERT_TRUE(r) << n << ": " << r.error().message;
    EXPECT_FALSE(*r) << n;
  }
}

TEST(ProxyV1, RejectsMalformedLines) {
  for (std::string_view in : {
           "PROXY TCP4 192.0.2.7 10.0.0.1 51234 25\n",         // LF without CR
           "PROXY  TCP4 192.0.2.7 10.0.0.1 51234 25\r\n",      // two spaces
           "PROXY TCP4 192.0.2.7  10.0.0.1 51234 25\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 51234 25 \r\n",      // trailing space
           "PROXY TCP4 192.0.2.7 10.0.0.1 51234\r\n",          // a field missing
           "PROXY TCP4 192.0.2.7 10.0.0.1 51234 25 9\r\n",     // one too many
           "PROXY TCP4 192.0.2.256 10.0.0.1 1 2\r\n",          // not an address
           "PROXY TCP4 192.0.2.07 10.0.0.1 1 2\r\n",           // leading zero
           "PROXY TCP4 2001:db8::1 10.0.0.1 1 2\r\n",          // family mismatch
           "PROXY TCP6 192.0.2.7 10.0.0.1 1 2\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 65536 2\r\n",        // port range
           "PROXY TCP4 192.0.2.7 10.0.0.1 025 2\r\n",          // leading zero
           "PROXY TCP4 192.0.2.7 10.0.0.1 -1 2\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 +1 2\r\n",
           "PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n",
           "PROXY tcp4 192.0.2.7 10.0.0.1 1 2\r\n",            // case matters
           "PROXY TCP4 192.0.2.7\t10.0.0.1 1 2\r\n",
           "PROXY TCP4 192.0.2.7 10.0.0.1 1 2\r\r\n",
           "PROXY\r\n",
           "PROXY \r\n",
           "proxy TCP4 192.0.2.7 10.0.0.1 1 2\r\n",
           "EHLO example.org\r\n",
           "\x16\x03\x01\x02\x00",                              // a TLS ClientHello
       }) {
    auto r = parse_proxy_header(in);
    EXPECT_FALSE(r) << in;
  }
}

TEST(ProxyV1, LineLimitIs107Bytes) {
  // 107 bytes exactly is allowed (UNKNOWN ignores the rest of the line).
  std::string ok = "PROXY UNKNOWN " + std::string(107 - 16, 'x') + "\r\n";
  ASSERT_EQ(ok.size(), 107u);
  auto r = parse_proxy_header(ok);
  ASSERT_TRUE(r && *r);
  std::string too_long = "PROXY UNKNOWN " + std::string(107 - 15, 'x') + "\r\n";
  EXPECT_FALSE(parse_proxy_header(too_long));
  // Without a line end, 107 bytes is already too many.
  EXPECT_FALSE(parse_proxy_header(std::string_view(too_long).substr(0, 107)));
  EXPECT_TRUE(parse_proxy_header(std::string_view(too_long).substr(0, 106)));
}

TEST(ProxyV2, Inet) {
  const std::string in = v2(0x21, 0x11, inet_block) + "EHLO";
  for (std::size_t n = 0; n < in.size() - 4; ++n) {
    auto partial = parse_proxy_header(std::string_view(in).substr(0, n));
    ASSERT_TRUE(partial) << n;
    EXPECT_FALSE(*partial) << n;
  }
  auto r = parse_proxy_header(in);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->version, 2);
  EXPECT_EQ((*r)->size, 16u + 12u);
  EXPECT_EQ(text((*r)->source->address), "192.0.2.7.");
  EXPECT_EQ((*r)->source->port, 51234);
  EXPECT_EQ(text((*r)->destination->address), "10.0.0.1.");
  EXPECT_EQ((*r)->destination->port, 25);
}

TEST(ProxyV2, Inet6WithTlvs) {
  std::string block(32, '\0');
  block[0] = 0x20;
  block[1] = 0x01;
  block[15] = 0x09;
  block += be16(443) + be16(993);
  // PP2_TYPE_ALPN "imap", then a NOOP of length 0.
  block += "\x01"s + be16(4) + "imap" + "\x04"s + be16(0);
  auto r = parse_proxy_header(v2(0x21, 0x21, block));
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->source->address.v6);
  EXPECT_EQ((*r)->source->address.bytes[15], 9);
  EXPECT_EQ((*r)->source->port, 443);
  EXPECT_EQ((*r)->size, 16 + block.size());
}

TEST(ProxyV2, LocalAndOtherFamiliesUseRealEndpoints) {
  for (const auto& in : {v2(0x20, 0x00, ""), v2(0x20, 0x11, inet_block), v2(0x21, 0x00, ""),
                         v2(0x21, 0x31, std::string(216, 'u'))}) {
    auto r = parse_proxy_header(in);
    ASSERT_TRUE(r && *r);
    EXPECT_FALSE((*r)->source);
    EXPECT_EQ((*r)->size, in.size());
  }
}

TEST(ProxyV2, RejectsMalformedHeaders) {
  for (const auto& in : {
           v2(0x11, 0x11, inet_block),                              // version 1 in binary
           v2(0x31, 0x11, inet_block),                              // version 3
           v2(0x22, 0x11, inet_block),                              // command 2
           v2(0x21, 0x12, inet_block),                              // DGRAM
           v2(0x21, 0x10, inet_block),                              // transport UNSPEC
           v2(0x21, 0x41, inet_block),                              // family 4
           v2(0x21, 0x11, inet_block.substr(0, 11)),                // block too short
           v2(0x21, 0x21, inet_block),                              // INET6 needs 36
           v2(0x21, 0x11, inet_block + "\x01"s + be16(5) + "abc"),  // TLV overruns
           v2(0x21, 0x11, inet_block + "\x01\x00"s),                // TLV header cut
           "\r\n\r\n\0\r\nQUIT\r"s,                                 // signature off by one
       }) {
    EXPECT_FALSE(parse_proxy_header(in));
  }
}

TEST(ProxyV2, LengthIsBounded) {
  // The length field alone decides: no need to wait for 64 KiB to refuse it.
  const std::string head = v2_sig + "\x21\x11"s + be16(proxy_v2_max_size - 16 + 1);
  EXPECT_FALSE(parse_proxy_header(head));
  std::string big = inet_block + "\x04"s + be16(proxy_v2_max_size - 16 - 12 - 3);
  big.resize(proxy_v2_max_size - 16, 'n');
  auto r = parse_proxy_header(v2(0x21, 0x11, big));
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->size, proxy_v2_max_size);
}

TEST(IpNetwork, ParsesAndMatches) {
  auto n8 = parse_ip_network("10.0.0.0/8");
  ASSERT_TRUE(n8);
  EXPECT_TRUE(contains(*n8, *parse_ip_address("10.255.1.2")));
  EXPECT_FALSE(contains(*n8, *parse_ip_address("11.0.0.1")));
  EXPECT_FALSE(contains(*n8, *parse_ip_address("::a00:1")));
  // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6.
  EXPECT_TRUE(contains(*n8, *parse_ip_address("::ffff:10.1.2.3")));

  auto n = parse_ip_network("192.168.4.0/22");
  ASSERT_TRUE(n);
  EXPECT_TRUE(contains(*n, *parse_ip_address("192.168.7.255")));
  EXPECT_FALSE(contains(*n, *parse_ip_address("192.168.8.0")));

  auto host = parse_ip_network("127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->prefix, 32u);
  EXPECT_TRUE(contains(*host, *parse_ip_address("127.0.0.1")));
  EXPECT_FALSE(contains(*host, *parse_ip_address("127.0.0.2")));

  auto v6 = parse_ip_network("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(contains(*v6, *parse_ip_address("2001:db8:7fff::1")));
  EXPECT_FALSE(contains(*v6, *parse_ip_address("2001:db8:8000::1")));
  auto all = parse_ip_network("::/0");
  ASSERT_TRUE(all);
  EXPECT_TRUE(contains(*all, *parse_ip_address("::1")));
  EXPECT_FALSE(contains(*all, *parse_ip_address("127.0.0.1")));
}

TEST(IpNetwork, RejectsBadNetworks) {
  for (std::string_view in : {"10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                              "::1/129", "localhost", "", "10.0.0/8", "::ffff:10.0.0.0/104", "/8"}) {
    EXPECT_FALSE(parse_ip_network(in)) << in;
  }
}

}  // namespace
}  // namespace letterhead::core
