#pragma once
// JSON in and out for the admin API: bounded parsing of request bodies, the error
// body every failure gets, and the mapping from core::errc to HTTP status.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "core/error.hpp"
#include "http/message.hpp"

namespace letterhead::http::admin {

// {"error": {"status": 403, "message": "..."}} with the status.
[[nodiscard]] response json_error(unsigned status, std::string_view message);
// The status for a failed operation: denied 403, not_found 404, exists 409, invalid
// 400, limit 413, anything else 500 (whose detail is logged, not sent).
[[nodiscard]] response error_for(const core::error& e);
[[nodiscard]] response json_ok(const boost::json::value& v, unsigned status = 200);

// The request body as a JSON object: errc::invalid for an empty or malformed body,
// something other than an object, nesting deeper than a few levels; errc::limit over
// max_json_body.
[[nodiscard]] core::result<boost::json::object> parse_object(const request& req);

// Typed fields; errc::invalid naming the field when present with the wrong type, or
// absent when required.
[[nodiscard]] core::result<std::string> string_field(const boost::json::object& o, std::string_view name,
                                                     bool required);
[[nodiscard]] core::result<std::optional<std::int64_t>> int_field(const boost::json::object& o,
                                                                  std::string_view name);
[[nodiscard]] core::result<std::optional<bool>> bool_field(const boost::json::object& o, std::string_view name);

}  // namespace letterhead::http::admin
