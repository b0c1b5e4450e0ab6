#include "http/message.hpp"

#include <fmt/format.h>

namespace letterhead::http {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// The error texts in English and Simplified Chinese (DESIGN.md "Languages").
std::string_view chinese(unsigned status) noexcept {
  switch (status) {
    case 400: return "请求无效";
    case 403: return "禁止访问";
    case 404: return "未找到";
    case 405: return "不允许此方法";
    case 408: return "请求超时";
    case 411: return "需要 Content-Length";
    case 413: return "请求内容过大";
    case 431: return "请求头字段过大";
    case 500: return "服务器内部错误";
    case 501: return "未实现";
    case 503: return "服务暂不可用";
    case 505: return "不支持此 HTTP 版本";
    default: return "";
  }
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> request::header(std::string_view name) const {
  for (const auto& f : headers) {
    if (iequals(f.name, name)) return std::string_view(f.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

// RFC 9110 §15.
std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

response error_response(unsigned status) {
  response r;
  r.status = status;
  const auto en = reason_phrase(status);
  const auto zh = chinese(status);
  r.body = zh.empty() ? fmt::format("{}\n", en) : fmt::format("{} / {}\n", en, zh);
  return r;
}

}  // namespace letterhead::http
