#include "http/mta_sts_route.hpp"

#include "directory/address.hpp"

namespace letterhead::http {

void add_mta_sts_route(router& r, sts_policy_source policy_for) {
  auto serve = [policy_for = std::move(policy_for)](const request& req) -> response {
    auto host = std::string(req.header("Host").value_or(""));
    if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos) {
      host.resize(colon);
    }
    // §3.3: the policy host is mta-sts.DOMAIN; no other name has a policy here.
    constexpr std::string_view prefix = "mta-sts.";
    auto domain = directory::normalize_domain(host);
    if (!domain || domain->size() <= prefix.size() || !domain->starts_with(prefix)) return error_response(404);
    auto text = policy_for(std::string_view(*domain).substr(prefix.size()));
    if (!text) return error_response(503);
    if (!*text) return error_response(404);
    response out;
    // §3.3: the media type is text/plain.
    out.content_type = "text/plain";
    out.body = std::move(**text);
    return out;
  };
  r.add("GET", "/.well-known/mta-sts.txt", std::move(serve), {.blocking = true});
}

}  // namespace letterhead::http
