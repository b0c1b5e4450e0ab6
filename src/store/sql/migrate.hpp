#pragma once
// Numbered schema migrations (DESIGN.md "Storage"): an ordered list of SQL scripts per
// driver; script i takes the schema from version i-1 to i, the same tables on every
// driver. A released script is never edited: a change is a new script at the end.

#include <span>
#include <string_view>

#include "core/error.hpp"
#include "store/sql/driver.hpp"

namespace letterhead::store::sql {

// Applies, in order, every script newer than the database's version, each in its own
// transaction together with its schema_version row. Refuses (errc::invalid) a database
// whose version is newer than this program knows. Returns the version now in force.
[[nodiscard]] core::result<int> migrate(connection& db, std::span<const std::string_view> scripts);

}  // namespace letterhead::store::sql
