#include "filter/scoring.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "mime/header.hpp"

namespace letterhead::filter {

const std::vector<rule_info>& builtin_rules() {
  // Weights in SpamAssassin's spirit: no single ordinary rule reaches the junk
  // threshold (6) alone; GTUBE is the test string that must always be caught.
  static const std::vector<rule_info> rules{
      {"GTUBE", 1000, "the GTUBE anti-spam test string"},
      {"SPF_FAIL", 2.0, "SPF result fail (RFC 7208 §2.6.4)"},
      {"SPF_SOFTFAIL", 1.0, "SPF result softfail (RFC 7208 §2.6.5)"},
      {"DKIM_FAIL", 1.5, "a DKIM signature failed verification and none passed"},
      {"DKIM_NONE", 0.5, "no DKIM signature"},
      {"DMARC_FAIL", 3.0, "DMARC result fail (RFC 7489)"},
      {"ARC_FAIL", 1.0, "ARC chain validation failed (RFC 8617)"},
      {"RCVD_IN_DNSBL", 4.0, "the client's IP address is listed in a DNS blocklist"},
      {"URIBL_LISTED", 4.0, "a link's domain is listed in a domain blocklist"},
      {"MISSING_DATE", 1.0, "no Date field (RFC 5322 §3.6)"},
      {"INVALID_DATE", 1.0, "a Date field that does not parse"},
      {"DATE_IN_FUTURE", 2.0, "Date more than a day ahead"},
      {"DATE_IN_PAST", 1.0, "Date more than 30 days ago"},
      {"MISSING_MESSAGE_ID", 1.0, "no Message-ID field"},
      {"MISSING_FROM", 2.5, "no From field (RFC 5322 §3.6)"},
      {"FROM_NO_DOMAIN", 2.5, "a From address without a domain"},
      {"MULTIPLE_FROM", 1.0, "more than one From field"},
      {"MISSING_SUBJECT", 0.5, "no Subject field"},
      {"MIME_HTML_ONLY", 0.7, "HTML body without a text alternative"},
      {"HTML_HIDDEN_TEXT", 1.5, "HTML that hides text (display:none, font-size:0, ...)"},
      {"MIME_MALFORMED", 1.5, "broken MIME structure (bad Content-Type, missing boundaries)"},
      {"MIME_TRUNCATED", 2.0, "MIME structure beyond the parser's limits"},
      {"BAYES_00", -1.5, "Bayesian spam probability below 1% (filter/bayes.hpp)"},
      {"BAYES_05", -0.5, "Bayesian spam probability 1 to 5%"},
      {"BAYES_80", 2.0, "Bayesian spam probability 80 to 95%"},
      {"BAYES_95", 3.0, "Bayesian spam probability 95 to 99%"},
      {"BAYES_99", 4.5, "Bayesian spam probability 99% or more"},
      {"RSPAMD", 1.0, "rspamd's score, times [spam] rspamd_weight (filter/rspamd.hpp)"},
      {"RSPAMD_REJECT", 1000, "rspamd's action is reject and [spam] rspamd_reject is on"},
      {"IMPERSONATION_NAME", 4.0, "outside mail whose From name is a colleague's (filter/impersonation.hpp)"},
      {"LOOKALIKE_DOMAIN", 5.0, "a From domain that imitates one of ours (confusables, one edit, IDN)"},
  };
  return rules;
}

bool known_rule(std::string_view name) {
  const auto& rules = builtin_rules();
  return std::ranges::any_of(rules, [&](const rule_info& r) { return r.name == name; });
}

double engine::weight_of(const std::string& rule) const {
  if (auto it = options_.weights.find(rule); it != options_.weights.end()) return it->second;
  for (const auto& r : builtin_rules()) {
    if (r.name == rule) return r.weight;
  }
  return 0;
}

const std::vector<detail::text_part>& message_input::texts() const {
  const bool same = texts_ && texts_parsed_ == parsed && texts_of_.data() == bytes.data() &&
                    texts_of_.size() == bytes.size();
  if (!same) {
    texts_ = parsed != nullptr ? detail::readable_texts(bytes, *parsed) : std::vector<detail::text_part>{};
    texts_of_ = bytes;
    texts_parsed_ = parsed;
  }
  return *texts_;
}

verdict engine::judge(const message_input& in) const {
  std::vector<finding> found;
  for (const auto& s : sources_) s->evaluate(in, found);
  if (in.extra != nullptr) found.insert(found.end(), in.extra->begin(), in.extra->end());
  verdict v;
  for (auto& f : found) {
    const double score = f.score ? *f.score : weight_of(f.rule);
    if (score == 0 || !std::isfinite(score)) continue;  // a weight of 0 turns a rule off
    v.score += score;
    v.hits.push_back(rule_hit{std::move(f.rule), score, std::move(f.detail)});
  }
  std::ranges::sort(v.hits, [](const rule_hit& a, const rule_hit& b) {
    return a.score != b.score ? a.score > b.score : a.rule < b.rule;
  });
  if (options_.reject_score > 0 && v.score >= options_.reject_score) {
    v.act = action::reject;
  } else if (v.score >= options_.junk_score) {
    v.act = action::junk;
  }
  return v;
}

namespace {

std::string format_score(double s) {
  auto text = fmt::format("{:.1f}", s);
  if (text == "-0.0") text = "0.0";
  return text;
}

// Appends `word` to a header being built, folding (RFC 5322 §2.2.3) before the
// line would pass 78 characters.
void append_folded(std::string& out, std::size_t& column, std::string_view word, std::string_view separator) {
  if (column + separator.size() + word.size() > 76) {
    out += separator;
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\r\n\t";
    column = 8;
  } else {
    out += separator;
    column += separator.size();
  }
  out += word;
  column += word.size();
}

std::string sanitize_detail(std::string_view d) {
  std::string out;
  for (const char c : d.substr(0, 60)) {
    const auto u = static_cast<unsigned char>(c);
    // Only what can sit inside tests=[...] without breaking the field.
    out += (u > 0x20 && u < 0x7f && c != ',' && c != ']' && c != '[') ? c : '_';
  }
  return out;
}

}  // namespace

std::string spam_headers(const verdict& v, const scoring_options& o) {
  const bool spam = v.act != action::accept;
  std::string out;
  out += fmt::format("X-Spam-Flag: {}\r\n", spam ? "YES" : "NO");
  out += fmt::format("X-Spam-Score: {}\r\n", format_score(v.score));
  std::string status = fmt::format("X-Spam-Status: {}, score={} required={}", spam ? "Yes" : "No",
                                   format_score(v.score), format_score(o.junk_score));
  std::size_t column = status.size();
  if (o.reject_score > 0) {
    append_folded(status, column, fmt::format("reject={}", format_score(o.reject_score)), " ");
  }
  if (v.hits.empty()) append_folded(status, column, "tests=none", " ");
  bool first = true;
  for (const auto& h : v.hits) {
    std::string word = fmt::format("{}={}", h.rule, format_score(h.score));
    if (!h.detail.empty()) word += fmt::format("[{}]", sanitize_detail(h.detail));
    if (first) {
      append_folded(status, column, "tests=" + word, " ");
      first = false;
    } else {
      append_folded(status, column, word, ",");
    }
  }
  out += status;
  out += "\r\n";
  return out;
}

void remove_fields(std::string& message, const std::vector<std::string_view>& names) {
  const auto block = mime::parse_header_block(message);
  std::vector<mime::byte_range> drop;
  for (const auto& f : block.fields) {
    const std::string_view name(message.data() + f.name.begin, f.name.end - f.name.begin);
    const bool match = std::ranges::any_of(names, [&](std::string_view n) {
      return n.size() == name.size() &&
             std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             });
    });
    if (match) drop.push_back(f.whole);
  }
  // Back to front so that earlier offsets stay valid.
  for (auto it = drop.rbegin(); it != drop.rend(); ++it) message.erase(it->begin, it->end - it->begin);
}

namespace {

class auth_rules final : public rule_source {
 public:
  void evaluate(const message_input& in, std::vector<finding>& out) override {
    const auto& a = in.auth;
    if (a.spf == "fail") out.push_back({"SPF_FAIL", {}, {}});
    if (a.spf == "softfail") out.push_back({"SPF_SOFTFAIL", {}, {}});
    if (a.dkim == "fail" || a.dkim == "permerror") out.push_back({"DKIM_FAIL", {}, {}});
    if (a.dkim == "none") out.push_back({"DKIM_NONE", {}, {}});
    if (a.dmarc == "fail") out.push_back({"DMARC_FAIL", {}, {}});
    if (a.arc == "fail") out.push_back({"ARC_FAIL", {}, {}});
  }
};

}  // namespace

std::unique_ptr<rule_source> make_auth_rules() { return std::make_unique<auth_rules>(); }

}  // namespace letterhead::filter
