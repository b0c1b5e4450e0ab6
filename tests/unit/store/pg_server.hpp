#pragma once
// A real PostgreSQL server for the store's tests: Debian's postgresql-15 binaries
// (scripts/install-deps.sh installs them), one private cluster per test process,
// started on first use and gone at exit.
//
// The cluster lives in a fresh directory under /tmp (not $TMPDIR: the server's user
// must reach it, and a Unix socket path is limited to 107 bytes), listens on a free
// 127.0.0.1 port with trust authentication for the superuser `letterhead`, and keeps
// fsync on, as production does. As root, initdb and pg_ctl run as the `postgres`
// system user (initdb refuses root). The destructor stops the server; a watchdog
// process removes the directory when this process ends, and stops the server first
// when this process crashed or was killed.
//
// Binaries are looked for in $LETTERHEAD_PG_BINDIR, else /usr/lib/postgresql/15/bin;
// without them, instance() throws (a test fails, with what to install): PostgreSQL
// tests never skip silently.

#include <sys/types.h>

#include <string>
#include <string_view>

namespace letterhead::store::testing {

class pg_server {
 public:
  // The process's server, started by the first call.
  static pg_server& instance();

  pg_server(const pg_server&) = delete;
  pg_server& operator=(const pg_server&) = delete;
  ~pg_server();

  // A libpq connection string for a database of this server.
  [[nodiscard]] std::string conninfo(std::string_view dbname) const;
  // Creates an empty database with a name unique in this process; returns the name.
  // With a template: a copy of that database (which no session may be using).
  [[nodiscard]] std::string create_database(std::string_view template_name = {});
  // Runs SQL on a database outside any connection under test (throws on error).
  void execute(std::string_view dbname, std::string_view sql) const;

  [[nodiscard]] int port() const noexcept { return port_; }

 private:
  pg_server();
  void start();

  std::string bindir_;
  std::string dir_;
  std::string data_;
  int port_ = 0;
  bool as_postgres_ = false;
  int watchdog_fd_ = -1;  // its other end is the watchdog's stdin: EOF means "clean up"
  pid_t watchdog_ = -1;
  int next_database_ = 1;
};

}  // namespace letterhead::store::testing
