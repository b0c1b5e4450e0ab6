// The router: exact and prefix matches, 404 and 405 with Allow, HEAD through GET.
#include "http/router.hpp"

#include <gtest/gtest.h>

namespace letterhead::http {
namespace {

handler answer(std::string text) {
  return [text](const request&) {
    response r;
    r.body = text;
    return r;
  };
}

request make(std::string method, std::string path) {
  request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.target = r.path;
  return r;
}

TEST(router, exact_and_prefix) {
  router r;
  r.add("GET", "/", answer("root"));
  r.add("GET", "/api/", answer("api prefix"), {.kind = match::prefix});
  r.add("GET", "/api/v1/", answer("v1 prefix"), {.kind = match::prefix});
  r.add("GET", "/api/v1/session", answer("session"));
  EXPECT_EQ(r.handle(make("GET", "/")).body, "root");
  EXPECT_EQ(r.handle(make("GET", "/api/x")).body, "api prefix");
  EXPECT_EQ(r.handle(make("GET", "/api/v1/x")).body, "v1 prefix");
  EXPECT_EQ(r.handle(make("GET", "/api/v1/session")).body, "session");
  EXPECT_EQ(r.handle(make("GET", "/api")).status, 404u);
  EXPECT_EQ(r.handle(make("GET", "/nothing")).status, 404u);
  EXPECT_EQ(r.handle(make("GET", "/API/x")).status, 404u);
}

TEST(router, method_not_allowed_lists_methods) {
  router r;
  r.add("GET", "/thing", answer("get"));
  r.add("POST", "/thing", answer("post"));
  auto resp = r.handle(make("DELETE", "/thing"));
  EXPECT_EQ(resp.status, 405u);
  ASSERT_EQ(resp.headers.size(), 1u);
  EXPECT_EQ(resp.headers[0].name, "Allow");
  EXPECT_EQ(resp.headers[0].value, "GET, HEAD, POST");
  EXPECT_NE(resp.body.find("Method Not Allowed"), std::string::npos);
  EXPECT_NE(resp.body.find("不允许"), std::string::npos);
  EXPECT_EQ(r.handle(make("POST", "/thing")).body, "post");
}

TEST(router, head_uses_get) {
  router r;
  r.add("GET", "/x", answer("x"));
  auto m = r.find("HEAD", "/x");
  ASSERT_NE(m.found, nullptr);
  EXPECT_EQ(m.found->method, "GET");
  r.add("HEAD", "/y", answer("head y"));
  r.add("GET", "/y", answer("get y"));
  EXPECT_EQ(r.handle(make("HEAD", "/y")).body, "head y");
}

TEST(router, case_insensitive_paths) {
  router r;
  r.add("POST", "/autodiscover/autodiscover.xml", answer("ad"), {.case_insensitive = true});
  EXPECT_EQ(r.handle(make("POST", "/Autodiscover/Autodiscover.xml")).body, "ad");
  EXPECT_EQ(r.handle(make("POST", "/AUTODISCOVER/AUTODISCOVER.XML")).body, "ad");
  EXPECT_EQ(r.handle(make("GET", "/autodiscover/autodiscover.xml")).status, 405u);
}

TEST(router, exact_outranks_prefix_for_405) {
  router r;
  r.add("POST", "/a/", answer("prefix"), {.kind = match::prefix});
  r.add("GET", "/a/b", answer("exact"));
  // The exact route is the best match for the path; POST is not among its methods.
  EXPECT_EQ(r.handle(make("POST", "/a/b")).status, 405u);
  EXPECT_EQ(r.handle(make("POST", "/a/c")).body, "prefix");
}

TEST(router, handler_exception_is_500) {
  router r;
  r.add("GET", "/boom", [](const request&) -> response { throw std::runtime_error("boom"); });
  auto resp = r.handle(make("GET", "/boom"));
  EXPECT_EQ(resp.status, 500u);
  EXPECT_NE(resp.body.find("服务器内部错误"), std::string::npos);
}

TEST(router, request_lookups) {
  request r;
  r.headers = {{"Content-Type", "text/xml"}, {"X-A", "1"}, {"x-a", "2"}};
  r.query = {{"emailaddress", "a@b.c"}, {"x", ""}};
  EXPECT_EQ(r.header("content-type").value_or(""), "text/xml");
  EXPECT_EQ(r.header("X-A").value_or(""), "1");
  EXPECT_FALSE(r.header("Host"));
  EXPECT_EQ(r.query_param("emailaddress").value_or(""), "a@b.c");
  EXPECT_TRUE(r.query_param("x"));
  EXPECT_FALSE(r.query_param("EmailAddress"));
}

}  // namespace
}  // namespace letterhead::http
