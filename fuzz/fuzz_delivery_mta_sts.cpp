// Fuzzes the MTA-STS parsers of delivery/outbound/mta_sts.hpp: policy files from
// web servers that recipient domains name, and their _mta-sts TXT records.
//
// Input: the bytes as a policy file, and split at '\n' as TXT records.
// Checks: a parsed policy has mode, max_age within RFC 8461's cap, and mx patterns
// that are lower-case and without a trailing dot; writing it out with
// sts_policy_text and parsing that again gives the same policy; each pattern
// matches itself (with its wildcard label made concrete); a TXT id is 1-32 letters
// or digits.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/outbound/mta_sts.hpp"

namespace out = letterhead::delivery::outbound;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto p = out::parse_sts_policy(text)) {
    check(p->max_age >= 0 && p->max_age <= out::max_sts_age);
    check(p->mode == out::sts_mode::none || !p->mx.empty());
    for (const auto& m : p->mx) {
      check(!m.empty() && m.back() != '.');
      for (char c : m) check(!(c >= 'A' && c <= 'Z'));
      const std::string host = m.starts_with("*.") ? "x" + m.substr(1) : m;
      check(out::sts_mx_allowed(*p, host));
    }
    auto again = out::parse_sts_policy(out::sts_policy_text(p->mode, p->mx, p->max_age));
    check(again.has_value() && again->mode == p->mode && again->mx == p->mx && again->max_age == p->max_age);
  }
  std::vector<std::string> records;
  for (std::size_t pos = 0; pos <= text.size();) {
    const auto eol = text.find('\n', pos);
    records.emplace_back(text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos));
    if (eol == std::string_view::npos) break;
    pos = eol + 1;
  }
  if (auto id = out::parse_sts_txt(records)) {
    check(!id->empty() && id->size() <= 32);
  }
  return 0;
}
