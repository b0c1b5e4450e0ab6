#include "app/inbound_filter.hpp"

#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "filter/blocklists.hpp"
#include "mime/parser.hpp"

namespace letterhead::app {

using smtp::server::inspection;
using smtp::server::listener_kind;
using smtp::server::refusal;

core::result<std::unique_ptr<inbound_filter>> inbound_filter::create(const core::config& cfg,
                                                                    std::shared_ptr<dns::resolver> resolver) {
  std::unique_ptr<inbound_filter> f(new inbound_filter());
  f->cfg_ = cfg;
  f->resolver_ = std::move(resolver);
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
    f->engine_->add_source(filter::make_uribl_rules(*f->resolver_, cfg.spam.uribl, cfg.spam.max_uri_lookups));
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
  return f;
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
  const auto parsed = mime::parse(message, mime::parse_limits::from_config(cfg_.limits));

  if (cfg_.attachments.enabled) {
    const auto report = filter::inspect_attachments(message, parsed, attachments_);
    if (report.refusal) {
      verdict.refuse = refusal{554, "5.7.1", *report.refusal};
      return verdict;
    }
    for (const auto& w : report.warnings) added += fmt::format("X-Attachment-Warning: {}\r\n", w);
  }

  if (clamd_) {
    const auto scanned = filter::clamd_scan(*clamd_, message);
    if (scanned && scanned->infected) {
      spdlog::info("virus {} in message from <{}> ({})", scanned->signature, env.mail_from, env.client_ip);
      verdict.refuse = refusal{554, "5.7.0", fmt::format("Message refused: virus found ({})", scanned->signature)};
      return verdict;
    }
    if (!scanned) {
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

  if (mx && cfg_.spam.enabled) {
    filter::message_input in;
    in.bytes = message;
    in.parsed = &parsed;
    in.client_ip = env.client_ip;
    in.helo = env.helo;
    in.mail_from = env.mail_from;
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

  if (!added.empty()) message.insert(0, added);
  return verdict;
}

}  // namespace letterhead::app
