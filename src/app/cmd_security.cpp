// Account security and offboarding commands (issue 6 part B):
//   letterhead user totp enable|disable|show|verify ADDRESS [CODE]
//   letterhead user app-password add ADDRESS NAME --protocols imap,smtp | list ADDRESS | revoke ADDRESS NAME
//   letterhead user logins ADDRESS [--limit N]
//   letterhead user offboard OLD --successor NEW [--forward] [--auto-reply TEXT] [--transfer-mail]
//   letterhead user restore|freeze|unfreeze ADDRESS
//   letterhead user change-password ADDRESS   (current and new password on stdin, one per line)
//   letterhead user require-password-change ADDRESS
//   letterhead security bans | unban IP | policy DOMAIN [options] | expiry-warnings
// Each calls one directory function, the same the admin API will call.
#include <ctime>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"

namespace letterhead::app {

namespace {

store::unix_time now() { return static_cast<store::unix_time>(::time(nullptr)); }

std::string utc(store::unix_time t) {
  if (t == 0) return "-";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Runs fn(context&) with the opened context; reports errors as the exit status.
template <class F>
void with_context(globals& g, F&& fn) {
  auto ctx = open_context(config_path(g.config));
  if (!ctx) {
    g.status = report(ctx.error());
    return;
  }
  if (auto r = fn(*ctx); !r) g.status = report(r.error());
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

void add_totp(CLI::App& user, globals& g) {
  auto* totp = user.add_subcommand("totp", "TOTP second factor (RFC 6238) / 两步验证");
  totp->require_subcommand(1);
  struct opts {
    std::string address, code;
  };
  auto o = std::make_shared<opts>();
  auto* enable = totp->add_subcommand("enable", "turn TOTP on; prints the secret once");
  enable->add_option("ADDRESS", o->address)->required();
  enable->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto e = ctx.directory->enable_totp(o->address, "cli");
      if (!e) return std::unexpected(e.error());
      std::cout << "secret: " << e->secret_base32 << "\n" << "uri: " << e->uri << "\n"
                << "Mail clients (IMAP, POP3, SMTP) of this account now need app passwords.\n";
      return {};
    });
  });
  auto* disable = totp->add_subcommand("disable", "turn TOTP off");
  disable->add_option("ADDRESS", o->address)->required();
  disable->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->disable_totp(o->address, "cli"); !r) return r;
      std::cout << "TOTP off for " << o->address << "\n";
      return {};
    });
  });
  auto* show = totp->add_subcommand("show", "whether TOTP is on (the secret is never shown again)");
  show->add_option("ADDRESS", o->address)->required();
  show->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto on = ctx.directory->totp_enabled(o->address);
      if (!on) return std::unexpected(on.error());
      std::cout << o->address << "\t" << (*on ? "enabled" : "disabled") << "\n";
      return {};
    });
  });
  auto* verify = totp->add_subcommand("verify", "check a code (each code is accepted once)");
  verify->add_option("ADDRESS", o->address)->required();
  verify->add_option("CODE", o->code)->required();
  verify->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->verify_totp(o->address, o->code, now()); !r) return r;
      std::cout << "code accepted\n";
      return {};
    });
  });
}

void add_app_passwords(CLI::App& user, globals& g) {
  auto* app = user.add_subcommand("app-password", "passwords for one device and chosen protocols / 应用专用密码");
  app->require_subcommand(1);
  struct opts {
    std::string address, name, protocols;
  };
  auto o = std::make_shared<opts>();
  auto* add = app->add_subcommand("add", "create one; prints the password once");
  add->add_option("ADDRESS", o->address)->required();
  add->add_option("NAME", o->name, "e.g. \"phone\"")->required();
  add->add_option("--protocols", o->protocols, "comma-separated: imap,pop3,smtp")->required();
  add->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto p = ctx.directory->add_app_password(o->address, o->name, split_list(o->protocols), "cli");
      if (!p) return std::unexpected(p.error());
      std::cout << *p << "\n";
      return {};
    });
  });
  auto* list = app->add_subcommand("list", "name, protocols, created, last used");
  list->add_option("ADDRESS", o->address)->required();
  list->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto all = ctx.directory->list_app_passwords(o->address);
      if (!all) return std::unexpected(all.error());
      for (const auto& p : *all) {
        std::string protos;
        for (const auto& x : p.protocols) protos += (protos.empty() ? "" : ",") + x;
        std::cout << p.name << "\t" << protos << "\t" << utc(p.created) << "\t" << utc(p.last_used) << "\n";
      }
      return {};
    });
  });
  auto* revoke = app->add_subcommand("revoke", "remove one");
  revoke->add_option("ADDRESS", o->address)->required();
  revoke->add_option("NAME", o->name)->required();
  revoke->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->revoke_app_password(o->address, o->name, "cli"); !r) return r;
      std::cout << "revoked '" << o->name << "' of " << o->address << "\n";
      return {};
    });
  });
}

void add_account_commands(CLI::App& user, globals& g) {
  struct opts {
    std::string address;
    std::size_t limit = 50;
    directory::offboard_options off;
  };
  auto o = std::make_shared<opts>();

  auto* logins = user.add_subcommand("logins", "login history: time, IP, protocol, result / 登录记录");
  logins->add_option("ADDRESS", o->address)->required();
  logins->add_option("--limit", o->limit, "newest N (default 50)");
  logins->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto events = ctx.directory->login_history(o->address, o->limit);
      if (!events) return std::unexpected(events.error());
      for (const auto& e : *events) {
        std::cout << utc(e.time) << "\t" << (e.ip.empty() ? "-" : e.ip) << "\t" << e.protocol << "\t" << e.result
                  << "\n";
      }
      return {};
    });
  });

  auto* offboard = user.add_subcommand("offboard", "hand a leaver's account over to a successor / 离职交接");
  offboard->add_option("OLD", o->address)->required();
  offboard->add_option("--successor", o->off.successor, "the account that takes over")->required();
  offboard->add_flag("--forward", o->off.forward, "new mail to OLD also goes to the successor");
  offboard->add_option("--auto-reply", o->off.auto_reply, "text sent to senders (once per sender per week)");
  offboard->add_flag("--transfer-mail", o->off.transfer_mail,
                     "move OLD's mail under \"Offboarded/OLD\" of the successor");
  offboard->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      // A big mailbox takes a while; say that an interruption changes nothing.
      std::cerr << fmt::format("offboarding {}: all of it or nothing if interrupted / 正在交接 {}：中断则不作任何改动",
                               o->address, o->address)
                << std::endl;
      auto r = ctx.directory->offboard(o->address, o->off, "cli");
      if (!r) return std::unexpected(r.error());
      std::cout << fmt::format("offboarded {} to {}: logins off, {} app password(s) revoked, {} mailbox(es) "
                               "shared, {} message(s) moved, {} list(s) handed over\n",
                               o->address, o->off.successor, r->app_passwords_revoked, r->mailboxes_shared,
                               r->messages_moved, r->groups_moved);
      return {};
    });
  });

  auto* restore = user.add_subcommand("restore", "undo an offboarding / 撤销离职交接");
  restore->add_option("ADDRESS", o->address)->required();
  restore->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->restore(o->address, "cli"); !r) return r;
      std::cout << "restored " << o->address << "\n";
      return {};
    });
  });

  auto* freeze = user.add_subcommand("freeze", "stop all logins; mail keeps arriving / 冻结");
  freeze->add_option("ADDRESS", o->address)->required();
  freeze->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->freeze(o->address, "cli"); !r) return r;
      std::cout << "froze " << o->address << "\n";
      return {};
    });
  });
  auto* unfreeze = user.add_subcommand("unfreeze", "allow logins again / 解冻");
  unfreeze->add_option("ADDRESS", o->address)->required();
  unfreeze->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->unfreeze(o->address, "cli"); !r) return r;
      std::cout << "unfroze " << o->address << "\n";
      return {};
    });
  });

  auto* change = user.add_subcommand("change-password",
                                     "the user's own change: current and new password on stdin, one per line");
  change->add_option("ADDRESS", o->address)->required();
  change->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto old_pw = read_password_stdin();
      if (!old_pw) return std::unexpected(old_pw.error());
      auto new_pw = read_password_stdin();
      if (!new_pw) return std::unexpected(new_pw.error());
      if (auto r = ctx.directory->change_own_password(o->address, *old_pw, *new_pw); !r) return r;
      std::cout << "password changed for " << o->address << "\n";
      return {};
    });
  });
  auto* require = user.add_subcommand("require-password-change", "the user must set a new password first");
  require->add_option("ADDRESS", o->address)->required();
  require->callback([&g, o] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      if (auto r = ctx.directory->require_password_change(o->address, "cli"); !r) return r;
      std::cout << o->address << " must change the password at the next login\n";
      return {};
    });
  });
}

void add_security_group(CLI::App& app, globals& g) {
  auto* sec = app.add_subcommand("security", "brute-force bans and password policies / 安全");
  sec->require_subcommand(1);

  auto* bans = sec->add_subcommand("bans", "addresses blocked now: key, blocked until");
  bans->callback([&g] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto all = ctx.directory->list_bans(now());
      if (!all) return std::unexpected(all.error());
      for (const auto& b : *all) std::cout << b.key << "\t" << utc(b.blocked_until) << "\n";
      return {};
    });
  });
  auto ip = std::make_shared<std::string>();
  auto* unban = sec->add_subcommand("unban", "lift the blocks of an IP address");
  unban->add_option("IP", *ip)->required();
  unban->callback([&g, ip] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto n = ctx.directory->unban(*ip, "cli");
      if (!n) return std::unexpected(n.error());
      std::cout << "unbanned " << *ip << " (" << *n << " record(s))\n";
      return {};
    });
  });

  struct policy_opts {
    std::string domain;
    std::optional<std::uint32_t> min_length, min_classes, history, max_age_days, warn_days;
    std::optional<bool> first_login, refuse_common;
  };
  auto p = std::make_shared<policy_opts>();
  auto* policy = sec->add_subcommand("policy", "show or change a domain's password policy / 密码策略");
  policy->add_option("DOMAIN", p->domain)->required();
  policy->add_option("--min-length", p->min_length);
  policy->add_option("--min-classes", p->min_classes, "of lower, upper, digits, symbols");
  policy->add_option("--history", p->history, "the last N passwords may not be reused");
  policy->add_option("--max-age-days", p->max_age_days, "0 = never expire");
  policy->add_option("--warn-days", p->warn_days, "warning mail this long before expiry");
  policy->add_option("--change-at-first-login", p->first_login, "true|false");
  policy->add_option("--refuse-common", p->refuse_common, "true|false");
  policy->callback([&g, p] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto cur = ctx.directory->password_policy(p->domain);
      if (!cur) return std::unexpected(cur.error());
      auto next = *cur;
      if (p->min_length) next.min_length = *p->min_length;
      if (p->min_classes) next.min_classes = *p->min_classes;
      if (p->history) next.history = *p->history;
      if (p->max_age_days) next.max_age_days = *p->max_age_days;
      if (p->warn_days) next.warn_days = *p->warn_days;
      if (p->first_login) next.change_at_first_login = *p->first_login;
      if (p->refuse_common) next.refuse_common = *p->refuse_common;
      const bool changed = p->min_length || p->min_classes || p->history || p->max_age_days || p->warn_days ||
                           p->first_login || p->refuse_common;
      if (changed) {
        if (auto r = ctx.directory->set_password_policy(p->domain, next, "cli"); !r) return r;
      }
      std::cout << fmt::format("min_length={}\nmin_classes={}\nhistory={}\nmax_age_days={}\nwarn_days={}\n"
                               "change_at_first_login={}\nrefuse_common={}\n",
                               next.min_length, next.min_classes, next.history, next.max_age_days, next.warn_days,
                               next.change_at_first_login, next.refuse_common);
      return {};
    });
  });

  auto* expiry = sec->add_subcommand("expiry-warnings", "send due password expiry warnings now (serve does hourly)");
  expiry->callback([&g] {
    with_context(g, [&](context& ctx) -> core::result<void> {
      auto n = ctx.directory->send_password_expiry_warnings(now());
      if (!n) return std::unexpected(n.error());
      std::cout << "sent " << *n << " warning(s)\n";
      return {};
    });
  });
}

}  // namespace

void add_security_commands(CLI::App& app, globals& g) {
  // The `user` group exists already (cmd_user.cpp); these join it.
  auto* user = app.get_subcommand("user");
  add_totp(*user, g);
  add_app_passwords(*user, g);
  add_account_commands(*user, g);
  add_security_group(app, g);
}

}  // namespace letterhead::app
