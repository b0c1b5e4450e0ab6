// Response serialisation: exact bytes, HEAD, Connection, security fields.
#include "http/response_writer.hpp"

#include <gtest/gtest.h>

namespace letterhead::http {
namespace {

// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 §5.6.7's example).
const auto example_time = std::chrono::system_clock::from_time_t(784111777);

TEST(response_writer, date) { EXPECT_EQ(http_date(example_time), "Sun, 06 Nov 1994 08:49:37 GMT"); }

TEST(response_writer, exact_bytes) {
  response r;
  r.body = "ok\n";
  r.headers.push_back({"Cache-Control", "no-store"});
  EXPECT_EQ(serialize(r, {.now = example_time}),
            "HTTP/1.1 200 OK\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 3\r\n"
            "X-Content-Type-Options: nosniff\r\n"
            "X-Frame-Options: DENY\r\n"
            "Referrer-Policy: no-referrer\r\n"
            "Cache-Control: no-store\r\n"
            "\r\n"
            "ok\n");
}

TEST(response_writer, head_close_and_http10) {
  response r;
  r.body = "12345";
  const auto head = serialize(r, {.head = true, .close = true, .now = example_time});
  EXPECT_NE(head.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_NE(head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\n\r\n"));
  const auto v10 = serialize(r, {.request_version = 10, .now = example_time});
  EXPECT_NE(v10.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_TRUE(v10.ends_with("\r\n\r\n12345"));
}

TEST(response_writer, no_server_field_and_handler_overrides) {
  response r;
  r.headers.push_back({"X-Frame-Options", "SAMEORIGIN"});
  r.headers.push_back({"Content-Length", "999"});  // the server's, ignored
  const auto text = serialize(r, {.now = example_time});
  EXPECT_EQ(text.find("Server:"), std::string::npos);
  EXPECT_EQ(text.find("DENY"), std::string::npos);
  EXPECT_NE(text.find("X-Frame-Options: SAMEORIGIN\r\n"), std::string::npos);
  EXPECT_EQ(text.find("999"), std::string::npos);
  EXPECT_NE(text.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(response_writer, field_values_cannot_split_the_response) {
  response r;
  r.headers.push_back({"X-Echo", "a\r\nSet-Cookie: evil=1"});
  const auto text = serialize(r, {.now = example_time});
  EXPECT_EQ(text.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(text.find("X-Echo: a  Set-Cookie: evil=1\r\n"), std::string::npos);
}

TEST(response_writer, no_content_statuses) {
  response r;
  r.status = 204;
  r.body = "ignored";
  const auto text = serialize(r, {.now = example_time});
  EXPECT_EQ(text.find("Content-Length"), std::string::npos);
  EXPECT_TRUE(text.ends_with("\r\n\r\n"));
}

TEST(response_writer, error_texts_are_bilingual) {
  EXPECT_EQ(error_response(404).body, "Not Found / 未找到\n");
  EXPECT_EQ(error_response(413).body, "Content Too Large / 请求内容过大\n");
  EXPECT_EQ(error_response(431).body, "Request Header Fields Too Large / 请求头字段过大\n");
  EXPECT_EQ(error_response(418).status, 418u);
}

}  // namespace
}  // namespace letterhead::http
