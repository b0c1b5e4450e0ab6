#pragma once
// Small helpers the organisation commands share (cmd_department, cmd_group,
// cmd_role, cmd_org).

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "directory/org.hpp"
#include "store/types.hpp"

namespace letterhead::app {

// "10M", "512K", "2G", "1000" (bytes; K/M/G are powers of 1024).
[[nodiscard]] core::result<std::uint64_t> parse_size(std::string_view text);

// An account given by address.
[[nodiscard]] core::result<store::account> account_named(store::store& store, std::string_view address);

// "Sales/East (3)" for a department id, "-" for 0.
[[nodiscard]] std::string department_label(directory::organisation& org, store::id_t id);

}  // namespace letterhead::app
