#include "app/cli.hpp"

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"

namespace letterhead::app {

int run_cli(int argc, char** argv) {
  CLI::App app{"Letterhead: enterprise mail server / 企业邮件服务器", "letterhead"};
  app.require_subcommand(1);
  globals g;
  app.add_option("--config", g.config,
                 "config file (default: $LETTERHEAD_CONFIG, then ./letterhead.toml)");
  add_serve_command(app, g);
  add_quickstart_command(app, g);
  add_domain_commands(app, g);
  add_user_commands(app, g);
  add_security_commands(app, g);
  add_alias_commands(app, g);
  add_spam_commands(app, g);
  add_mailbox_commands(app, g);
  add_queue_commands(app, g);
  add_audit_command(app, g);
  add_dkim_commands(app, g);
  add_dns_command(app, g);
  add_store_commands(app, g);
  add_department_commands(app, g);
  add_group_commands(app, g);
  add_role_commands(app, g);
  add_org_commands(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line on stderr (DESIGN.md contract), not CLI11's full usage dump.
    std::cerr << "letterhead: " << e.what() << " (see letterhead --help)\n";
    return 2;
  }
  return g.status;
}

}  // namespace letterhead::app
