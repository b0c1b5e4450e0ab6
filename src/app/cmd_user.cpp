// letterhead user add|list|passwd|remove|quota
#include <cctype>
#include <iostream>
#include <limits>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {
namespace {

// "500M", "2G", "1048576", "0" (binary multiples; an optional trailing "B" or "iB").
core::result<std::uint64_t> parse_size(const std::string& text) {
  auto bad = [&] {
    return core::fail(core::errc::invalid,
                      fmt::format("'{}' is not a size (examples: 0 for unlimited, 500M, 2G)", text));
  };
  std::size_t i = 0;
  std::uint64_t n = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (n > (std::numeric_limits<std::uint64_t>::max() - 9) / 10) return bad();
    n = n * 10 + static_cast<std::uint64_t>(text[i] - '0');
  }
  if (i == 0) return bad();
  auto suffix = text.substr(i);
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: return bad();
    }
    auto rest = suffix.substr(1);
    if (!rest.empty() && rest != "B" && rest != "IB") return bad();
  }
  if (shift > 0 && n > (std::numeric_limits<std::uint64_t>::max() >> shift)) return bad();
  n <<= shift;
  if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return bad();
  return n;
}

std::string human(std::uint64_t bytes) {
  constexpr const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace

void add_user_commands(CLI::App& app, globals& g) {
  auto* user = app.add_subcommand("user", "manage accounts / 管理用户");
  user->require_subcommand(1);

  struct add_opts {
    std::string address, name;
    bool password_stdin = false;
    std::uint64_t quota_mb = 0;
  };
  auto a = std::make_shared<add_opts>();
  auto* add = user->add_subcommand("add", "add an account with its mailboxes");
  add->add_option("ADDRESS", a->address,
                  "the address, or @DOMAIN to make one from --name in the domain's address format")
      ->required();
  add->add_option("--name", a->name, "display name, e.g. \"张伟\"");
  add->add_flag("--password-stdin", a->password_stdin, "read the password from standard input");
  add->add_option("--quota-mb", a->quota_mb, "mailbox quota in MiB (0 = unlimited)");
  add->callback([&g, a] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    directory::new_user u;
    u.address = a->address;
    u.display_name = a->name;
    u.quota_bytes = a->quota_mb * 1024 * 1024;
    if (a->password_stdin) {
      auto p = read_password_stdin();
      if (!p) { g.status = report(p.error()); return; }
      u.password = std::move(*p);
    }
    auto acc = ctx->directory->add_user(u, "cli");
    if (!acc) { g.status = report(acc.error()); return; }
    std::cout << "added user " << acc->address << "\n";
  });

  auto list_domain = std::make_shared<std::string>();
  auto* list = user->add_subcommand("list", "list accounts");
  list->add_option("DOMAIN", *list_domain, "only this domain");
  list->callback([&g, list_domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto all = ctx->directory->list_users(*list_domain);
    if (!all) { g.status = report(all.error()); return; }
    for (const auto& u : *all) {
      std::cout << u.address << "\t" << u.display_name << (u.disabled ? "\tdisabled" : "") << "\n";
    }
  });

  auto pw_address = std::make_shared<std::string>();
  auto* passwd = user->add_subcommand("passwd", "set a password (read from standard input)");
  passwd->add_option("ADDRESS", *pw_address)->required();
  passwd->callback([&g, pw_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto p = read_password_stdin();
    if (!p) { g.status = report(p.error()); return; }
    if (auto r = ctx->directory->set_password(*pw_address, *p, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "password changed for " << *pw_address << "\n";
  });

  auto rm_address = std::make_shared<std::string>();
  auto* remove = user->add_subcommand("remove", "remove an account and all its mail");
  remove->add_option("ADDRESS", *rm_address)->required();
  remove->callback([&g, rm_address] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto r = ctx->directory->remove_user(*rm_address, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "removed user " << *rm_address << "\n";
  });

  struct quota_opts {
    std::string address, size;
  };
  auto q = std::make_shared<quota_opts>();
  auto* quota = user->add_subcommand("quota", "show usage, or set the quota (SIZE: 500M, 2G, 0 = unlimited)");
  quota->add_option("ADDRESS", q->address)->required();
  quota->add_option("SIZE", q->size, "new quota; without it, print usage and quota");
  quota->callback([&g, q] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto acc = ctx->store->find_account(q->address);
    if (!acc) { g.status = report(core::error{acc.error().code, "no account '" + q->address + "'"}); return; }
    if (q->size.empty()) {
      auto u = ctx->store->account_usage(acc->id);
      if (!u) { g.status = report(u.error()); return; }
      auto limit = acc->quota_bytes == 0 ? std::string("unlimited")
                                         : fmt::format("{} ({})", acc->quota_bytes, human(acc->quota_bytes));
      std::cout << fmt::format("{}\tused {} ({})\t{} messages\tquota {}\n", acc->address, u->bytes, human(u->bytes),
                               u->messages, limit);
      return;
    }
    auto bytes = parse_size(q->size);
    if (!bytes) { g.status = report(bytes.error()); return; }
    if (auto r = ctx->directory->set_quota(acc->address, *bytes, "cli"); !r) { g.status = report(r.error()); return; }
    std::cout << "quota of " << acc->address << " set to " << (*bytes == 0 ? "unlimited" : human(*bytes)) << "\n";
  });
}

}  // namespace letterhead::app
