// letterhead mailbox list ADDRESS; message list ADDRESS [--mailbox NAME];
// message show ADDRESS UID [--mailbox NAME] (the stored bytes, exactly).
#include <cstdio>
#include <ctime>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {
namespace {

std::string flag_names(const store::message& m) {
  std::string out;
  auto add = [&out](const std::string& f) { out += (out.empty() ? "" : " ") + f; };
  if (m.flags & store::flag_seen) add("\\Seen");
  if (m.flags & store::flag_answered) add("\\Answered");
  if (m.flags & store::flag_flagged) add("\\Flagged");
  if (m.flags & store::flag_deleted) add("\\Deleted");
  if (m.flags & store::flag_draft) add("\\Draft");
  for (const auto& k : m.keywords) add(k);
  return out;
}

core::result<std::pair<store::account, store::mailbox>> find(context& ctx, const std::string& address,
                                                              const std::string& mailbox) {
  auto acc = ctx.store->find_account(address);
  if (!acc) return core::fail(acc.error().code, fmt::format("no account '{}'", address));
  auto mb = ctx.store->find_mailbox(acc->id, mailbox);
  if (!mb) return core::fail(mb.error().code, fmt::format("no mailbox '{}' for {}", mailbox, address));
  return std::pair{std::move(*acc), std::move(*mb)};
}

}  // namespace

void add_mailbox_commands(CLI::App& app, globals& g) {
  auto* mailbox = app.add_subcommand("mailbox", "look at an account's mailboxes / 查看邮箱文件夹");
  mailbox->require_subcommand(1);
  auto mb_address = std::make_shared<std::string>();
  auto* mb_list = mailbox->add_subcommand("list", "list the mailboxes of an account");
  mb_list->add_option("ADDRESS", *mb_address)->required();
  mb_list->callback([&g, mb_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto acc = ctx->store->find_account(*mb_address);
    if (!acc) { g.status = report(core::error{acc.error().code, "no account '" + *mb_address + "'"}); return; }
    auto all = ctx->store->list_mailboxes(acc->id);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& m : *all) {
      std::cout << fmt::format("{}\t{}\tmessages={}\tuidvalidity={}\tuidnext={}\n", m.name,
                               store::to_string(m.role), m.messages, m.uidvalidity, m.uidnext);
    }
  });

  auto* message = app.add_subcommand("message", "look at stored messages / 查看邮件");
  message->require_subcommand(1);
  struct opts {
    std::string address, mailbox = "INBOX";
    std::uint32_t uid = 0;
  };
  auto o = std::make_shared<opts>();
  auto* list = message->add_subcommand("list", "list the messages of a mailbox");
  list->add_option("ADDRESS", o->address)->required();
  list->add_option("--mailbox", o->mailbox, "mailbox name (default INBOX)");
  list->callback([&g, o] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto where = find(*ctx, o->address, o->mailbox);
    if (!where) { g.status = report(where.error()); return; }
    auto msgs = ctx->store->list_messages(where->second.id);
    if (!msgs) { g.status = report(msgs.error()); return; }
    for (const auto& m : *msgs) {
      char date[32];
      const std::time_t t = m.internal_date;
      std::tm tm{};
      gmtime_r(&t, &tm);
      std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
      std::cout << fmt::format("{}\t{}\t{}\t{}\t{}\n", m.uid, m.size, date, m.blob, flag_names(m));
    }
  });

  auto* show = message->add_subcommand("show", "write a message's stored bytes to standard output");
  show->add_option("ADDRESS", o->address)->required();
  show->add_option("UID", o->uid)->required();
  show->add_option("--mailbox", o->mailbox, "mailbox name (default INBOX)");
  show->callback([&g, o] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto where = find(*ctx, o->address, o->mailbox);
    if (!where) { g.status = report(where.error()); return; }
    auto m = ctx->store->get_message(where->second.id, o->uid);
    if (!m) { g.status = report(core::error{m.error().code, fmt::format("no message with UID {}", o->uid)}); return; }
    auto bytes = ctx->store->blobs().get(m->blob);
    if (!bytes) { g.status = report(bytes.error()); return; }
    std::fwrite(bytes->data(), 1, bytes->size(), stdout);
    std::fflush(stdout);
  });
}

}  // namespace letterhead::app
