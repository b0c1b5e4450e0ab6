// letterhead dkim generate|list|rotate|sign|verify: DKIM keys of our domains
// (RFC 6376, RFC 8463), kept in the store; sign and verify are for admins checking
// a setup (`dkim sign DOMAIN < msg`, `dkim verify [--txt NAME=RECORD] < msg`).
#include <iostream>
#include <iterator>
#include <map>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/dkim_setup.hpp"
#include "dns/resolver.hpp"
#include "mailauth/dkim_keys.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dns_txt.hpp"

namespace letterhead::app {

namespace {

std::string read_stdin() {
  std::cin >> std::noskipws;
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

void print_key(const store::dkim_key& k) {
  const bool active = k.status == store::dkim_key::state::active;
  std::cout << fmt::format("{}\t{}\t{}\t{}\t{}\t{}\t{}\n", k.domain, k.selector, k.algorithm,
                           active ? "active" : "retired", format_date(k.created),
                           active ? "-" : format_date(k.retired), mailauth::dns_record_text(k));
}

core::result<void> check_local_domain(context& ctx, const std::string& domain) {
  auto local = ctx.directory->is_local_domain(domain);
  if (!local) return std::unexpected(local.error());
  if (!*local) return core::fail(core::errc::not_found, fmt::format("{} is not one of our domains", domain));
  return {};
}

}  // namespace

void add_dkim_commands(CLI::App& app, globals& g) {
  auto* dkim = app.add_subcommand("dkim", "DKIM signing keys / DKIM 签名密钥");
  dkim->require_subcommand(1);

  struct key_opts {
    std::string domain, prefix;
  };
  auto gen = std::make_shared<key_opts>();
  auto* generate = dkim->add_subcommand("generate", "create an RSA-2048 and an Ed25519 key for DOMAIN");
  generate->add_option("DOMAIN", gen->domain)->required();
  generate->add_option("--selector", gen->prefix,
                       "selector prefix: keys get PREFIXr (RSA) and PREFIXe (Ed25519); default lhYYYYMM");
  generate->callback([&g, gen] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto ok = check_local_domain(*ctx, gen->domain); !ok) { g.status = report(ok.error()); return; }
    auto keys = mailauth::create_domain_keys(*ctx->store, gen->domain, {.selector_prefix = gen->prefix, .now = 0});
    if (!keys) { g.status = report(keys.error()); return; }
    std::string detail = (*keys)[0].domain;
    for (const auto& k : *keys) detail += fmt::format(" {} {}", k.selector, k.algorithm);
    (void)ctx->store->audit("cli", "dkim.generate", detail);
    for (const auto& k : *keys) print_key(k);
  });

  auto list_domain = std::make_shared<std::string>();
  auto* list = dkim->add_subcommand(
      "list", "list keys: domain, selector, algorithm, status, created, retired, DNS record");
  list->add_option("DOMAIN", *list_domain, "only this domain");
  list->callback([&g, list_domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto keys = ctx->store->list_dkim_keys(*list_domain);
    if (!keys) { g.status = report(keys.error()); return; }
    for (const auto& k : *keys) print_key(k);
  });

  auto rot = std::make_shared<key_opts>();
  auto* rotate = dkim->add_subcommand("rotate", "new key pair for DOMAIN; the old keys are retired (still listed)");
  rotate->add_option("DOMAIN", rot->domain)->required();
  rotate->add_option("--selector", rot->prefix, "selector prefix of the new keys (default lhYYYYMM)");
  rotate->callback([&g, rot] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    if (auto ok = check_local_domain(*ctx, rot->domain); !ok) { g.status = report(ok.error()); return; }
    auto r = mailauth::rotate_domain_keys(*ctx->store, rot->domain, {.selector_prefix = rot->prefix, .now = 0});
    if (!r) { g.status = report(r.error()); return; }
    std::string detail = r->added[0].domain;
    for (const auto& k : r->added) detail += fmt::format(" +{}", k.selector);
    for (const auto& k : r->retired) detail += fmt::format(" -{}", k.selector);
    (void)ctx->store->audit("cli", "dkim.rotate", detail);
    for (const auto& k : r->added) print_key(k);
    for (const auto& k : r->retired) print_key(k);
  });

  auto sign_domain = std::make_shared<std::string>();
  auto* sign = dkim->add_subcommand("sign", "sign the message on standard input with DOMAIN's active keys");
  sign->add_option("DOMAIN", *sign_domain)->required();
  sign->callback([&g, sign_domain] {
    auto ctx = open_context(config_path(g.config));
    if (!ctx) { g.status = report(ctx.error()); return; }
    auto signer = mailauth::signer_for_domain(*ctx->store, *sign_domain);
    if (!signer) { g.status = report(signer.error()); return; }
    const std::string message = read_stdin();
    auto fields = signer->sign(message);
    if (!fields) { g.status = report(fields.error()); return; }
    // Keep the input's line ends: a file with LF ends gets LF-ended signature fields.
    std::string head = std::move(*fields);
    if (message.find("\r\n") == std::string::npos && message.find('\n') != std::string::npos) {
      std::string lf;
      for (char c : head) {
        if (c != '\r') lf.push_back(c);
      }
      head = std::move(lf);
    }
    std::cout << head << message << std::flush;
  });

  auto txt = std::make_shared<std::vector<std::string>>();
  auto* verify = dkim->add_subcommand(
      "verify", "verify the DKIM signatures of the message on standard input (exit 0 if one passes)");
  verify->add_option("--txt", *txt,
                     "NAME=RECORD: answer TXT lookups of NAME with RECORD instead of asking DNS "
                     "(e.g. sel._domainkey.example.com=\"v=DKIM1; p=...\"); repeatable");
  verify->callback([&g, txt] {
    std::map<std::string, std::vector<std::string>> fixed;
    for (const auto& t : *txt) {
      const auto eq = t.find('=');
      if (eq == std::string::npos) {
        g.status = report(core::error{core::errc::invalid, "--txt wants NAME=RECORD"});
        return;
      }
      std::string name = t.substr(0, eq);
      if (!name.empty() && name.back() == '.') name.pop_back();
      fixed[name].push_back(t.substr(eq + 1));
    }
    mailauth::txt_lookup lookup;
    std::unique_ptr<dns::resolver> resolver;
    if (!fixed.empty()) {
      lookup = [&fixed](std::string_view name) {
        auto it = fixed.find(std::string(name));
        if (it == fixed.end()) return mailauth::txt_answer{mailauth::txt_answer::status::not_found, {}, "not given"};
        return mailauth::txt_answer{mailauth::txt_answer::status::ok, it->second, ""};
      };
    } else {
      dns::options o;
      if (auto cfg = read_config(config_path(g.config))) {
        o.servers = cfg->dns.servers;
        o.trust_anchor_file = cfg->dns.trust_anchor;
        o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg->dns.timeout);
      }
      auto r = dns::make_resolver(o);
      if (!r) { g.status = report(r.error()); return; }
      resolver = std::move(*r);
      lookup = mailauth::dns_txt_lookup(*resolver);
    }
    const std::string message = read_stdin();
    const auto v = mailauth::verify_dkim(message, lookup);
    if (v.signatures.empty()) std::cout << "dkim=none\n";
    for (const auto& s : v.signatures) std::cout << mailauth::format_result(s) << "\n";
    if (v.skipped > 0) std::cout << fmt::format("; {} more signatures not checked\n", v.skipped);
    g.status = v.any_pass() ? 0 : 1;
  });
}

}  // namespace letterhead::app
