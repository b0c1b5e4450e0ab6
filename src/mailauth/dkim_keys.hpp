#pragma once
// DKIM keys of our own domains, kept in the Store (store::dkim_key) so every node of
// a cluster signs alike: generation of an RSA-2048 + Ed25519 pair, rotation (the new
// pair signs, the old pair is retired but stays published for a while so mail in
// flight still verifies), the signer for a domain, and the DNS records to publish.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "mailauth/dkim_sign.hpp"
#include "store/store.hpp"

namespace letterhead::mailauth {

// How long a retired key stays in the DNS records we print: longer than the outbound
// queue retries (days) plus the time receivers take to check (RFC 6376 §3.6.1 has no
// number; M3AAWG's key rotation advice is days to weeks).
inline constexpr std::int64_t retired_key_publish_seconds = 30LL * 24 * 3600;

// Default selector prefix for keys made at `now`: "lh" + YYYYMM, e.g. "lh202611";
// the RSA key gets suffix "r", the Ed25519 key "e".
[[nodiscard]] std::string default_selector_prefix(std::int64_t now);

struct new_keys_options {
  std::string selector_prefix;  // empty = default_selector_prefix(now), made unique
  std::int64_t now = 0;
};

// Generates and stores an active RSA-2048 and Ed25519 key for `domain`. errc::exists
// if the domain already has active keys (use rotate) or an explicit prefix is taken.
// The keys come back with their ids.
[[nodiscard]] core::result<std::vector<store::dkim_key>> create_domain_keys(store::store& st, std::string_view domain,
                                                                            const new_keys_options& o);

struct rotation {
  std::vector<store::dkim_key> added;
  std::vector<store::dkim_key> retired;
};

// Adds a new pair and then retires the previously active keys of the domain.
[[nodiscard]] core::result<rotation> rotate_domain_keys(store::store& st, std::string_view domain,
                                                        const new_keys_options& o);

// The signer for mail from `domain`: its newest active key of each algorithm.
// errc::not_found when the domain has no active key.
[[nodiscard]] core::result<dkim_signer> signer_for_domain(store::store& st, std::string_view domain,
                                                          sign_options options = {});

// Should the key's record be in DNS at `now`: active, or retired less than
// retired_key_publish_seconds ago.
[[nodiscard]] bool should_publish(const store::dkim_key& k, std::int64_t now) noexcept;

// "SELECTOR._domainkey.DOMAIN" and "v=DKIM1; k=...; p=..." for a stored key.
[[nodiscard]] std::string dns_record_name(const store::dkim_key& k);
[[nodiscard]] std::string dns_record_text(const store::dkim_key& k);

}  // namespace letterhead::mailauth
