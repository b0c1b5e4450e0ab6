#pragma once
// The SQLite schema scripts, applied by sql::migrate (store/sql/migrate.hpp). The
// PostgreSQL ones (store/postgres/schema.hpp) give the same tables, version by version.

#include <span>
#include <string_view>

namespace letterhead::store::sqlite {

[[nodiscard]] std::span<const std::string_view> migrations() noexcept;

}  // namespace letterhead::store::sqlite
