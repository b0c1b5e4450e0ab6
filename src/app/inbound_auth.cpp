#include "app/inbound_auth.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "mailauth/arc_verify.hpp"
#include "mailauth/authentication_results.hpp"
#include "mailauth/dkim_verify.hpp"
#include "mailauth/dmarc.hpp"
#include "mailauth/dns_txt.hpp"
#include "mailauth/spf.hpp"

namespace letterhead::app {

using smtp::server::inspection;
using smtp::server::refusal;

namespace {

bool is_loopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

}  // namespace

inbound_auth::inbound_auth(std::unique_ptr<dns::resolver> resolver, mailauth::public_suffix_list psl,
                           directory::directory& dir, inbound_auth_options options)
    : resolver_(std::move(resolver)), psl_(std::move(psl)), directory_(dir), options_(std::move(options)) {}

core::result<std::shared_ptr<inbound_auth>> inbound_auth::create(const core::config& cfg, directory::directory& dir) {
  if (!cfg.auth.enabled) return std::shared_ptr<inbound_auth>();
  dns::options o;
  o.servers = cfg.dns.servers;
  o.trust_anchor_file = cfg.dns.trust_anchor;
  o.timeout = cfg.dns.timeout;
  auto resolver = dns::make_resolver(o);
  if (!resolver) return std::unexpected(resolver.error());
  auto psl = mailauth::public_suffix_list::load(cfg.auth.public_suffix_list);
  if (!psl) return std::unexpected(psl.error());
  inbound_auth_options options;
  options.authserv_id = cfg.auth.authserv_id.empty() ? cfg.hostname : cfg.auth.authserv_id;
  options.trust_loopback = cfg.auth.trust_loopback;
  options.defer_on_temperror = cfg.auth.on_temperror == "defer";
  return std::make_shared<inbound_auth>(std::move(*resolver), std::move(*psl), dir, std::move(options));
}

core::result<inspection> inbound_auth::judge(const smtp::server::envelope& env, std::string& message,
                                             auth_outcome& out) {
  inspection verdict;
  if (env.kind != smtp::server::listener_kind::mx || env.authenticated) return verdict;
  if (options_.trust_loopback && is_loopback(env.client_ip)) return verdict;

  // RFC 7208 §2.3/§2.4: MAIL FROM, or HELO for the null reverse-path.
  mailauth::spf_options spf_opts;
  spf_opts.receiver = options_.authserv_id;
  const auto spf = mailauth::verify_spf(*resolver_, env.client_ip, env.mail_from, env.helo, spf_opts);
  out.spf = mailauth::to_string(spf.result);

  // RFC 6376 §6, on the message as received (before we touch its header).
  const auto txt = mailauth::dns_txt_lookup(*resolver_);
  const auto dkim = mailauth::verify_dkim(message, txt);
  std::vector<std::string> pass_domains;
  for (const auto& s : dkim.signatures) {
    if (s.result == mailauth::dkim_result::pass) pass_domains.push_back(directory::lower_ascii(s.domain));
  }
  if (dkim.signatures.empty()) {
    out.dkim = "none";
  } else if (!pass_domains.empty()) {
    out.dkim = "pass";
  } else {
    out.dkim = mailauth::to_string(dkim.signatures.front().result);
  }

  // RFC 8617 §5.2: informational for now (the filters may weigh it); it overrides no
  // DMARC verdict.
  const auto arc = mailauth::verify_arc(message, txt);
  out.arc = mailauth::to_string(arc.result);

  // RFC 7489 §6.6.1: the author domain.
  const auto author = mailauth::find_author_domain(message);
  out.from_domain = author.domain;
  mailauth::dmarc_outcome dmarc;
  if (author.result == mailauth::author_domain::status::ok) {
    mailauth::dmarc_input in;
    in.from_domain = author.domain;
    in.spf = spf.result;
    in.spf_domain = spf.domain;
    in.spf_is_mailfrom = spf.identity == "mailfrom";
    in.dkim_pass_domains = pass_domains;
    mailauth::dmarc_options dopts;
    dopts.percent = options_.dmarc_percent;
    dmarc = mailauth::evaluate_dmarc(txt, psl_, in, dopts);
    out.dkim_aligned = dmarc.dkim_aligned;
    // Alignment is reported even without a DMARC record (relaxed, §3.1), for the
    // own-domain rule below and the filters.
    if (!dmarc.dkim_aligned) {
      for (const auto& d : pass_domains) {
        if (mailauth::aligned(psl_, d, author.domain, false)) out.dkim_aligned = true;
      }
    }
    out.dmarc = mailauth::to_string(dmarc.result);
    if (dmarc.result == mailauth::dmarc_result::pass || dmarc.result == mailauth::dmarc_result::fail) {
      out.dmarc_policy = mailauth::to_string(dmarc.disposition);
    }
    auto ours = directory_.is_local_domain(author.domain);
    if (!ours) return std::unexpected(ours.error());
    out.from_is_ours = *ours;
  } else {
    dmarc.reason = author.result == mailauth::author_domain::status::several ? "several From domains" : "no From domain";
    out.dmarc = "permerror";
  }

  // RFC 8601 §5: fields claiming to be ours were not written by us.
  const auto forged = mailauth::remove_authentication_results(message, options_.authserv_id);
  std::vector<std::string> results;
  results.push_back(mailauth::format_result(spf));
  if (dkim.signatures.empty()) results.emplace_back("dkim=none");
  for (const auto& s : dkim.signatures) results.push_back(mailauth::format_result(s));
  if (author.result == mailauth::author_domain::status::ok) {
    results.push_back(mailauth::format_result(dmarc));
  } else {
    results.push_back(fmt::format("dmarc=permerror ({})", dmarc.reason));
  }
  results.push_back(mailauth::format_result(arc));
  message.insert(0, mailauth::make_authentication_results(options_.authserv_id, results));
  spdlog::info("auth: client {} from <{}> header.from={} spf={} dkim={} dmarc={} policy={} arc={}{}",
               env.client_ip, env.mail_from, out.from_domain, out.spf, out.dkim, out.dmarc, out.dmarc_policy, out.arc,
               forged > 0 ? fmt::format(" (removed {} forged Authentication-Results)", forged) : std::string());

  const auto defer = [&](std::string why) -> core::result<inspection> {
    if (!options_.defer_on_temperror) return verdict;
    // RFC 7208 §8.6: a DNS failure is answered with 451 4.4.3.
    verdict.refuse = refusal{451, "4.4.3", std::move(why)};
    return verdict;
  };

  if (author.result != mailauth::author_domain::status::ok) {
    verdict.refuse = refusal{550, "5.7.1",
                             author.result == mailauth::author_domain::status::several
                                 ? "Message has several From addresses in different domains or several From "
                                   "fields (RFC 7489 section 6.6.1)"
                                 : "Message has no From address (RFC 5322 section 3.6)"};
    return verdict;
  }
  const bool spf_aligned = spf.result == mailauth::spf_result::pass && spf.identity == "mailfrom" &&
                           mailauth::aligned(psl_, spf.domain, author.domain, false);
  if (dmarc.result == mailauth::dmarc_result::temperror) {
    return defer(fmt::format("Temporary DNS failure looking up the DMARC policy of {}, try again later",
                             author.domain));
  }
  if (dmarc.result == mailauth::dmarc_result::fail && dmarc.disposition != mailauth::dmarc_policy::none &&
      spf.result == mailauth::spf_result::temperror) {
    // SPF might have passed and aligned: do not punish a DNS failure.
    return defer(fmt::format("Temporary DNS failure checking SPF for {}, try again later", spf.domain));
  }
  if (dmarc.result == mailauth::dmarc_result::fail && dmarc.disposition == mailauth::dmarc_policy::reject) {
    // RFC 7489 §6.6.4 / §10.3: reject at SMTP time with 5.7.1.
    verdict.refuse = refusal{550, "5.7.1",
                             fmt::format("Message rejected by the DMARC policy of {}: From domain not authenticated",
                                         author.domain)};
    return verdict;
  }
  if (out.from_is_ours && !spf_aligned && !out.dkim_aligned) {
    if (spf.result == mailauth::spf_result::temperror) {
      return defer(fmt::format("Temporary DNS failure checking SPF for {}, try again later", spf.domain));
    }
    verdict.refuse = refusal{550, "5.7.1",
                             fmt::format("Mail from {} must come from its own servers: sender not authenticated",
                                         author.domain)};
    return verdict;
  }
  if (dmarc.result == mailauth::dmarc_result::fail && dmarc.disposition == mailauth::dmarc_policy::quarantine) {
    verdict.junk = true;
  }
  return verdict;
}

}  // namespace letterhead::app
