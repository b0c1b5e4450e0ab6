#pragma once
// The spam scoring engine: rule sources look at a message and report which rules
// hit; each rule's weight (built in, overridden by [spam.rules]) is added up, and
// the sum against two thresholds decides the action: accept with X-Spam headers,
// file into Junk, or refuse at DATA.
//
// Extension point: a later check (a Bayesian classifier, impersonation defence)
// is one more rule_source; it may report its own score for a hit (a probability
// turned into points) instead of a fixed weight.
//
// Untrusted input: the whole message and the SMTP envelope, before any trust is
// established. Sources must be bounded in time and memory (see each source).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/detail/text_parts.hpp"
#include "mime/message.hpp"

namespace letterhead::filter {

// What sender authentication found (RFC 8601 §2.7 result words, empty when the
// check did not run). app/ fills it from its own authentication step.
struct auth_results {
  std::string spf;
  std::string dkim;
  bool dkim_aligned = false;
  std::string dmarc;
  std::string arc;
  bool from_is_ours = false;
};

struct finding;

// Everything a rule source may look at.
struct message_input {
  std::string_view bytes;                 // the message as received
  const mime::message* parsed = nullptr;  // mime::parse(bytes)
  std::string client_ip;
  std::string helo;
  std::string mail_from;
  auth_results auth;
  std::int64_t now = 0;  // unix seconds, for Date checks
  std::vector<std::string> recipients;  // RCPT TO addresses (Bayes scopes, rspamd)
  // Findings made before scoring by the caller (impersonation, which needs to know
  // who is trusted), scored like any source's.
  const std::vector<finding>* extra = nullptr;

  // The readable text parts (detail::readable_texts of bytes and parsed), decoded
  // once for every source that reads them (again if bytes or parsed change). Sources
  // run one after another.
  [[nodiscard]] const std::vector<detail::text_part>& texts() const;

 private:
  mutable std::optional<std::vector<detail::text_part>> texts_;
  mutable std::string_view texts_of_;  // the bytes texts_ came from
  mutable const mime::message* texts_parsed_ = nullptr;
};

// One rule that hit. `score` is set by sources that grade their own hits.
struct finding {
  std::string rule;
  std::string detail;  // printable ASCII, shown in X-Spam-Status (zone, code, ...)
  std::optional<double> score;
};

class rule_source {
 public:
  virtual ~rule_source() = default;
  virtual void evaluate(const message_input& in, std::vector<finding>& out) = 0;
};

// The built-in rules and their default weights.
struct rule_info {
  std::string_view name;
  double weight;
  std::string_view description;
};
[[nodiscard]] const std::vector<rule_info>& builtin_rules();
[[nodiscard]] bool known_rule(std::string_view name);

enum class action { accept, junk, reject };

struct rule_hit {
  std::string rule;
  double score = 0;
  std::string detail;
};

struct verdict {
  double score = 0;
  std::vector<rule_hit> hits;
  action act = action::accept;
};

struct scoring_options {
  double junk_score = 6.0;
  double reject_score = 15.0;  // 0 = never reject
  std::map<std::string, double> weights;  // overrides of builtin_rules()
};

class engine {
 public:
  explicit engine(scoring_options options) : options_(std::move(options)) {}

  void add_source(std::unique_ptr<rule_source> s) { sources_.push_back(std::move(s)); }

  [[nodiscard]] verdict judge(const message_input& in) const;
  [[nodiscard]] const scoring_options& options() const noexcept { return options_; }

 private:
  [[nodiscard]] double weight_of(const std::string& rule) const;

  scoring_options options_;
  std::vector<std::unique_ptr<rule_source>> sources_;
};

// The X-Spam-Flag, X-Spam-Score and X-Spam-Status fields for `v`, each ending in
// CRLF, folded below 78 columns (RFC 5322 §2.1.1), in SpamAssassin's layout:
// "X-Spam-Status: Yes, score=7.5 required=6.0 tests=GTUBE=1000,SPF_FAIL=2".
[[nodiscard]] std::string spam_headers(const verdict& v, const scoring_options& o);

// Removes every top-level header field named one of `names` (case-insensitive):
// a sender must not be able to forge our verdict fields.
void remove_fields(std::string& message, const std::vector<std::string_view>& names);

// The built-in sources: authentication results, header and MIME sanity, GTUBE.
[[nodiscard]] std::unique_ptr<rule_source> make_auth_rules();
[[nodiscard]] std::unique_ptr<rule_source> make_content_rules();

}  // namespace letterhead::filter
