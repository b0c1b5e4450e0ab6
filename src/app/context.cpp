#include "app/context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "directory/secret_box.hpp"

namespace letterhead::app {

std::string config_path(const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("LETTERHEAD_CONFIG"); env != nullptr && *env != '\0') return env;
  return "letterhead.toml";
}

core::result<core::config> read_config(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return core::fail(core::errc::not_found,
                      fmt::format("config file '{}' not found (create one with 'letterhead "
                                  "quickstart ADMIN_ADDRESS', or pass --config FILE)", path));
  }
  return core::load_config(path);
}

directory::security_options security_options(const core::security_config& c) {
  directory::security_options o;
  o.max_failures_per_ip = c.max_failures_per_ip;
  o.max_failures_per_account = c.max_failures_per_account;
  o.failure_window = c.failure_window;
  o.ip_block = c.ip_block;
  o.account_block = c.account_block;
  o.max_delay = c.max_delay;
  o.new_network_mail = c.new_network_mail;
  return o;
}

store::store_options store_options_of(const core::config& cfg) {
  store::store_options o;
  o.backend = cfg.store.backend;
  o.url = cfg.store.url;
  o.blobs = cfg.store.blobs;
  o.data_dir = cfg.data_dir;
  return o;
}

core::result<context> open_context(const std::string& config_file) {
  auto cfg = read_config(config_file);
  if (!cfg) return std::unexpected(cfg.error());
  auto st = store::open(store_options_of(*cfg));
  if (!st) return std::unexpected(st.error());
  context ctx;
  ctx.config = std::move(*cfg);
  ctx.store = std::move(*st);
  auto security = security_options(ctx.config.security);
  auto key = directory::load_or_create_secret_key(ctx.config.security.secret_key_file.empty()
                                 ? ctx.config.data_dir + "/secret.key"
                                 : ctx.config.security.secret_key_file);
  if (!key) return std::unexpected(key.error());
  security.secret_key = std::move(*key);
  ctx.directory = std::make_unique<directory::directory>(*ctx.store, directory::password_cost{}, security);
  return ctx;
}

int report(const core::error& e) {
  std::cerr << "letterhead: " << e.message << "\n";
  return 1;
}

core::result<std::string> read_password_stdin() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return core::fail(core::errc::invalid, "no password on standard input");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace letterhead::app
