#pragma once
// What the authentication step (app/inbound_auth.*) learned about a received
// message, handed on to the filters (app/inbound_filter.*) for scoring. Results
// are RFC 8601 §2.7 result words ("pass", "fail", "softfail", "neutral", "none",
// "temperror", "permerror"), empty when the check did not run.

#include <string>

namespace letterhead::app {

struct auth_outcome {
  std::string spf;           // RFC 7208 result for MAIL FROM (or HELO when MAIL FROM is <>)
  std::string dkim;          // best result over the signatures: pass if any passed
  bool dkim_aligned = false; // a passing signature's d= aligns with the From domain (RFC 7489 §3.1.1)
  std::string dmarc;         // RFC 7489 result
  std::string dmarc_policy;  // the policy that applied: "none", "quarantine", "reject" ("" if none)
  std::string arc;           // RFC 8617 chain validation: pass, fail, none
  std::string from_domain;   // RFC 5322.From domain, lower case
  bool from_is_ours = false; // the From domain is one of our domains
};

}  // namespace letterhead::app
