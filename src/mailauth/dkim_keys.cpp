#include "mailauth/dkim_keys.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "mailauth/dkim_key_record.hpp"

namespace letterhead::mailauth {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool selector_taken(const std::vector<store::dkim_key>& keys, std::string_view prefix) {
  return std::any_of(keys.begin(), keys.end(), [&](const store::dkim_key& k) {
    return k.selector == std::string(prefix) + "r" || k.selector == std::string(prefix) + "e";
  });
}

// A selector is a DNS label sequence (RFC 6376 §3.1); ours are one label.
bool valid_prefix(std::string_view p) noexcept {
  if (p.empty() || p.size() > 60 || p.front() == '-') return false;
  return std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

core::result<std::vector<store::dkim_key>> add_pair(store::store& st, const std::string& domain,
                                                    const std::vector<store::dkim_key>& existing,
                                                    const new_keys_options& o) {
  const std::int64_t now = o.now != 0 ? o.now : static_cast<std::int64_t>(std::time(nullptr));
  std::string prefix = lower(o.selector_prefix);
  if (prefix.empty()) {
    // Several pairs in one month (rotation after a leak) get a counter.
    const std::string base = default_selector_prefix(now);
    prefix = base;
    for (int n = 2; selector_taken(existing, prefix); ++n) prefix = fmt::format("{}v{}", base, n);
  } else {
    if (!valid_prefix(prefix)) {
      return core::fail(core::errc::invalid, "a selector prefix has letters, digits and '-' only");
    }
    if (selector_taken(existing, prefix)) {
      return core::fail(core::errc::exists, fmt::format("selector {}r or {}e exists for {}", prefix, prefix, domain));
    }
  }
  std::vector<store::dkim_key> out;
  for (const key_type type : {key_type::rsa, key_type::ed25519}) {
    auto g = generate_key(type);
    if (!g) return std::unexpected(g.error());
    store::dkim_key k;
    k.domain = domain;
    k.selector = prefix + (type == key_type::rsa ? "r" : "e");
    k.algorithm = type == key_type::rsa ? "rsa-sha256" : "ed25519-sha256";
    k.private_key_pem = std::move(g->private_key_pem);
    k.public_key = std::move(g->public_key);
    k.created = now;
    auto added = st.add_dkim_key(k);
    if (!added) return std::unexpected(added.error());
    out.push_back(std::move(*added));
  }
  return out;
}

}  // namespace

std::string default_selector_prefix(std::int64_t now) {
  const auto t = static_cast<std::time_t>(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("lh{:04}{:02}", tm.tm_year + 1900, tm.tm_mon + 1);
}

core::result<std::vector<store::dkim_key>> create_domain_keys(store::store& st, std::string_view domain,
                                                              const new_keys_options& o) {
  const std::string d = lower(domain);
  auto existing = st.list_dkim_keys(d);
  if (!existing) return std::unexpected(existing.error());
  const bool active = std::any_of(existing->begin(), existing->end(),
                                  [](const auto& k) { return k.status == store::dkim_key::state::active; });
  if (active) {
    return core::fail(core::errc::exists,
                      fmt::format("{} has active DKIM keys already (replace them with 'letterhead dkim rotate {}')", d, d));
  }
  return add_pair(st, d, *existing, o);
}

core::result<rotation> rotate_domain_keys(store::store& st, std::string_view domain, const new_keys_options& o) {
  const std::string d = lower(domain);
  auto existing = st.list_dkim_keys(d);
  if (!existing) return std::unexpected(existing.error());
  rotation r;
  auto added = add_pair(st, d, *existing, o);
  if (!added) return std::unexpected(added.error());
  r.added = std::move(*added);
  const std::int64_t now = o.now != 0 ? o.now : static_cast<std::int64_t>(std::time(nullptr));
  for (auto& k : *existing) {
    if (k.status != store::dkim_key::state::active) continue;
    if (auto ok = st.retire_dkim_key(k.id, now); !ok) return std::unexpected(ok.error());
    k.status = store::dkim_key::state::retired;
    k.retired = now;
    r.retired.push_back(std::move(k));
  }
  return r;
}

core::result<dkim_signer> signer_for_domain(store::store& st, std::string_view domain, sign_options options) {
  const std::string d = lower(domain);
  auto keys = st.list_dkim_keys(d);
  if (!keys) return std::unexpected(keys.error());
  // Oldest first from the store: the last active key of each algorithm is the newest.
  const store::dkim_key* newest_rsa = nullptr;
  const store::dkim_key* newest_ed = nullptr;
  for (const auto& k : *keys) {
    if (k.status != store::dkim_key::state::active) continue;
    if (k.algorithm == "rsa-sha256") newest_rsa = &k;
    if (k.algorithm == "ed25519-sha256") newest_ed = &k;
  }
  std::vector<signing_key> use;
  for (const auto* k : {newest_ed, newest_rsa}) {
    if (k != nullptr) use.push_back(signing_key{k->domain, k->selector, k->private_key_pem});
  }
  if (use.empty()) return core::fail(core::errc::not_found, fmt::format("no active DKIM key for {}", d));
  return dkim_signer::create(use, std::move(options));
}

bool should_publish(const store::dkim_key& k, std::int64_t now) noexcept {
  if (k.status == store::dkim_key::state::active) return true;
  return k.retired + retired_key_publish_seconds > now;
}

std::string dns_record_name(const store::dkim_key& k) { return fmt::format("{}._domainkey.{}", k.selector, k.domain); }

std::string dns_record_text(const store::dkim_key& k) {
  return format_dkim_key_record(k.algorithm == "ed25519-sha256" ? key_type::ed25519 : key_type::rsa, k.public_key);
}

}  // namespace letterhead::mailauth
