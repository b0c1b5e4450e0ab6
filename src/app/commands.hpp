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
// After add_user_commands: adds to `user` and adds `security` (cmd_security.cpp).
void add_security_commands(CLI::App& app, globals& g);
void add_alias_commands(CLI::App& app, globals& g);
void add_mailbox_commands(CLI::App& app, globals& g);
void add_queue_commands(CLI::App& app, globals& g);
void add_audit_command(CLI::App& app, globals& g);  // cmd_audit.cpp
void add_dkim_commands(CLI::App& app, globals& g);  // cmd_dkim.cpp
void add_dns_command(CLI::App& app, globals& g);    // cmd_dns.cpp
void add_spam_commands(CLI::App& app, globals& g);  // cmd_spam.cpp
void add_store_commands(CLI::App& app, globals& g);  // cmd_store.cpp
// Organisation (issue 6 part A); add_org_commands extends "user" and "domain", so it
// runs after them.
void add_department_commands(CLI::App& app, globals& g);
void add_group_commands(CLI::App& app, globals& g);
void add_role_commands(CLI::App& app, globals& g);
void add_org_commands(CLI::App& app, globals& g);

}  // namespace letterhead::app
