#pragma once
// The PostgreSQL 15 schema: the same numbered scripts as store/sqlite/migrations.cpp,
// script i giving the tables, columns (in order), defaults, constraints and indexes
// (same names) that SQLite's script i gives, so that the store's one SQL code runs on
// both and a database can be copied from one backend to the other at any version.
//
// As in SQLite, the runner (not these scripts) keeps schema_version and applies each
// script in its own transaction with its schema_version row. A released script is
// never edited: a change is a new script at the end of both lists.

#include <span>
#include <string_view>

namespace letterhead::store::postgres {

[[nodiscard]] std::span<const std::string_view> migrations() noexcept;

}  // namespace letterhead::store::postgres
