#pragma once
// What a PostgreSQL error (its SQLSTATE, Appendix A of the PostgreSQL manual) means to
// the store's callers, in the terms of core::errc.

#include <string_view>

#include "core/error.hpp"

namespace letterhead::store::postgres {

[[nodiscard]] core::errc errc_for_sqlstate(std::string_view sqlstate);

// A serialization failure or a deadlock: the whole transaction must run again.
[[nodiscard]] bool must_retry_sqlstate(std::string_view sqlstate);

}  // namespace letterhead::store::postgres
