#include "http/autoconfig/routes.hpp"

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "directory/address.hpp"

namespace letterhead::http::autoconfig {
namespace {

struct state {
  mail_settings settings;
  domain_check is_ours;
};

response xml(std::string body) {
  response r;
  r.content_type = "application/xml; charset=utf-8";
  r.body = std::move(body);
  // The answer depends on the query: keep shared caches from mixing addresses.
  r.headers.push_back({"Cache-Control", "private, max-age=3600"});
  return r;
}

// The address's domain if it is ours; otherwise the response to send.
std::variant<directory::address, response> our_address(const state& st, std::string_view text) {
  auto addr = directory::parse_address(text);
  if (!addr) return error_response(400);
  auto ours = st.is_ours(addr->domain);
  if (!ours) {
    spdlog::warn("autoconfig: domain lookup failed: {}", ours.error().message);
    return error_response(503);
  }
  if (!*ours) return error_response(404);
  return *std::move(addr);
}

// Thunderbird always sends ?emailaddress=; without it, the Host it asked
// (autoconfig.DOMAIN) names the domain.
std::optional<std::string> thunderbird_domain(const state& st, const request& req, response& fail) {
  std::string domain;
  if (auto q = req.query_param("emailaddress")) {
    auto found = our_address(st, *q);
    if (auto* r = std::get_if<response>(&found)) {
      fail = std::move(*r);
      return std::nullopt;
    }
    return std::get<directory::address>(found).domain;
  }
  auto host = std::string(req.header("Host").value_or(""));
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
    host.resize(colon);
  }
  if (host.starts_with("autoconfig.")) host.erase(0, 11);
  auto norm = directory::normalize_domain(host);
  if (!norm) {
    fail = error_response(400);
    return std::nullopt;
  }
  auto ours = st.is_ours(*norm);
  if (!ours) {
    fail = error_response(503);
    return std::nullopt;
  }
  if (!*ours) {
    fail = error_response(404);
    return std::nullopt;
  }
  return *norm;
}

}  // namespace

void add_routes(router& r, mail_settings settings, domain_check is_ours) {
  auto st = std::make_shared<const state>(state{std::move(settings), std::move(is_ours)});
  const route_options blocking{.blocking = true};

  auto thunderbird = [st](const request& req) -> response {
    response fail;
    auto domain = thunderbird_domain(*st, req, fail);
    if (!domain) return fail;
    return xml(thunderbird_config(st->settings, *domain));
  };
  r.add("GET", "/mail/config-v1.1.xml", thunderbird, blocking);
  r.add("GET", "/.well-known/autoconfig/mail/config-v1.1.xml", thunderbird, blocking);

  auto autodiscover = [st](const request& req) -> response {
    auto text = autodiscover_request_address(req.body);
    if (!text) {
      auto bad = xml(autodiscover_error());
      bad.status = 400;
      return bad;
    }
    auto found = our_address(*st, *text);
    if (auto* fail = std::get_if<response>(&found)) return std::move(*fail);
    return xml(autodiscover_response(st->settings, std::get<directory::address>(found).str()));
  };
  route_options ci = blocking;
  ci.case_insensitive = true;
  r.add("POST", "/autodiscover/autodiscover.xml", autodiscover, ci);

  auto apple = [st](const request& req) -> response {
    auto q = req.query_param("emailaddress");
    if (!q) return error_response(400);
    auto found = our_address(*st, *q);
    if (auto* fail = std::get_if<response>(&found)) return std::move(*fail);
    const auto& addr = std::get<directory::address>(found);
    auto profile = apple_mobileconfig(st->settings, addr.str());
    if (!profile) return error_response(404);
    response out;
    out.content_type = "application/x-apple-aspen-config";
    out.body = std::move(*profile);
    out.headers.push_back({"Content-Disposition", fmt::format("attachment; filename=\"{}.mobileconfig\"", addr.domain)});
    out.headers.push_back({"Cache-Control", "private, no-store"});
    return out;
  };
  r.add("GET", "/apple/mobileconfig", apple, blocking);
}

}  // namespace letterhead::http::autoconfig
