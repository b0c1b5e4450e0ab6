#pragma once
// How the organisation's enumerations are spelled in the database (see codes.hpp for
// why names and not enum positions). Private to the SQLite backend.

#include <optional>
#include <string_view>

#include "store/types.hpp"

namespace letterhead::store::sql {

[[nodiscard]] std::string_view send_policy_name(send_policy p) noexcept;
[[nodiscard]] std::optional<send_policy> send_policy_from_name(std::string_view s) noexcept;

[[nodiscard]] std::string_view member_kind_name(member_kind k) noexcept;
[[nodiscard]] std::optional<member_kind> member_kind_from_name(std::string_view s) noexcept;

}  // namespace letterhead::store::sql
