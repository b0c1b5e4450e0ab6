#pragma once
// DMARC (RFC 7489): the author domain (§6.6.1), policy discovery at
// _dmarc.<From domain> then _dmarc.<organisational domain> (§6.6.3), identifier
// alignment (§3.1), and the policy to apply with p=, sp= and pct= (§6.3, §6.6.4).
// Reports (rua=, ruf=) are not sent.
//
// Untrusted input: the message's From fields and the DMARC TXT records. At most two
// TXT lookups per message; records are tag lists (tag_list.hpp limits).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mailauth/public_suffix.hpp"
#include "mailauth/spf.hpp"
#include "mailauth/txt_lookup.hpp"

namespace letterhead::mailauth {

enum class dmarc_policy { none, quarantine, reject };
enum class dmarc_result { none, pass, fail, temperror, permerror };

[[nodiscard]] const char* to_string(dmarc_policy p) noexcept;
[[nodiscard]] const char* to_string(dmarc_result r) noexcept;

struct dmarc_record {
  dmarc_policy p = dmarc_policy::none;
  std::optional<dmarc_policy> sp;  // for subdomains of the organisational domain
  unsigned pct = 100;
  bool adkim_strict = false;
  bool aspf_strict = false;
};

// §6.3: v=DMARC1 first, then tags. errc::invalid when the record must be discarded
// (no valid p= and no rua=, §6.6.3 step 6); a missing p= with a rua= is p=none.
[[nodiscard]] core::result<dmarc_record> parse_dmarc_record(std::string_view text);

// The RFC 5322.From domain (§6.6.1). Messages with no From field, several From
// fields, or one From with addresses in different domains cannot be judged by DMARC:
// they are `none_found` / `several`.
struct author_domain {
  enum class status { ok, none_found, several } result = status::none_found;
  std::string domain;  // lower case
};
[[nodiscard]] author_domain find_author_domain(std::string_view message);

struct dmarc_input {
  std::string from_domain;           // from find_author_domain
  spf_result spf = spf_result::none;
  std::string spf_domain;            // the domain SPF checked (MAIL FROM's, or HELO's)
  bool spf_is_mailfrom = true;       // §3.1.2: only the MAIL FROM identity aligns
  std::vector<std::string> dkim_pass_domains;  // d= of every passing signature
};

struct dmarc_options {
  // A number in [0, 100) drawn per message for pct= sampling (§6.6.4); tests inject
  // their own. Empty = a random number.
  std::function<unsigned()> percent;
};

struct dmarc_outcome {
  dmarc_result result = dmarc_result::none;
  dmarc_policy policy = dmarc_policy::none;       // p= or sp= of the record that applied
  dmarc_policy disposition = dmarc_policy::none;  // what to do: policy after pct= sampling, none on pass
  bool spf_aligned = false;
  bool dkim_aligned = false;
  std::string from_domain;
  std::string record_domain;  // where the record was found
  std::string reason;         // printable ASCII
};

// RFC 7489 §3.1.1/§3.1.2 alignment of two domains.
[[nodiscard]] bool aligned(const public_suffix_list& psl, std::string_view a, std::string_view b, bool strict);

[[nodiscard]] dmarc_outcome evaluate_dmarc(const txt_lookup& lookup, const public_suffix_list& psl,
                                           const dmarc_input& in, const dmarc_options& options = {});

// "dmarc=fail (p=reject dis=reject) header.from=example.com" (RFC 8601, RFC 7489 §11.2).
[[nodiscard]] std::string format_result(const dmarc_outcome& o);

}  // namespace letterhead::mailauth
