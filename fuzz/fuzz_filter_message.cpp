// libFuzzer target for what the MX's filters read of a whole message an attacker
// sends: the antivirus scope (filter/virus_scope.hpp) and the Bayes tokeniser
// (filter/bayes.hpp), on a message parsed as the MX parses it.
// Checks: the scope names only leaves, in order, and decoding them stays within
// their bodies; the tokeniser keeps its bound, and its two paths (token strings,
// and hashes computed as the words are found) agree; nothing crashes or leaks.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "filter/bayes.hpp"
#include "filter/virus_scope.hpp"
#include "mime/body.hpp"
#include "mime/parser.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace letterhead;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto parsed = mime::parse(bytes);

  const auto plan = filter::plan_virus_scan(bytes, parsed);
  require(plan.what == filter::virus_scan_plan::scope::parts || plan.parts.empty());
  require(plan.what != filter::virus_scan_plan::scope::parts || !plan.parts.empty());
  for (std::size_t k = 0; k < plan.parts.size(); ++k) {
    require(plan.parts[k] < parsed.parts.size());
    require(k == 0 || plan.parts[k - 1] < plan.parts[k]);
    const auto& p = parsed.parts[plan.parts[k]];
    require(!p.is_multipart() && !p.embedded);
    require(mime::decoded_body(bytes, p).size() <= p.body.size());
  }

  for (const auto i : filter::leaf_parts(parsed)) {
    require(i < parsed.parts.size() && !parsed.parts[i].is_multipart() && !parsed.parts[i].embedded);
  }

  filter::bayes_options o;
  o.max_tokens = 300;
  const auto hashes = filter::bayes_tokens(bytes, parsed, o);
  require(hashes.size() <= o.max_tokens);
  const auto strings = filter::bayes_token_strings(bytes, parsed, o);
  std::vector<std::uint64_t> from_strings;
  for (const auto& t : strings) from_strings.push_back(filter::bayes_hash(t));
  std::ranges::sort(from_strings);
  require(from_strings == hashes);
  return 0;
}
