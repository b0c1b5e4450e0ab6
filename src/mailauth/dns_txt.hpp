#pragma once
// Adapts the resolver of dns/ to txt_lookup. DNSSEC-bogus answers count as
// temporary failures: the data must not be used (RFC 4035 §5.5), and a later
// lookup may succeed.

#include "dns/resolver.hpp"
#include "mailauth/txt_lookup.hpp"

namespace letterhead::mailauth {

// The resolver must outlive the returned function.
[[nodiscard]] txt_lookup dns_txt_lookup(dns::resolver& resolver);

}  // namespace letterhead::mailauth
