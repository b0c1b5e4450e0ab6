// letterhead queue list|show|hold|release|retry|remove ID
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {
namespace {

const char* state_name(store::queue_recipient::state s) {
  switch (s) {
    case store::queue_recipient::state::pending: return "pending";
    case store::queue_recipient::state::delivered: return "delivered";
    case store::queue_recipient::state::failed: return "failed";
  }
  return "?";
}

}  // namespace

void add_queue_commands(CLI::App& app, globals& g) {
  auto* queue = app.add_subcommand("queue", "the outbound queue / 外发队列");
  queue->require_subcommand(1);
  auto* list = queue->add_subcommand("list", "list queued messages");
  list->callback([&g] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->store->list_queue();
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& e : *all) {
      std::cout << fmt::format("{}\t<{}>\t{} bytes\t{} recipient(s)\tattempts={}{}\n", e.id, e.mail_from,
                               e.size, e.recipients.size(), e.attempts, e.held ? "\theld" : "");
    }
  });
  auto id = std::make_shared<std::int64_t>(0);
  auto* show = queue->add_subcommand("show", "show one queued message's envelope");
  show->add_option("ID", *id)->required();
  show->callback([&g, id] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto e = ctx->store->get_queue_entry(*id);
    if (!e) { g.status = report(core::error{e.error().code, fmt::format("no queue entry {}", *id)}); return; }
    std::cout << fmt::format("id: {}\nfrom: <{}>\nsize: {}\nblob: {}\nsubmitted by: {}\n", e->id,
                             e->mail_from, e->size, e->blob, e->auth_account.empty() ? "-" : e->auth_account);
    std::cout << fmt::format("attempts: {}\nnext attempt: {}\nheld: {}\n", e->attempts, e->next_attempt,
                             e->held ? "yes" : "no");
    for (const auto& r : e->recipients) {
      std::cout << fmt::format("to: <{}>\t{}\t{}\n", r.address, state_name(r.status), r.last_reply);
    }
  });

  // Admin actions on one entry; each is audited. A worker sending the entry right
  // now keeps its lease: hold stops later attempts, remove makes its write-back fail.
  struct action {
    const char* name;
    const char* help;
    const char* done;
  };
  static constexpr action actions[] = {
      {"hold", "stop delivery attempts for an entry until released", "held"},
      {"release", "let a held entry be attempted again", "released"},
      {"retry", "attempt an entry now (releases it if held)", "scheduled for retry"},
      {"remove", "delete an entry without sending it (no bounce)", "removed"},
  };
  for (const auto& a : actions) {
    auto target = std::make_shared<std::int64_t>(0);
    auto* cmd = queue->add_subcommand(a.name, a.help);
    cmd->add_option("ID", *target)->required();
    cmd->callback([&g, target, a] {
      auto ctx = open_context(config_path(g.config));
      if (!ctx) { g.status = report(ctx.error()); return; }
      auto& s = *ctx->store;
      const std::string_view name = a.name;
      core::result<void> r;
      if (name == "hold") {
        r = s.set_queue_held(*target, true);
      } else if (name == "release") {
        r = s.set_queue_held(*target, false);
      } else if (name == "retry") {
        r = s.retry_queue_entry(*target, static_cast<store::unix_time>(::time(nullptr)));
      } else {
        r = s.remove_queue_entry(*target);
      }
      if (!r) {
        auto code = r.error().code;
        g.status = report(code == core::errc::not_found ? core::error{code, fmt::format("no queue entry {}", *target)}
                                                        : r.error());
        return;
      }
      (void)s.audit("cli", fmt::format("queue.{}", name), std::to_string(*target));
      std::cout << fmt::format("queue entry {} {}\n", *target, a.done);
    });
  }
}

}  // namespace letterhead::app
