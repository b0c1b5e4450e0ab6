// The SMTP listeners of `serve`: MX, submission and submissions.
#include <spdlog/spdlog.h>

#include "app/services.hpp"
#include "app/smtp_backend.hpp"
#include "smtp/server/server.hpp"

namespace letterhead::app {

core::result<std::size_t> start_smtp(services& s) {
  const auto& cfg = s.ctx.config;
  auto backend = std::make_shared<smtp_backend>(*s.ctx.directory, s.delivery);
  s.keep.push_back(backend);
  struct entry {
    smtp::server::listener_kind kind;
    const std::optional<std::string>& address;
    const char* name;
  };
  const entry entries[] = {
      {smtp::server::listener_kind::mx, cfg.listen.smtp, "smtp"},
      {smtp::server::listener_kind::submission, cfg.listen.submission, "submission"},
      {smtp::server::listener_kind::submissions, cfg.listen.submissions, "submissions"},
  };
  std::size_t started = 0;
  for (const auto& e : entries) {
    if (!e.address) continue;
    if (auto r = smtp::server::listen(s.net, s.rt, cfg, *backend, e.kind, *e.address); !r) {
      return std::unexpected(r.error());
    }
    spdlog::info("{} listening on {}", e.name, *e.address);
    ++started;
  }
  return started;
}

}  // namespace letterhead::app
