#include "delivery/outbound/mta_sts_cache.hpp"

#include <fmt/format.h>

namespace letterhead::delivery::outbound {

namespace {

domain_sts in_force(sts_policy p, std::string note) {
  domain_sts out;
  if (p.mode != sts_mode::none) out.policy = std::move(p);
  out.note = std::move(note);
  return out;
}

}  // namespace

domain_sts sts_for_domain(dns::resolver& resolver, store::store& store, std::string_view domain,
                          const sts_fetch_options& options, store::unix_time now) {
  const std::string name = "_mta-sts." + std::string(domain);
  auto txt = resolver.txt(name);
  std::optional<std::string> id;
  if (txt.result == dns::status::ok) id = parse_sts_txt(txt.records);

  std::optional<store::mta_sts_record> cached;
  if (auto c = store.get_mta_sts(domain); c && c->expires > now) cached = std::move(*c);
  std::optional<sts_policy> cached_policy;
  if (cached) {
    if (auto p = parse_sts_policy(cached->policy)) cached_policy = std::move(*p);
  }

  // §5.1: no usable TXT record (absent, or DNS failed) keeps a valid cached policy.
  if (!id) {
    if (cached_policy) return in_force(*cached_policy, "cached policy (no _mta-sts record now)");
    return domain_sts{std::nullopt, "no MTA-STS policy"};
  }
  if (cached_policy && cached->id == *id) return in_force(*cached_policy, "cached policy id " + *id);

  // A new id (or nothing cached): fetch; on failure the cached policy stays in force.
  auto fetched = fetch_sts_policy(resolver, domain, options);
  core::result<sts_policy> parsed = fetched ? parse_sts_policy(*fetched) : std::unexpected(fetched.error());
  if (!parsed) {
    if (cached_policy) {
      return in_force(*cached_policy, fmt::format("cached policy ({})", parsed.error().message));
    }
    return domain_sts{std::nullopt, parsed.error().message};
  }
  store::mta_sts_record row{std::string(domain), *id, *fetched, now, now + parsed->max_age};
  if (auto put = store.put_mta_sts(row); !put) {
    return in_force(*parsed, "fetched policy id " + *id + ", not cached: " + put.error().message);
  }
  return in_force(*parsed, "fetched policy id " + *id);
}

}  // namespace letterhead::delivery::outbound
