// letterhead queue list|show ID (the outbound issue adds retry, hold, release, remove).
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
    for (const auto& r : e->recipients) {
      std::cout << fmt::format("to: <{}>\t{}\t{}\n", r.address, state_name(r.status), r.last_reply);
    }
  });
}

}  // namespace letterhead::app
