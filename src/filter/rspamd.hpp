#pragma once
// Asking rspamd about a message: its HTTP protocol, POST /checkv2 with the message
// as the body and the envelope in request headers (IP, Helo, From, one Rcpt per
// recipient, Queue-Id), answered by a JSON object with "score", "required_score",
// "action" and "symbols" (rspamd's protocol documentation).
//
// A blocking HTTP/1.1 client on one socket under one deadline (connect, send,
// answer), like the clamd client: callers run it on the blocking pool. The reply is
// capped at max_response bytes; anything else than a 200 with a JSON object holding
// a numeric score is errc::unavailable, and the rule source then goes on without
// rspamd (logging once until rspamd answers again).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "filter/scoring.hpp"

namespace letterhead::filter {

struct rspamd_options {
  std::string host;  // from [spam] rspamd = "http://HOST:PORT"
  std::uint16_t port = 11333;
  std::chrono::milliseconds timeout{10000};
  std::size_t max_response = 256 * 1024;
  double weight = 1.0;  // RSPAMD's points = rspamd's score × weight
  bool reject = false;  // rspamd's "reject" action hits RSPAMD_REJECT
};

// "http://HOST:PORT" or "http://HOST" (port 11333), an optional "/" after; IPv6
// hosts in brackets. errc::invalid otherwise (https is not offered by rspamd's
// normal worker).
[[nodiscard]] core::result<void> parse_rspamd_url(std::string_view url, rspamd_options& o);

struct rspamd_request {
  std::string client_ip;
  std::string helo;
  std::string mail_from;
  std::vector<std::string> recipients;
  std::string queue_id;
};

struct rspamd_result {
  double score = 0;
  double required_score = 0;
  std::string action;                // "no action", "add header", "reject", ...
  std::vector<std::string> symbols;  // names rspamd matched (printable ASCII, at most 50)
};

[[nodiscard]] core::result<rspamd_result> rspamd_check(const rspamd_options& o, const rspamd_request& r,
                                                       std::string_view message);

// The JSON body of a /checkv2 reply; exposed for tests.
[[nodiscard]] core::result<rspamd_result> parse_rspamd_reply(std::string_view json);

// The rule source: RSPAMD with rspamd's score × weight as its own score, and
// RSPAMD_REJECT when rspamd says reject and o.reject is on.
[[nodiscard]] std::unique_ptr<rule_source> make_rspamd_rules(rspamd_options o);

}  // namespace letterhead::filter
