#pragma once
// Errors as values (STYLE.md habit 4): what the world causes (bad input, a missing
// record, a full disk) travels as core::error inside std::expected; programmer errors
// are assertions. Each protocol's dispatcher maps an error's kind to wire text.

#include <expected>
#include <string>
#include <utility>

namespace letterhead::core {

enum class errc {
  invalid,        // bad input from a client, a user or a config file
  not_found,      // the thing asked for does not exist
  exists,         // the thing to create exists already
  denied,         // not allowed (policy, permissions, authentication)
  limit,          // a named limit was reached (size, count, quota)
  conflict,       // concurrent change; retrying may succeed
  unavailable,    // temporary failure of a dependency (disk, database, peer)
  io,             // an I/O error on a file or socket
  internal,       // a bug or an impossible state: logged, answered as a server error
};

[[nodiscard]] constexpr const char* to_string(errc c) noexcept {
  switch (c) {
    case errc::invalid: return "invalid";
    case errc::not_found: return "not found";
    case errc::exists: return "exists";
    case errc::denied: return "denied";
    case errc::limit: return "limit";
    case errc::conflict: return "conflict";
    case errc::unavailable: return "unavailable";
    case errc::io: return "i/o error";
    case errc::internal: return "internal error";
  }
  return "error";
}

struct error {
  errc code = errc::internal;
  std::string message;
};

template <class T>
using result = std::expected<T, error>;

// Shorthand for returning an error: `return core::fail(errc::invalid, "bad address");`
[[nodiscard]] inline std::unexpected<error> fail(errc code, std::string message) {
  return std::unexpected<error>(error{code, std::move(message)});
}

}  // namespace letterhead::core
