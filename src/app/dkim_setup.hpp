#pragma once
// DKIM keys for a domain that was just added (`domain add`, `quickstart`): a new
// RSA + Ed25519 pair, audited. A failure does not undo the domain: it is reported
// on stderr with the command that retries.

#include <string>
#include <string_view>

#include "app/context.hpp"

namespace letterhead::app {

// Returns true when the keys exist afterwards (made now or already there).
bool setup_domain_dkim(context& ctx, const std::string& domain, std::string_view actor);

// "2026-11-29" for a Unix time.
[[nodiscard]] std::string format_date(std::int64_t t);

}  // namespace letterhead::app
