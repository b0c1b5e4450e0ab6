#include "mailauth/arc_seal.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailauth/authentication_results.hpp"

namespace letterhead::mailauth {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The arc= result among the resinfo of an Authentication-Results payload (RFC 8617
// §6: "arc=pass"); none when it has no arc= result.
arc_result arc_result_in(std::string_view payload) {
  std::size_t semi = payload.find(';');
  while (semi != std::string_view::npos) {
    auto rest = trim(payload.substr(semi + 1));
    if (rest.size() > 4 && lower(rest.substr(0, 4)) == "arc=") {
      const auto word = lower(rest.substr(4, 4));
      if (word == "pass") return arc_result::pass;
      return word == "none" ? arc_result::none : arc_result::fail;
    }
    semi = payload.find(';', semi + 1);
  }
  return arc_result::none;
}

}  // namespace

std::optional<arc_seal_request> seal_request_from(std::string_view message, std::string_view authserv_id) {
  const auto ours = lower(authserv_id);
  for (const auto& f : split_message(message).fields) {
    if (lower(f.name) != "authentication-results") continue;
    const auto colon = f.raw.find(':');
    if (colon == std::string_view::npos) continue;
    const auto payload = trim(f.raw.substr(colon + 1));
    if (authserv_id_of(payload) != ours) continue;
    return arc_seal_request{std::string(payload), arc_result_in(payload)};
  }
  return std::nullopt;
}

core::result<std::string> arc_seal(const dkim_signer& signer, std::string_view message,
                                   const arc_seal_request& request, std::int64_t now) {
  std::string converted;
  if (has_bare_lf(message)) {
    converted = to_crlf(message);
    message = converted;
  }
  const message_parts parts = split_message(message);
  auto collected = collect_arc_sets(parts);
  arc_result chain = request.chain;
  std::vector<arc_set> sets;
  unsigned newest = 0;
  if (auto* found = std::get_if<arc_sets>(&collected)) {
    sets = std::move(found->by_instance);
    newest = found->newest;
  } else {
    chain = arc_result::fail;  // malformed sets cannot pass
  }
  if (newest == 0 && chain == arc_result::pass) chain = arc_result::none;
  // §5.1.1: the instance after the newest; none beyond 50.
  if (newest >= max_arc_instances) return core::fail(core::errc::limit, "the message has 50 ARC sets already");
  const unsigned i = newest + 1;
  if (chain == arc_result::pass) {
    // A pass claimed for sets that are not a complete chain is not believed.
    for (unsigned j = 1; j <= newest; ++j) {
      if (sets[j].aar == nullptr || sets[j].ams == nullptr || sets[j].seal == nullptr) chain = arc_result::fail;
    }
  }
  const std::size_t key = signer.preferred_key();

  // §4.1.1
  const std::string aar = fmt::format("ARC-Authentication-Results: i={}; {}\r\n", i, trim(request.results));

  // §4.1.2: a DKIM signature with i= instead of v=; it never signs ARC-Seal.
  const auto names = signer.names_to_sign(parts);
  const auto selected = select_headers(parts, names);
  std::vector<field_piece> trail{{"c=relaxed/relaxed;"}, {fmt::format("t={};", now)}};
  for (std::size_t n = 0; n < names.size(); ++n) {
    trail.push_back({fmt::format("{}{}{}", n == 0 ? "h=" : "", names[n], n + 1 == names.size() ? ";" : ":"), n == 0});
  }
  trail.push_back(dkim_signer::body_hash_piece(parts.body));
  const std::vector<field_piece> instance{{fmt::format("i={};", i)}};
  auto ams = signer.sign_field(key, "ARC-Message-Signature", instance, trail, selected);
  if (!ams) return std::unexpected(ams.error());

  // §4.1.3, §5.1.1: the seal over every set, its own included; with cv=fail over its
  // own set only (§5.1.2: the chain is dead, nothing before it is vouched for).
  sets.resize(std::max<std::size_t>(sets.size(), i + 1));
  const header_field aar_field{"ARC-Authentication-Results", aar};
  const header_field ams_field{"ARC-Message-Signature", *ams};
  sets[i] = arc_set{&aar_field, &ams_field, nullptr};
  const auto covered = chain == arc_result::fail
                           ? std::vector<const header_field*>{&aar_field, &ams_field}
                           : seal_input(sets, i);
  const std::vector<field_piece> seal_trail{{fmt::format("t={};", now)}, {fmt::format("cv={};", to_string(chain))}};
  auto seal = signer.sign_field(key, "ARC-Seal", instance, seal_trail, covered);
  if (!seal) return std::unexpected(seal.error());
  return *seal + *ams + aar;
}

}  // namespace letterhead::mailauth
