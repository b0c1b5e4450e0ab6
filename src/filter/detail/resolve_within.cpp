#include "filter/detail/resolve_within.hpp"

#include <netdb.h>
#include <signal.h>

#include <atomic>
#include <cstring>
#include <ctime>

namespace letterhead::filter::detail {

namespace {

constexpr std::size_t max_addresses = 16;

void append(const addrinfo* list, std::vector<socket_address>& out) {
  for (auto* ai = list; ai != nullptr && out.size() < max_addresses; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    socket_address a;
    std::memcpy(&a.sa, ai->ai_addr, ai->ai_addrlen);
    a.length = ai->ai_addrlen;
    a.family = ai->ai_family;
    out.push_back(a);
  }
}

// One getaddrinfo_a request, freed by whichever lets go of it last: the caller, or
// glibc's completion notification (a lookup the caller stopped waiting for still
// finishes, on glibc's thread, and writes into it).
class pending_lookup {
 public:
  pending_lookup(const std::string& host, std::uint16_t port) : host_(host), port_(std::to_string(port)) {
    hints_.ai_socktype = SOCK_STREAM;
    hints_.ai_flags = AI_NUMERICSERV;
    request_.ar_name = host_.c_str();
    request_.ar_service = port_.c_str();
    request_.ar_request = &hints_;
  }
  pending_lookup(const pending_lookup&) = delete;
  pending_lookup& operator=(const pending_lookup&) = delete;
  ~pending_lookup() {
    if (request_.ar_result != nullptr) ::freeaddrinfo(request_.ar_result);
  }
  static void notified(sigval v) { static_cast<pending_lookup*>(v.sival_ptr)->release(); }
  void release() {
    if (holders_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  gaicb* request() { return &request_; }

 private:
  std::string host_;
  std::string port_;
  addrinfo hints_{};
  gaicb request_{};
  std::atomic<int> holders_{2};
};

core::error unavailable(const std::string& what) { return core::error{core::errc::unavailable, what}; }

}  // namespace

core::result<std::vector<socket_address>> resolve_within(const std::string& host, std::uint16_t port,
                                                         std::chrono::steady_clock::time_point deadline) {
  std::vector<socket_address> out;
  const auto service = std::to_string(port);
  // A literal: AI_NUMERICHOST never asks a resolver.
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  if (addrinfo* list = nullptr; ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) == 0) {
    append(list, out);
    ::freeaddrinfo(list);
    return out;
  }
  auto* lookup = new pending_lookup(host, port);
  gaicb* requests[] = {lookup->request()};
  sigevent done{};
  done.sigev_notify = SIGEV_THREAD;
  done.sigev_notify_function = &pending_lookup::notified;
  done.sigev_value.sival_ptr = lookup;
  if (::getaddrinfo_a(GAI_NOWAIT, requests, 1, &done) != 0) {
    delete lookup;  // not queued: nothing will notify
    return std::unexpected(unavailable("cannot resolve " + host));
  }
  int state = EAI_INPROGRESS;
  while ((state = ::gai_error(lookup->request())) == EAI_INPROGRESS) {
    const auto left =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    const timespec wait{static_cast<time_t>(left / 1'000'000'000), static_cast<long>(left % 1'000'000'000)};
    (void)::gai_suspend(requests, 1, &wait);  // woken by the answer, the deadline or a signal
  }
  if (state == 0) append(lookup->request()->ar_result, out);
  lookup->release();
  if (state == EAI_INPROGRESS) return std::unexpected(unavailable("resolving " + host + " timed out"));
  if (out.empty()) {
    return std::unexpected(unavailable("cannot resolve " + host + (state != 0 ? std::string(": ") + ::gai_strerror(state) : "")));
  }
  return out;
}

}  // namespace letterhead::filter::detail
