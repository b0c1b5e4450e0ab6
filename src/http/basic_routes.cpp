#include "http/basic_routes.hpp"

#include "core/metrics.hpp"

namespace letterhead::http {

bool loopback_ip(std::string_view ip) noexcept { return ip.starts_with("127.") || ip == "::1"; }

void add_basic_routes(router& r, const basic_options& options) {
  r.add("GET", "/", [](const request&) {
    response out;
    out.body =
        "Letterhead\n\n"
        "This server provides email for its domains. Mail clients set themselves up from\n"
        "an address and a password.\n\n"
        "此服务器为其域名提供电子邮件服务。邮件客户端只需邮箱地址和密码即可自动完成设置。\n";
    return out;
  });
  r.add("GET", "/healthz", [](const request&) {
    response out;
    out.body = "ok\n";
    out.headers.push_back({"Cache-Control", "no-store"});
    return out;
  });
  if (options.metrics == "off") return;
  const bool anyone = options.metrics == "anyone";
  r.add(
      "GET", "/metrics",
      [anyone](const request& req) {
        if (!anyone && !loopback_ip(req.client_ip)) return error_response(403);
        response out;
        // Prometheus text exposition format 0.0.4.
        out.content_type = "text/plain; version=0.0.4; charset=utf-8";
        out.body = core::metrics::global().render();
        out.headers.push_back({"Cache-Control", "no-store"});
        return out;
      },
      // Gauge callbacks may ask the store.
      route_options{.blocking = true});
}

}  // namespace letterhead::http
