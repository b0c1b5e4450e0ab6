#include "app/inbound_filter.hpp"

#include <ctime>
#include <random>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/bayes_trainer.hpp"
#include "filter/blocklists.hpp"
#include "filter/rspamd.hpp"
#include "filter/virus_scope.hpp"
#include "mime/address.hpp"
#include "mime/body.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"

namespace letterhead::app {

using smtp::server::inspection;
using smtp::server::listener_kind;
using smtp::server::refusal;

namespace {

bool is_loopback(std::string_view ip) {
  return ip.starts_with("127.") || ip == "::1" || ip.starts_with("::ffff:127.");
}

// A fresh multipart boundary (RFC 2046 §5.1.1): random, so no message contains it.
std::string make_boundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("=_letterhead_banner_{:016x}{:016x}", rng(), rng());
}

}  // namespace

core::result<std::unique_ptr<inbound_filter>> inbound_filter::create(const core::config& cfg,
                                                                    std::shared_ptr<dns::resolver> resolver,
                                                                    directory::directory* dir) {
  std::unique_ptr<inbound_filter> f(new inbound_filter());
  f->cfg_ = cfg;
  f->resolver_ = std::move(resolver);
  f->directory_ = dir;
  {
    // The organisational domain (RFC 7489 §3.2) for URI blocklists and lookalikes; a
    // missing list falls back to two labels and leaves lookalike checks on the
    // whole name.
    auto psl = mailauth::public_suffix_list::load(cfg.auth.public_suffix_list);
    if (psl) {
      f->psl_ = std::make_unique<mailauth::public_suffix_list>(std::move(*psl));
    } else {
      spdlog::warn("public suffix list: {}", psl.error().message);
      f->psl_ = std::make_unique<mailauth::public_suffix_list>(mailauth::public_suffix_list::parse(""));
    }
  }
  for (const auto& [name, weight] : cfg.spam.rules) {
    if (!filter::known_rule(name)) {
      return core::fail(core::errc::invalid, fmt::format("{}: [spam.rules] has no rule named '{}'", cfg.path, name));
    }
  }
  filter::scoring_options so;
  so.junk_score = cfg.spam.junk_score;
  so.reject_score = cfg.spam.reject_score;
  so.weights = cfg.spam.rules;
  f->engine_ = std::make_unique<filter::engine>(std::move(so));
  f->engine_->add_source(filter::make_auth_rules());
  f->engine_->add_source(filter::make_content_rules());
  if (f->resolver_) {
    f->engine_->add_source(filter::make_dnsbl_rules(*f->resolver_, cfg.spam.dnsbl));
    f->engine_->add_source(filter::make_uribl_rules(*f->resolver_, cfg.spam.uribl, cfg.spam.max_uri_lookups,
                                                          f->psl_->size() != 0 ? f->psl_.get() : nullptr));
  }
  if (cfg.spam.bayes && dir != nullptr) {
    f->engine_->add_source(filter::make_bayes_rules(dir->store(), bayes_options_from(cfg)));
  }
  if (!cfg.spam.rspamd.empty()) {
    filter::rspamd_options ro;
    if (auto u = filter::parse_rspamd_url(cfg.spam.rspamd, ro); !u) {
      return core::fail(core::errc::invalid, fmt::format("{}: [spam] rspamd: {}", cfg.path, u.error().message));
    }
    ro.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.spam.rspamd_timeout);
    ro.weight = cfg.spam.rspamd_weight;
    ro.reject = cfg.spam.rspamd_reject;
    f->engine_->add_source(filter::make_rspamd_rules(std::move(ro)));
  }

  const auto& a = cfg.attachments;
  f->attachments_.blocked_extensions = a.blocked_extensions;
  f->attachments_.block_double_extensions = a.block_double_extensions;
  f->attachments_.scan_archives = a.scan_archives;
  f->attachments_.refuse_encrypted_archives = a.encrypted_archives == "refuse";
  f->attachments_.archives = filter::archive_limits{a.archive_max_entries, a.archive_max_depth, a.archive_max_bytes};

  if (!cfg.antivirus.clamd.empty()) {
    auto addr = filter::parse_clamd_address(cfg.antivirus.clamd);
    if (!addr) return std::unexpected(core::error{core::errc::invalid, "[antivirus] clamd: " + addr.error().message});
    filter::clamd_options o;
    o.address = std::move(*addr);
    o.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.antivirus.timeout);
    o.chunk_size = cfg.antivirus.chunk_size;
    f->clamd_ = std::move(o);
  }
  // Built now rather than by the first message, which would otherwise wait for the
  // employees' names to be read and transliterated.
  if (cfg.impersonation.enabled && dir != nullptr) {
    if (auto g = f->guard(); !g) spdlog::warn("impersonation: {}", g.error().message);
  }
  return f;
}

core::result<std::shared_ptr<const filter::impersonation_guard>> inbound_filter::guard() {
  std::scoped_lock lock(guard_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (guard_ && now - guard_loaded_ < cfg_.impersonation.refresh) return guard_;
  filter::impersonation_people people;
  auto accounts = directory_->store().list_accounts("");
  if (!accounts) return std::unexpected(accounts.error());
  for (auto& a : *accounts) {
    if (!a.display_name.empty() && !a.disabled) people.display_names.push_back(std::move(a.display_name));
  }
  auto domains = directory_->list_domains();
  if (!domains) return std::unexpected(domains.error());
  for (auto& d : *domains) people.domains.push_back(std::move(d.name));
  guard_ = std::make_shared<const filter::impersonation_guard>(people, *psl_);
  guard_loaded_ = now;
  return guard_;
}

// Mail is trusted, and not checked, when an account of ours submitted it, or when
// its From is one of our domains and DMARC passed (or it came from a trusted
// loopback client, which the authentication step does not judge).
core::result<std::vector<filter::impersonation_match>> inbound_filter::check_impersonation(
    const smtp::server::envelope& env, std::string_view message, const mime::message& parsed,
    const auth_outcome& auth) {
  std::vector<filter::impersonation_match> none;
  if (env.authenticated || parsed.parts.empty()) return none;
  const auto* from = mime::find_field(message, parsed.root().fields, "From");
  if (from == nullptr) return none;
  const auto list = mime::parse_address_list(mime::slice(message, from->value));
  if (list.mailboxes.empty()) return none;
  const auto& box = list.mailboxes.front();
  auto g = guard();
  if (!g) return std::unexpected(g.error());
  const bool ours = (*g)->is_our_domain(box.domain);
  if (ours && (auth.dmarc == "pass" || (cfg_.auth.trust_loopback && is_loopback(env.client_ip)))) return none;
  return (*g)->check(box.display_name, box.domain);
}

core::result<inspection> inbound_filter::judge(const smtp::server::envelope& env, std::string& message,
                                               const auth_outcome& auth) {
  inspection verdict;
  const bool mx = env.kind == listener_kind::mx;
  std::string added;  // header fields to put on top

  if (mx) {
    // Verdict fields are ours alone: a sender's "X-Spam-Flag: NO" must not survive.
    filter::remove_fields(message, {"X-Spam-Flag", "X-Spam-Score", "X-Spam-Status", "X-Virus-Scanned",
                                    "X-Attachment-Warning"});
  }
  // Our warning is shown by the webmail as ours: nobody may send one in.
  filter::remove_fields(message, {filter::warning_field_name});
  const auto parsed = mime::parse(message, mime::parse_limits::from_config(cfg_.limits));

  if (cfg_.attachments.enabled) {
    const auto report = filter::inspect_attachments(message, parsed, attachments_);
    if (report.refusal) {
      verdict.refuse = refusal{554, "5.7.1", *report.refusal};
      return verdict;
    }
    for (const auto& w : report.warnings) added += fmt::format("X-Attachment-Warning: {}\r\n", w);
  }

  const auto plan = clamd_ && cfg_.antivirus.scan == "attachments" ? filter::plan_virus_scan(message, parsed)
                                                                      : filter::virus_scan_plan{};
  if (clamd_ && plan.what == filter::virus_scan_plan::scope::skip) {
    added += "X-Virus-Scanned: not needed (plain text only)\r\n";
  } else if (clamd_) {
    std::string where;
    auto scan_parts = [&](const std::vector<std::size_t>& parts) {
      std::vector<std::string> decoded;
      decoded.reserve(parts.size());
      for (const auto i : parts) decoded.push_back(mime::decoded_body(message, parsed.parts[i]));
      const std::vector<std::string_view> streams(decoded.begin(), decoded.end());
      auto r = filter::clamd_scan_each(*clamd_, streams);
      // The part's index, not its file name: a sender's bytes stay out of the log.
      if (r && r->infected) where = fmt::format(" (part {})", parts[r->stream]);
      return r;
    };
    core::result<filter::scan_result> scanned;
    if (plan.what == filter::virus_scan_plan::scope::parts) {
      scanned = scan_parts(plan.parts);
    } else {
      scanned = filter::clamd_scan(*clamd_, message);
      // Too large as a whole: a message read completely and plainly is scanned leaf
      // by leaf, so that one large file does not keep the others from clamd.
      if (!scanned && scanned.error().code == core::errc::limit) {
        const auto whole_plan = cfg_.antivirus.scan == "attachments" ? plan : filter::plan_virus_scan(message, parsed);
        if (const auto leaves = filter::leaf_parts(parsed); whole_plan.plain && !leaves.empty()) {
          scanned = scan_parts(leaves);
        }
      }
    }
    if (scanned && scanned->infected) {
      spdlog::info("virus {} in message{} from <{}> ({})", scanned->signature, where, env.mail_from,
                   env.client_ip);
      verdict.refuse = refusal{554, "5.7.0", fmt::format("Message refused: virus found ({})", scanned->signature)};
      return verdict;
    }
    if (!scanned && scanned.error().code == core::errc::limit) {
      // Something could not be scanned and a retry would meet the same limit: so not
      // 451 but, under the default on_failure, a permanent refusal the sender can
      // act on (padding a file past clamd's limit must not let it through); under
      // "accept", the message is accepted and says it was not scanned.
      spdlog::info("message from <{}> ({}) too large to scan: {}", env.mail_from, env.client_ip,
                   scanned.error().message);
      if (cfg_.antivirus.on_failure == "tempfail") {
        verdict.refuse = refusal{552, "5.3.4", "Message too large for the virus scanner"};
        return verdict;
      }
      added += "X-Virus-Scanned: no (too large for the scanner)\r\n";
    } else if (!scanned) {
      spdlog::warn("virus scan failed: {}", scanned.error().message);
      if (cfg_.antivirus.on_failure == "tempfail") {
        verdict.refuse = refusal{451, "4.7.0", "Virus scanner unavailable, try again later"};
        return verdict;
      }
      added += "X-Virus-Scanned: no (scanner unavailable)\r\n";
    } else {
      added += "X-Virus-Scanned: clean (ClamAV)\r\n";
    }
  }

  std::vector<filter::impersonation_match> impersonation;
  std::vector<filter::finding> impersonation_findings;
  if (mx && cfg_.impersonation.enabled && directory_ != nullptr) {
    auto found = check_impersonation(env, message, parsed, auth);
    if (!found) return std::unexpected(found.error());
    impersonation = std::move(*found);
    for (const auto& m : impersonation) impersonation_findings.push_back({m.rule, m.detail, {}});
    if (!impersonation.empty()) {
      spdlog::info("impersonation warning for mail from <{}> ({}): {}", env.mail_from, env.client_ip,
                   impersonation.front().rule);
    }
  }

  if (mx && cfg_.spam.enabled) {
    filter::message_input in;
    in.extra = &impersonation_findings;
    in.bytes = message;
    in.parsed = &parsed;
    in.client_ip = env.client_ip;
    in.helo = env.helo;
    in.mail_from = env.mail_from;
    for (const auto& r : env.recipients) in.recipients.push_back(r.address);
    in.auth = filter::auth_results{auth.spf, auth.dkim, auth.dkim_aligned, auth.dmarc, auth.arc, auth.from_is_ours};
    in.now = static_cast<std::int64_t>(std::time(nullptr));
    const auto v = engine_->judge(in);
    std::string rules;
    for (std::size_t i = 0; i < v.hits.size() && i < 8; ++i) rules += (i == 0 ? "" : ",") + v.hits[i].rule;
    if (v.act == filter::action::reject) {
      spdlog::info("spam refused from <{}> ({}): score {:.1f} {}", env.mail_from, env.client_ip, v.score, rules);
      verdict.refuse = refusal{550, "5.7.1",
                               fmt::format("Message refused as spam (score {:.1f}, limit {:.1f}: {})", v.score,
                                           engine_->options().reject_score, rules)};
      return verdict;
    }
    verdict.junk = v.act == filter::action::junk;
    if (cfg_.spam.add_headers) added += filter::spam_headers(v, engine_->options());
  }

  if (!impersonation.empty()) {
    added += filter::warning_field(impersonation);
    // The banner changes the body: after every check that read it (DKIM ran in the
    // authentication step, before this).
    if (cfg_.impersonation.banner) {
      message = filter::wrap_with_banner(message, filter::warning_text(impersonation) + "\r\n", make_boundary());
    }
  }

  if (!added.empty()) message.insert(0, added);
  return verdict;
}

}  // namespace letterhead::app
