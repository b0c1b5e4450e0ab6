// JSON helpers of the admin API: see json_io.hpp.

#include "http/admin/json_io.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "http/admin/api.hpp"

namespace letterhead::http::admin {

namespace json = boost::json;

response json_ok(const json::value& v, unsigned status) {
  response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json::serialize(v);
  r.headers.push_back({"Cache-Control", "no-store"});
  return r;
}

response json_error(unsigned status, std::string_view message) {
  json::object e;
  e["status"] = status;
  e["message"] = message;
  json::object o;
  o["error"] = std::move(e);
  return json_ok(o, status);
}

response error_for(const core::error& e) {
  switch (e.code) {
    case core::errc::denied: return json_error(403, e.message);
    case core::errc::not_found: return json_error(404, e.message);
    case core::errc::exists: return json_error(409, e.message);
    case core::errc::invalid: return json_error(400, e.message);
    case core::errc::limit: return json_error(413, e.message);
    default:
      spdlog::error("admin API: {}", e.message);
      return json_error(500, "internal error, see the server log / 服务器内部错误，请查看日志");
  }
}

core::result<json::object> parse_object(const request& req) {
  if (req.body.size() > max_json_body) return core::fail(core::errc::limit, "request body too large / 请求体过大");
  if (req.body.empty()) return core::fail(core::errc::invalid, "a JSON object is expected / 需要 JSON 对象");
  json::parse_options opts;
  opts.max_depth = 8;  // our objects nest two levels; deeper input is a mistake or an attack
  std::error_code ec;
  auto v = json::parse(req.body, ec, {}, opts);
  if (ec) return core::fail(core::errc::invalid, "malformed JSON / JSON 格式错误: " + ec.message());
  if (!v.is_object()) return core::fail(core::errc::invalid, "a JSON object is expected / 需要 JSON 对象");
  return std::move(v.as_object());
}

core::result<std::string> string_field(const json::object& o, std::string_view name, bool required) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return core::fail(core::errc::invalid, fmt::format("field '{}' is required / 缺少字段", name));
    return std::string();
  }
  if (!v->is_string()) return core::fail(core::errc::invalid, fmt::format("field '{}' must be a string", name));
  return std::string(v->as_string());
}

core::result<std::optional<std::int64_t>> int_field(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<std::int64_t>{};
  if (v->is_int64()) return std::optional<std::int64_t>{v->as_int64()};
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>{static_cast<std::int64_t>(v->as_uint64())};
  }
  return core::fail(core::errc::invalid, fmt::format("field '{}' must be an integer", name));
}

core::result<std::optional<bool>> bool_field(const json::object& o, std::string_view name) {
  auto* v = o.if_contains(name);
  if (!v || v->is_null()) return std::optional<bool>{};
  if (!v->is_bool()) return core::fail(core::errc::invalid, fmt::format("field '{}' must be true or false", name));
  return std::optional<bool>{v->as_bool()};
}

}  // namespace letterhead::http::admin
