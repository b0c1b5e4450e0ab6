#pragma once
// Helpers shared by the store tests: temporary data directories and unwrapping of
// core::result with the error's message in the failure.

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace letterhead::store::testing {

// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class temp_dir {
 public:
  temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/letterhead-store-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Unwraps a result; an error fails the test (gtest reports the exception's text).
template <class T>
T ok(core::result<T> r) {
  if (!r) throw std::runtime_error(std::string("unexpected error (") + core::to_string(r.error().code) + "): " +
                                   r.error().message);
  return std::move(*r);
}

inline void ok(core::result<void> r) {
  if (!r) throw std::runtime_error(std::string("unexpected error (") + core::to_string(r.error().code) + "): " +
                                   r.error().message);
}

// The error a call must fail with.
template <class T>
::testing::AssertionResult fails_with(const core::result<T>& r, core::errc code) {
  if (r) return ::testing::AssertionFailure() << "succeeded, expected " << core::to_string(code);
  if (r.error().code != code) {
    return ::testing::AssertionFailure() << "failed with " << core::to_string(r.error().code) << " ("
                                         << r.error().message << "), expected " << core::to_string(code);
  }
  return ::testing::AssertionSuccess();
}

}  // namespace letterhead::store::testing
