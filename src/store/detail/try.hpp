#pragma once
// Early return on error for core::result, so that a chain of fallible SQL steps
// reads as a list of steps. Scoped STORE_ to stay out of other libraries' way.
//
//   STORE_TRY(db.run("DELETE ...", id));          // result<void>
//   STORE_TRY_ASSIGN(auto st, db.query("SELECT ...", id));  // result<T> -> T

#include <expected>
#include <utility>

#define STORE_TRY_CONCAT_INNER(a, b) a##b
#define STORE_TRY_CONCAT(a, b) STORE_TRY_CONCAT_INNER(a, b)

#define STORE_TRY(expr)                                                   \
  do {                                                                    \
    if (auto store_try_r_ = (expr); !store_try_r_)                        \
      return std::unexpected(std::move(store_try_r_).error());            \
  } while (0)

#define STORE_TRY_ASSIGN_IMPL(tmp, decl, expr)                            \
  auto tmp = (expr);                                                      \
  if (!tmp) return std::unexpected(std::move(tmp).error());               \
  decl = std::move(*tmp)

#define STORE_TRY_ASSIGN(decl, expr) \
  STORE_TRY_ASSIGN_IMPL(STORE_TRY_CONCAT(store_try_tmp_, __LINE__), decl, expr)
