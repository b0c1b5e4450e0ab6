#pragma once
// Each file cmd_*.cpp registers one command family on the CLI11 app. A command runs
// through a callback that stores its exit status in `status`.

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace letterhead::app {

struct globals {
  std::string config;  // --config
  int status = 0;      // exit status of the command that ran
};

void add_serve_command(CLI::App& app, globals& g);
void add_quickstart_command(CLI::App& app, globals& g);
void add_domain_commands(CLI::App& app, globals& g);
void add_user_commands(CLI::App& app, globals& g);
void add_alias_commands(CLI::App& app, globals& g);
void add_mailbox_commands(CLI::App& app, globals& g);
void add_queue_commands(CLI::App& app, globals& g);

}  // namespace letterhead::app
