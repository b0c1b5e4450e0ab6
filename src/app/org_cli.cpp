#include "app/org_cli.hpp"

#include <charconv>

#include <fmt/format.h>

namespace letterhead::app {

core::result<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || ptr == text.data()) {
    return core::fail(core::errc::invalid, fmt::format("'{}' is not a size (e.g. 10M, 512K, 1G)", text));
  }
  std::string_view unit(ptr, static_cast<std::size_t>(text.data() + text.size() - ptr));
  std::uint64_t factor = 1;
  if (unit == "K" || unit == "k") factor = 1024;
  else if (unit == "M" || unit == "m") factor = 1024 * 1024;
  else if (unit == "G" || unit == "g") factor = 1024ull * 1024 * 1024;
  else if (!unit.empty()) return core::fail(core::errc::invalid, fmt::format("'{}' is not a size (e.g. 10M, 512K, 1G)", text));
  if (n > (1ull << 50) / factor) return core::fail(core::errc::invalid, fmt::format("size '{}' is too large", text));
  return n * factor;
}

core::result<store::account> account_named(store::store& store, std::string_view address) {
  auto a = store.find_account(address);
  if (!a && a.error().code == core::errc::not_found) {
    return core::fail(core::errc::not_found, fmt::format("no account '{}'", address));
  }
  return a;
}

std::string department_label(directory::organisation& org, store::id_t id) {
  if (id == 0) return "-";
  auto path = org.department_path(id);
  return fmt::format("{} ({})", path ? *path : std::string("?"), id);
}

}  // namespace letterhead::app
