#include "pg_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <libpq-fe.h>

namespace letterhead::store::testing {

namespace {

constexpr const char* default_bindir = "/usr/lib/postgresql/15/bin";
constexpr const char* superuser = "letterhead";
constexpr int start_attempts = 3;  // another process may take the free port first

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<char*> argv_of(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// Runs a program with output appended to `log`, in `cwd` (the postgres user may be
// unable to enter the test's working directory); returns its exit status.
int run(const std::vector<std::string>& args, const std::string& log, const std::string& cwd) {
  auto argv = argv_of(args);
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec: the parent may have threads.
    int in = ::open("/dev/null", O_RDONLY);
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0 ||
        ::chdir(cwd.c_str()) != 0) {
      ::_exit(126);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

pg_server& pg_server::instance() {
  static pg_server server;
  return server;
}

pg_server::pg_server() {
  const char* env = std::getenv("LETTERHEAD_PG_BINDIR");
  bindir_ = env != nullptr && *env != '\0' ? env : default_bindir;
  for (const char* program : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((bindir_ + "/" + program).c_str(), X_OK) != 0) {
      throw std::runtime_error("PostgreSQL is not installed: " + bindir_ + "/" + program +
                               " is missing (install Debian's postgresql-15 with scripts/install-deps.sh, "
                               "or set LETTERHEAD_PG_BINDIR)");
    }
  }
  as_postgres_ = ::geteuid() == 0;

  std::string pattern = "/tmp/letterhead-pg-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  dir_ = pattern;
  data_ = dir_ + "/data";
  if (as_postgres_) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr || ::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      std::filesystem::remove_all(dir_);
      throw std::runtime_error("running as root, but cannot hand " + dir_ + " to the postgres user");
    }
  }

  // The watchdog: a shell that waits for EOF on its stdin, which comes when this
  // process closes the pipe or ends in any way, then stops the server and removes
  // the directory. setsid keeps a terminal's ^C from killing it before it cleans up.
  // Immediate shutdown: no checkpoint of data that is about to be removed.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("pipe2 failed");
  }
  std::string as_user = as_postgres_ ? "/usr/sbin/runuser -u postgres -- " : "";
  std::string script = "cat >/dev/null; " + as_user + "\"$0\"/pg_ctl -D \"$1\" -m immediate -w stop >/dev/null 2>&1; rm -rf \"$2\"";
  std::vector<std::string> args{"/bin/sh", "-c", script, bindir_, data_, dir_};
  auto argv = argv_of(args);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Nor may it hold this process's stdout: whoever reads that (ctest) would wait for it.
    ::setsid();
    int null = ::open("/dev/null", O_WRONLY);
    if (null < 0 || ::dup2(fds[0], 0) < 0 || ::dup2(null, 1) < 0 || ::dup2(null, 2) < 0) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[0]);
  watchdog_fd_ = fds[1];
  watchdog_ = pid;
  if (pid < 0) {
    ::close(watchdog_fd_);
    std::filesystem::remove_all(dir_);
    throw std::runtime_error("fork failed");
  }

  try {
    start();
  } catch (...) {
    ::close(watchdog_fd_);
    ::waitpid(watchdog_, nullptr, 0);
    throw;
  }
}

void pg_server::start() {
  std::vector<std::string> prefix;
  if (as_postgres_) prefix = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  auto command = [&](std::vector<std::string> args) {
    args.insert(args.begin(), prefix.begin(), prefix.end());
    return args;
  };

  // --no-sync: initdb's own flush of the new files, which a throwaway cluster does not
  // need; the server itself runs with fsync on.
  std::string initdb_log = dir_ + "/initdb.log";
  int rc = run(command({bindir_ + "/initdb", "-D", data_, "--auth=trust", "-U", superuser, "--encoding=UTF8",
                        "--locale=C", "--no-sync"}),
               initdb_log, dir_);
  if (rc != 0) throw std::runtime_error("initdb failed (" + std::to_string(rc) + "): " + read_file(initdb_log));

  std::string server_log = dir_ + "/server.log";
  for (int attempt = 1; attempt <= start_attempts; ++attempt) {
    port_ = free_port();
    std::string options = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                          " -c unix_socket_directories=" + dir_ + " -c shared_buffers=32MB -c max_connections=50";
    rc = run(command({bindir_ + "/pg_ctl", "-D", data_, "-l", server_log, "-w", "-t", "60", "-o", options, "start"}),
             dir_ + "/pg_ctl.log", dir_);
    if (rc == 0) return;
  }
  throw std::runtime_error("pg_ctl start failed: " + read_file(dir_ + "/pg_ctl.log") + read_file(server_log));
}

pg_server::~pg_server() {
  // The server stops now; the watchdog removes the directory after this process has
  // gone, since unlinking a cluster's thousands of files can take many seconds here.
  std::vector<std::string> stop{bindir_ + "/pg_ctl", "-D", data_, "-m", "immediate", "-w", "stop"};
  if (as_postgres_) stop.insert(stop.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
  (void)run(stop, dir_ + "/pg_ctl.log", dir_);
  ::close(watchdog_fd_);
}

std::string pg_server::conninfo(std::string_view dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + superuser + " dbname='" + std::string(dbname) +
         "'";
}

std::string pg_server::create_database(std::string_view template_name) {
  std::string name = "letterhead_test_" + std::to_string(next_database_++);
  std::string sql = "CREATE DATABASE " + name;
  if (!template_name.empty()) sql += " TEMPLATE " + std::string(template_name);
  execute("postgres", sql);
  return name;
}

void pg_server::execute(std::string_view dbname, std::string_view sql) const {
  PGconn* conn = PQconnectdb(conninfo(dbname).c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* res = PQexec(conn, std::string(sql).c_str());
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQresultErrorMessage(res);
    PQclear(res);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error(std::string(sql) + ": " + error);
}

}  // namespace letterhead::store::testing
