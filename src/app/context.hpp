#pragma once
// What every admin command and `serve` start from: the config, the store and the
// directory on top of it.

#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/error.hpp"
#include "directory/directory.hpp"
#include "store/store.hpp"

namespace letterhead::app {

struct context {
  core::config config;
  std::unique_ptr<store::store> store;
  std::unique_ptr<directory::directory> directory;
};

// The config file: --config, else $LETTERHEAD_CONFIG, else ./letterhead.toml.
[[nodiscard]] std::string config_path(const std::string& option);

[[nodiscard]] core::result<core::config> read_config(const std::string& path);

// The directory's account security settings from [security].
[[nodiscard]] directory::security_options security_options(const core::security_config& c);

// Loads the config and opens the store (creating the data directory as needed).
[[nodiscard]] core::result<context> open_context(const std::string& config_file);

// The store a configuration names ([store], data_dir).
[[nodiscard]] store::store_options store_options_of(const core::config& cfg);

// Prints "letterhead: MESSAGE" on stderr and returns 1.
int report(const core::error& e);

// Reads a password from stdin (one line, no echo handling: meant for pipes).
[[nodiscard]] core::result<std::string> read_password_stdin();

}  // namespace letterhead::app
