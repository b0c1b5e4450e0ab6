#include "app/dkim_setup.hpp"

#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "mailauth/dkim_keys.hpp"

namespace letterhead::app {

bool setup_domain_dkim(context& ctx, const std::string& domain, std::string_view actor) {
  auto keys = mailauth::create_domain_keys(*ctx.store, domain, {});
  if (!keys) {
    if (keys.error().code == core::errc::exists) return true;
    std::cerr << fmt::format("letterhead: warning: no DKIM keys for {}: {} (retry with 'letterhead dkim generate {}')\n",
                             domain, keys.error().message, domain);
    return false;
  }
  std::string detail = domain;
  for (const auto& k : *keys) detail += fmt::format(" {} {}", k.selector, k.algorithm);
  (void)ctx.store->audit(actor, "dkim.generate", detail);
  std::cout << fmt::format("DKIM keys for {}: ", domain);
  for (std::size_t i = 0; i < keys->size(); ++i) {
    std::cout << (i > 0 ? ", " : "") << (*keys)[i].selector << " (" << (*keys)[i].algorithm << ")";
  }
  std::cout << fmt::format(" (publish with the records of 'letterhead dns {}')\n", domain);
  return true;
}

std::string format_date(std::int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

}  // namespace letterhead::app
