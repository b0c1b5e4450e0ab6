// letterhead quickstart ADMIN_ADDRESS: a working config, data directory, self-signed
// certificate, the admin's domain and account, and the DNS records to publish.
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sodium.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/dkim_setup.hpp"
#include "app/dns_records.hpp"
#include "core/tls.hpp"
#include "directory/address.hpp"

namespace letterhead::app {
namespace {

std::string random_password() {
  if (sodium_init() < 0) std::abort();
  // 20 characters from an alphabet without look-alikes (no 0/O, 1/l/I).
  static constexpr std::string_view alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out;
  for (int i = 0; i < 20; ++i) {
    out += alphabet[randombytes_uniform(static_cast<std::uint32_t>(alphabet.size()))];
  }
  // Make sure it passes the policy's character-class rule whatever was drawn.
  out[4] = '-';
  out[9] = '7';
  return out;
}

struct quickstart_options {
  std::string admin;
  std::string hostname;
  std::string data_dir = "data";
  bool password_stdin = false;
};

int quickstart(const globals& g, const quickstart_options& o) {
  auto admin = directory::parse_address(o.admin);
  if (!admin) return report(admin.error());
  const std::string path = config_path(g.config);
  if (std::filesystem::exists(path)) {
    return report(core::error{core::errc::exists,
                              fmt::format("'{}' exists already; quickstart does not overwrite it", path)});
  }
  const std::string hostname = o.hostname.empty() ? "mail." + admin->domain : o.hostname;
  std::string password;
  if (o.password_stdin) {
    auto p = read_password_stdin();
    if (!p) return report(p.error());
    password = std::move(*p);
  } else {
    password = random_password();
  }

  char date[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);
  const std::string text = fmt::format(
      "# Letterhead configuration, written by 'letterhead quickstart' on {}.\n"
      "# Every key is optional; see docs/configuration.md.\n"
      "hostname = \"{}\"\n"
      "data_dir = \"{}\"\n"
      "\n"
      "[listen]\n"
      "smtp = \"0.0.0.0:25\"\n"
      "submission = \"0.0.0.0:587\"\n"
      "submissions = \"0.0.0.0:465\"\n"
      "imap = \"0.0.0.0:143\"\n"
      "imaps = \"0.0.0.0:993\"\n"
      "pop3 = \"0.0.0.0:110\"\n"
      "pop3s = \"0.0.0.0:995\"\n"
      "\n"
      "# Without cert and key a self-signed certificate in data_dir/tls/ is used.\n"
      "# Point these at a CA-signed certificate (e.g. from Let's Encrypt) for production.\n"
      "[tls]\n",
      date, hostname, o.data_dir);
  {
    const auto parent = std::filesystem::absolute(path).parent_path();
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      return report(core::error{core::errc::io, fmt::format("cannot write '{}'", path)});
    }
  }
  auto ctx = open_context(path);
  if (!ctx) return report(ctx.error());
  auto tls = core::tls_contexts::load(ctx->config.tls, ctx->config.data_dir, ctx->config.hostname);
  if (!tls) return report(tls.error());
  if (auto d = ctx->directory->add_domain(admin->domain, "quickstart"); !d && d.error().code != core::errc::exists) {
    return report(d.error());
  }
  directory::new_user u;
  u.address = admin->str();
  u.display_name = "Administrator";
  u.password = password;
  if (auto a = ctx->directory->add_user(u, "quickstart"); !a) return report(a.error());
  (void)setup_domain_dkim(*ctx, admin->domain, "quickstart");

  std::cout << fmt::format(
      "Letterhead is set up / Letterhead 已配置完成\n\n"
      "  config / 配置文件:   {}\n"
      "  data / 数据目录:     {}\n"
      "  TLS certificate:     self-signed in {}/tls/ (replace with a CA-signed one for production)\n"
      "  admin / 管理员:      {}\n",
      path, ctx->config.data_dir, ctx->config.data_dir, u.address);
  if (!o.password_stdin) {
    std::cout << fmt::format("  password / 密码:     {}   (shown once: store it safely / 仅显示一次，请妥善保存)\n",
                             password);
  }
  std::cout << "\nStart the server / 启动服务:  letterhead --config " << path << " serve\n\n";
  auto dkim_keys = ctx->store->list_dkim_keys(admin->domain);
  std::cout << dns_records(admin->domain, hostname, dkim_keys ? *dkim_keys : std::vector<store::dkim_key>{},
                           static_cast<std::int64_t>(now));
  return 0;
}

}  // namespace

void add_quickstart_command(CLI::App& app, globals& g) {
  auto o = std::make_shared<quickstart_options>();
  auto* qs = app.add_subcommand("quickstart", "write a config, data directory, certificate and admin account");
  qs->add_option("ADMIN_ADDRESS", o->admin, "the administrator's address, e.g. admin@example.com")->required();
  qs->add_option("--hostname", o->hostname, "this server's name (default: mail.DOMAIN)");
  qs->add_option("--data-dir", o->data_dir, "data directory, relative to the config file (default: data)");
  qs->add_flag("--password-stdin", o->password_stdin, "read the admin password from standard input");
  qs->callback([&g, o] { g.status = quickstart(g, *o); });
}

}  // namespace letterhead::app
