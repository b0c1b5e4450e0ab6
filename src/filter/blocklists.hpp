#pragma once
// DNS blocklists (RFC 5782): the client's IP address reversed under each configured
// zone (RCVD_IN_DNSBL), and the domains of links in the body under each domain
// blocklist zone (URIBL_LISTED, RFC 5782 §3 "URI DNSBLs").
//
// A listing is an A record in 127.0.0.0/8 (RFC 5782 §2.3); 127.255.255.0/24 is what
// Spamhaus and others answer to refused or over-quota resolvers, and 127.0.0.1 is
// never a listing (RFC 5782 §5), so neither counts. Lookups of one message run in
// parallel, each bounded by the resolver's timeout; a temporary failure is no hit.
//
// Untrusted input: the client address (from the socket) and the message body, from
// which at most max_lookups distinct domains are taken.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/resolver.hpp"
#include "filter/scoring.hpp"
#include "mailauth/public_suffix.hpp"

namespace letterhead::filter {

// "192.0.2.1" → "1.2.0.192"; an IPv6 address → its 32 nibbles reversed (RFC 5782
// §2.4). nullopt if `ip` is not an address.
[[nodiscard]] std::optional<std::string> reversed_ip(std::string_view ip);

// Host names of http(s) links and "www." names in `text`, lower case, without
// duplicates, at most `max` of them; IP literals are left out.
[[nodiscard]] std::vector<std::string> link_hosts(std::string_view text, std::size_t max);

// The names to ask a domain blocklist about for a link host: the host itself and its
// organisational domain by the Public Suffix List (RFC 7489 §3.2: "a.b.evil.co.uk" →
// "a.b.evil.co.uk", "evil.co.uk"); without a list, the last two labels.
[[nodiscard]] std::vector<std::string> uribl_candidates(std::string_view host,
                                                        const mailauth::public_suffix_list* psl = nullptr);

// Whether an A record answers "listed" (see above).
[[nodiscard]] bool is_listing(std::string_view address);

[[nodiscard]] std::unique_ptr<rule_source> make_dnsbl_rules(dns::resolver& resolver, std::vector<std::string> zones);
[[nodiscard]] std::unique_ptr<rule_source> make_uribl_rules(dns::resolver& resolver, std::vector<std::string> zones,
                                                            std::size_t max_lookups,
                                                            const mailauth::public_suffix_list* psl = nullptr);

}  // namespace letterhead::filter
