#pragma once
// The lock between `serve` and `store copy` on a data directory: every `serve` holds
// <data_dir>/serve.lock shared for its whole life (nodes of a cluster sharing a data
// directory all can), and `store copy` holds it exclusively on both sides. So a copy
// refuses a source that a running server still writes to (mail accepted during the
// copy would be missed), and a server refuses to start while a copy runs.
//
// flock(2): the kernel drops the lock when the process ends, kill -9 included, so a
// crash leaves no stale lock. It binds processes on one machine (and on NFS v4 and
// CephFS, which map flock onto their own locks); a PostgreSQL source served by nodes
// on other machines is not covered: stop those nodes first (docs/cluster.md).

#include <string>

#include "core/error.hpp"

namespace letterhead::app {

class serve_lock {
 public:
  enum class mode { serve, copy };
  // errc::conflict when the other side holds it; errc::io when the file cannot be made.
  [[nodiscard]] static core::result<serve_lock> acquire(const std::string& data_dir, mode m);

  serve_lock(serve_lock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  serve_lock& operator=(serve_lock&&) = delete;
  serve_lock(const serve_lock&) = delete;
  serve_lock& operator=(const serve_lock&) = delete;
  ~serve_lock();

 private:
  explicit serve_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace letterhead::app
