// [proxy]: which listeners take a PROXY header and from whom.
#include <gtest/gtest.h>

#include "core/config.hpp"

namespace letterhead::core {
namespace {

TEST(ConfigProxy, OffByDefault) {
  auto c = parse_config("", "t.toml");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->proxy.listeners.empty());
  EXPECT_TRUE(c->proxy.trusted.empty());
  EXPECT_EQ(c->proxy.timeout, std::chrono::seconds(10));
}

TEST(ConfigProxy, ListenersAndNetworks) {
  auto c = parse_config(R"(
[proxy]
listeners = ["smtp", "imaps"]
trusted = ["127.0.0.1/32", "10.0.0.0/8", "2001:db8::/32"]
timeout = "5s"
)", "t.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->proxy.listeners, (std::vector<std::string>{"smtp", "imaps"}));
  EXPECT_EQ(c->proxy.trusted.size(), 3u);
  EXPECT_EQ(c->proxy.timeout, std::chrono::seconds(5));
}

TEST(ConfigProxy, ErrorsNameTheKey) {
  for (const char* text : {
           "[proxy]\nlisteners = [\"smpt\"]\ntrusted = [\"10.0.0.0/8\"]\n",
           "[proxy]\nlisteners = [\"smtp\"]\ntrusted = [\"10.0.0.1/8\"]\n",
           "[proxy]\nlisteners = [\"smtp\"]\ntrusted = [\"proxy.example\"]\n",
           "[proxy]\nlisteners = [\"smtp\"]\n",
           "[proxy]\ntrusted = \"10.0.0.0/8\"\n",
           "[proxy]\ntrused = [\"10.0.0.0/8\"]\n",
       }) {
    auto c = parse_config(text, "t.toml");
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find("proxy."), std::string::npos) << c.error().message;
  }
}

}  // namespace
}  // namespace letterhead::core
