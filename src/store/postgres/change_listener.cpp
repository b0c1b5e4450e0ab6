#include "store/postgres/change_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <memory>
#include <string_view>
#include <system_error>

#include <libpq-fe.h>

namespace letterhead::store::postgres {

namespace {

struct conn_closer {
  void operator()(PGconn* c) const noexcept { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;

// An account id from a notification's payload; 0 for anything else (a payload
// nobody of ours sent is ignored).
std::int64_t account_of(const char* payload) {
  std::string_view text(payload == nullptr ? "" : payload);
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return 0;
  return id;
}

}  // namespace

change_listener::change_listener(std::string conninfo, callback on_change)
    : conninfo_(std::move(conninfo)), on_change_(std::move(on_change)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  thread_ = std::thread([this] { loop(); });
}

change_listener::~change_listener() {
  stopping_ = true;
  char byte = 0;
  (void)!::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void change_listener::loop() {
  auto backoff = std::chrono::milliseconds(1000);
  // Waits on the connection's socket (or only the stop pipe when fd < 0); false once
  // the destructor asked to stop.
  auto wait = [this](int fd, std::chrono::milliseconds timeout) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {fd, POLLIN, 0}};
    (void)::poll(fds, fd < 0 ? 1 : 2, static_cast<int>(timeout.count()));
    return !stopping_.load();
  };
  while (!stopping_) {
    // expand_dbname: the configured string (keywords or URI) is expanded in place of
    // "dbname", and the name for pg_stat_activity applies unless it sets its own.
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {conninfo_.c_str(), "letterhead", nullptr};
    conn_ptr conn(PQconnectdbParams(keys, values, 1));
    // Server notices ("terminating connection ...") are expected here and not ours to
    // print: a lost connection is simply re-established.
    PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
    bool listening = false;
    if (PQstatus(conn.get()) == CONNECTION_OK) {
      PGresult* r = PQexec(conn.get(), (std::string("LISTEN ") + change_channel).c_str());
      listening = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
    }
    if (!listening) {
      if (!wait(-1, backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(10'000));
      continue;
    }
    backoff = std::chrono::milliseconds(1000);
    const int fd = PQsocket(conn.get());
    while (wait(fd, std::chrono::milliseconds(10'000))) {
      if (PQconsumeInput(conn.get()) == 0) break;  // the connection is gone: reconnect
      while (PGnotify* n = PQnotifies(conn.get())) {
        if (auto account = account_of(n->extra); account != 0) on_change_(account);
        PQfreemem(n);
      }
      if (PQstatus(conn.get()) != CONNECTION_OK) break;
    }
  }
}

}  // namespace letterhead::store::postgres
