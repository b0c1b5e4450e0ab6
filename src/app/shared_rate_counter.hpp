#pragma once
// Rate counters that every node of a cluster shares (issue 7 §3): core::rate_counter
// over the store's rate_hit, on the store's clock, so that an address hammering three
// nodes behind HAProxy counts once, and an account spraying through several nodes
// meets its hourly limit as on one machine. Used when the store is PostgreSQL; one
// machine keeps its counts in memory (core::make_memory_rate_counter), which costs no
// write per connection.
//
// The calls block on the database (blocks() is true). When the database cannot be
// asked, the event is let through and the error logged at most once a minute: a limit
// is a brake on abuse, and the store being down stops mail at the commit anyway.

#include <chrono>
#include <memory>
#include <string>

#include "core/config.hpp"
#include "core/rate_counter.hpp"
#include "store/store.hpp"

namespace letterhead::app {

// Keys are "<scope>:<key>", so that one table serves every limit.
[[nodiscard]] std::unique_ptr<core::rate_counter> make_shared_rate_counter(store::store& st, std::string scope,
                                                                           std::chrono::seconds window);

// A shared counter when the store is shared by nodes (backend "postgres"), else one in
// this process's memory.
[[nodiscard]] std::unique_ptr<core::rate_counter> make_rate_counter(const core::config& cfg, store::store& st,
                                                                    std::string scope, std::chrono::seconds window);

}  // namespace letterhead::app
