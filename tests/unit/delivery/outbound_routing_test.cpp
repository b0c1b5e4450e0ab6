#include "delivery/outbound/routing.hpp"

#include <map>

#include <gtest/gtest.h>

namespace letterhead::delivery::outbound {
namespace {

using smtp::client::outcome;

// A resolver answering from tables (STYLE.md: fake resolvers, not mocks).
class table_resolver final : public dns::resolver {
 public:
  std::map<std::string, dns::answer<dns::mx_record>> mx_table;
  std::map<std::string, dns::answer<std::string>> address_table;

  dns::answer<dns::mx_record> mx(std::string_view domain) override {
    auto it = mx_table.find(std::string(domain));
    if (it != mx_table.end()) return it->second;
    return {dns::status::nxdomain, false, {}, "NXDOMAIN"};
  }
  dns::answer<std::string> addresses(std::string_view host) override {
    auto it = address_table.find(std::string(host));
    if (it != address_table.end()) return it->second;
    return {dns::status::nxdomain, false, {}, "NXDOMAIN"};
  }
  dns::answer<std::string> txt(std::string_view) override { return {}; }
  dns::answer<dns::tlsa_record> tlsa(std::string_view) override { return {}; }
  dns::answer<std::string> ptr(std::string_view) override { return {}; }
};

TEST(OutboundRouting, DestinationIsTheLowerCasedDomain) {
  EXPECT_EQ(destination_of("Bob@B.Test"), "b.test");
  EXPECT_EQ(destination_of("\"a@b\"@c.test"), "c.test");
}

TEST(OutboundRouting, MxHostsInOrderWithTheConfiguredPort) {
  table_resolver r;
  r.mx_table["b.test"] = {dns::status::ok, false, {{10, "mx1.b.test"}, {20, "mx2.b.test"}}, ""};
  auto rt = mx_route(r, "b.test", 2525);
  ASSERT_FALSE(rt.failure);
  ASSERT_EQ(rt.hosts.size(), 2u);
  EXPECT_EQ(rt.hosts[0].name, "mx1.b.test");
  EXPECT_EQ(rt.hosts[1].port, 2525);
}

TEST(OutboundRouting, NullMxAndMissingDomainArePermanentDnsTroubleIsNot) {
  table_resolver r;
  r.mx_table["null.test"] = {dns::status::ok, false, {{0, ""}}, ""};
  r.mx_table["flaky.test"] = {dns::status::temporary, false, {}, "SERVFAIL"};
  auto null_mx = mx_route(r, "null.test", 25);
  ASSERT_TRUE(null_mx.failure);
  EXPECT_EQ(null_mx.failure->result, outcome::permanent);
  EXPECT_EQ(null_mx.failure->enhanced, "5.1.10");
  auto missing = mx_route(r, "missing.test", 25);
  ASSERT_TRUE(missing.failure);
  EXPECT_EQ(missing.failure->result, outcome::permanent);
  auto flaky = mx_route(r, "flaky.test", 25);
  ASSERT_TRUE(flaky.failure);
  EXPECT_EQ(flaky.failure->result, outcome::temporary);
}

TEST(OutboundRouting, AddressLiteralsAndRelay) {
  table_resolver r;
  auto lit = mx_route(r, "[127.0.0.1]", 2525);
  ASSERT_EQ(lit.hosts.size(), 1u);
  EXPECT_TRUE(lit.hosts[0].is_ip);
  EXPECT_EQ(host_addresses(&r, lit.hosts[0]).ips, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(mx_route(r, "[IPv6:::1]", 25).hosts.at(0).name, "::1");
  core::relay_config relay;
  relay.host = "smtp.example.net";
  auto rt = relay_route(relay);
  ASSERT_EQ(rt.hosts.size(), 1u);
  EXPECT_EQ(rt.hosts[0].port, 25);
  relay.host = "127.0.0.1:587";
  EXPECT_EQ(relay_route(relay).hosts.at(0).port, 587);
}

TEST(OutboundRouting, HostWithoutAddressIsPermanentForThatHost) {
  table_resolver r;
  r.address_table["mx.b.test"] = {dns::status::ok, false, {"192.0.2.1"}, ""};
  EXPECT_EQ(host_addresses(&r, mx_host{"mx.b.test", 25, false}).ips, std::vector<std::string>{"192.0.2.1"});
  auto none = host_addresses(&r, mx_host{"gone.b.test", 25, false});
  ASSERT_TRUE(none.failure);
  EXPECT_EQ(none.failure->result, outcome::permanent);
}

}  // namespace
}  // namespace letterhead::delivery::outbound
