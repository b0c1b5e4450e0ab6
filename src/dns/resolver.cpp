// The libunbound resolver.
//
// One ub_ctx per resolver, shared by every calling thread so that they share one
// cache. ub_ctx_async(ctx, 1) makes libunbound resolve in a thread of its own (not a
// forked process); a dispatcher thread of ours waits on ub_fd() and runs ub_process(),
// which calls on_result() for each finished query. A caller starts its queries with
// ub_resolve_async() and waits on its own condition variable until they finish or
// its deadline passes; then it cancels what is left (ub_cancel) and reports a
// timeout, so no call blocks longer than options.timeout.
//
// Ownership of a query's ticket: on_result() frees it; when ub_cancel() succeeds
// libunbound never calls on_result() for that query (the cancel flag is read under
// the context lock before the callback is taken), so the caller frees it.

#include <poll.h>
#include <sys/eventfd.h>
#include <unbound.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "dns/answer_cache.hpp"
#include "dns/names.hpp"
#include "dns/rdata.hpp"
#include "dns/resolver.hpp"

namespace letterhead::dns {

const char* to_string(status s) noexcept {
  switch (s) {
    case status::ok: return "ok";
    case status::nxdomain: return "nxdomain";
    case status::nodata: return "nodata";
    case status::temporary: return "temporary";
    case status::bogus: return "bogus";
  }
  return "unknown";
}

std::vector<answer<std::string>> resolver::ipv4_many(const std::vector<std::string>& hosts) {
  std::vector<answer<std::string>> out;
  out.reserve(hosts.size());
  for (const auto& h : hosts) {
    auto a = addresses(h);
    std::erase_if(a.records, [](const std::string& ip) { return ip.find(':') != std::string::npos; });
    if (a.result == status::ok && a.records.empty()) a.result = status::nodata;
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

// RR types (RFC 1035 §3.2.2, RFC 3596, RFC 6698) and the IN class.
constexpr int type_a = 1;
constexpr int type_ptr = 12;
constexpr int type_mx = 15;
constexpr int type_txt = 16;
constexpr int type_aaaa = 28;
constexpr int type_tlsa = 52;
constexpr int class_in = 1;

// Longest `why` text taken from libunbound (why_bogus quotes names from the network).
constexpr std::size_t max_why = 300;

struct result_deleter {
  void operator()(ub_result* r) const noexcept { ub_resolve_free(r); }
};
using result_ptr = std::unique_ptr<ub_result, result_deleter>;

struct slot {
  bool done = false;
  int err = 0;
  result_ptr res;
};

// The queries of one call (A and AAAA are asked together).
struct batch {
  std::mutex m;
  std::condition_variable cv;
  std::vector<slot> slots;
  std::size_t remaining = 0;
};

struct ticket {
  std::shared_ptr<batch> b;
  std::size_t index = 0;
};

void on_result(void* mydata, int err, ub_result* res) {
  std::unique_ptr<ticket> t(static_cast<ticket*>(mydata));
  result_ptr owned(res);
  {
    std::lock_guard lock(t->b->m);
    slot& s = t->b->slots[t->index];
    s.done = true;
    s.err = err;
    s.res = std::move(owned);
    --t->b->remaining;
  }
  t->b->cv.notify_all();
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, max_why)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u >= 0x7f) ? '?' : c;
  }
  return out;
}

std::string rcode_text(int rcode) {
  switch (rcode) {  // RFC 1035 §4.1.1
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return fmt::format("rcode {}", rcode);
  }
}

// Turns one query's outcome into an answer, parsing each record with `parse`.
template <class T, class Parse>
answer<T> to_answer(const slot& s, std::string_view type, Parse parse) {
  answer<T> a;
  if (!s.done) {
    a.why = "timeout";
    return a;
  }
  if (s.err != 0 || !s.res) {
    a.why = fmt::format("resolver error: {}", ub_strerror(s.err));
    return a;
  }
  const ub_result& r = *s.res;
  if (r.bogus) {
    a.result = status::bogus;
    a.why = r.why_bogus ? printable(r.why_bogus) : std::string("DNSSEC validation failed");
    return a;
  }
  if (r.rcode != 0 && r.rcode != 3) {
    a.why = rcode_text(r.rcode);
    return a;
  }
  a.secure = r.secure != 0;
  if (r.nxdomain || r.rcode == 3) {
    a.result = status::nxdomain;
    a.why = "no such domain (NXDOMAIN)";
    return a;
  }
  if (!r.havedata || r.data == nullptr || r.data[0] == nullptr) {
    a.result = status::nodata;
    a.why = fmt::format("no {} records", type);
    return a;
  }
  for (std::size_t i = 0; r.data[i] != nullptr; ++i) {
    if (r.len[i] < 0) return answer<T>{status::temporary, false, {}, fmt::format("malformed {} record", type)};
    auto rec = parse(std::string_view(r.data[i], static_cast<std::size_t>(r.len[i])));
    // A record we cannot read makes the whole answer unusable: acting on the rest
    // could give a different verdict (SPF, DMARC) than the publisher meant.
    if (!rec) return answer<T>{status::temporary, false, {}, fmt::format("malformed {} record", type)};
    a.records.push_back(std::move(*rec));
  }
  a.result = status::ok;
  return a;
}

template <class T>
answer<T> refused_name(std::string_view why) {
  return answer<T>{status::nxdomain, false, {}, std::string(why)};
}

class unbound_resolver final : public resolver {
 public:
  unbound_resolver(ub_ctx* ctx, int wake_fd, std::chrono::milliseconds timeout)
      : ctx_(ctx), wake_fd_(wake_fd), timeout_(timeout), dispatcher_([this] { dispatch(); }) {}

  unbound_resolver(const unbound_resolver&) = delete;
  unbound_resolver& operator=(const unbound_resolver&) = delete;

  ~unbound_resolver() override {
    const std::uint64_t one = 1;
    while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
    dispatcher_.join();
    ub_ctx_delete(ctx_);
    ::close(wake_fd_);
  }

  answer<mx_record> mx(std::string_view domain) override {
    const auto name = query_name(domain);
    if (!name) return refused_name<mx_record>("invalid domain name");
    auto slots = lookup(*name, {type_mx});
    auto a = to_answer<mx_record>(slots[0], "MX", parse_mx);
    // RFC 5321 §5.1: by preference, equal preferences in random order.
    thread_local std::mt19937 rng{std::random_device{}()};
    std::vector<std::pair<std::uint32_t, mx_record>> keyed;
    keyed.reserve(a.records.size());
    for (auto& m : a.records) keyed.emplace_back(rng(), std::move(m));
    std::sort(keyed.begin(), keyed.end(), [](const auto& x, const auto& y) {
      return std::tie(x.second.preference, x.first) < std::tie(y.second.preference, y.first);
    });
    a.records.clear();
    for (auto& [key, m] : keyed) a.records.push_back(std::move(m));
    return a;
  }

  answer<std::string> addresses(std::string_view host) override {
    const auto name = query_name(host);
    if (!name) return refused_name<std::string>("invalid host name");
    auto slots = lookup(*name, {type_a, type_aaaa});
    auto a = to_answer<std::string>(slots[0], "A", parse_a);
    auto aaaa = to_answer<std::string>(slots[1], "AAAA", parse_aaaa);
    if (a.result == status::bogus) return a;
    if (aaaa.result == status::bogus) return aaaa;
    answer<std::string> out;
    if (a.result == status::ok || aaaa.result == status::ok) {
      // Secure when every half that answered was; a half that failed adds nothing.
      const bool a_answered = a.result != status::temporary;
      const bool aaaa_answered = aaaa.result != status::temporary;
      out.result = status::ok;
      out.secure = (!a_answered || a.secure) && (!aaaa_answered || aaaa.secure);
      out.records = std::move(a.records);
      out.records.insert(out.records.end(), aaaa.records.begin(), aaaa.records.end());
      return out;
    }
    if (a.result == status::temporary) return a;
    if (aaaa.result == status::temporary) return aaaa;
    out.secure = a.secure && aaaa.secure;
    if (a.result == status::nxdomain || aaaa.result == status::nxdomain) {
      out.result = status::nxdomain;
      out.why = a.result == status::nxdomain ? a.why : aaaa.why;
      return out;
    }
    out.result = status::nodata;
    out.why = "no A or AAAA records";
    return out;
  }

  answer<std::string> txt(std::string_view name) override {
    const auto q = query_name(name);
    if (!q) return refused_name<std::string>("invalid domain name");
    const auto now = answer_cache::clock::now();
    if (auto hit = cache_.get(type_txt, *q, now)) return std::move(*hit);
    auto slots = lookup(*q, {type_txt});
    auto a = to_answer<std::string>(slots[0], "TXT", parse_txt);
    if (slots[0].res) cache_.put(type_txt, *q, a, slots[0].res->ttl, now);
    return a;
  }

  answer<tlsa_record> tlsa(std::string_view name) override {
    const auto q = query_name(name);
    if (!q) return refused_name<tlsa_record>("invalid domain name");
    auto slots = lookup(*q, {type_tlsa});
    return to_answer<tlsa_record>(slots[0], "TLSA", parse_tlsa);
  }

  answer<std::string> ptr(std::string_view ip) override {
    const auto q = reverse_name(ip);
    if (!q) return refused_name<std::string>("not an IP address");
    auto slots = lookup(*q, {type_ptr});
    return to_answer<std::string>(slots[0], "PTR", parse_ptr);
  }

  std::vector<answer<std::string>> ipv4_many(const std::vector<std::string>& hosts) override {
    std::vector<answer<std::string>> out(hosts.size());
    std::vector<std::pair<std::string, int>> queries;
    std::vector<std::size_t> asked;  // index into hosts of each query
    const auto now = answer_cache::clock::now();
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      auto name = query_name(hosts[i]);
      if (!name) {
        out[i] = refused_name<std::string>("invalid host name");
        continue;
      }
      if (auto hit = cache_.get(type_a, *name, now)) {
        out[i] = std::move(*hit);
        continue;
      }
      queries.emplace_back(std::move(*name), type_a);
      asked.push_back(i);
    }
    if (queries.empty()) return out;
    const auto slots = lookup(queries);
    for (std::size_t k = 0; k < asked.size(); ++k) {
      out[asked[k]] = to_answer<std::string>(slots[k], "A", parse_a);
      if (slots[k].res) cache_.put(type_a, queries[k].first, out[asked[k]], slots[k].res->ttl, now);
    }
    return out;
  }

 private:
  // Asks for each type of `name` at once and waits for all of them until one deadline.
  std::vector<slot> lookup(const std::string& name, std::initializer_list<int> types) {
    std::vector<std::pair<std::string, int>> queries;
    for (int type : types) queries.emplace_back(name, type);
    return lookup(queries);
  }

  // Asks every (name, type) at once and waits for all of them until one deadline.
  std::vector<slot> lookup(const std::vector<std::pair<std::string, int>>& queries) {
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    auto b = std::make_shared<batch>();
    b->slots.resize(queries.size());
    b->remaining = queries.size();
    std::vector<int> ids(queries.size(), 0);
    std::vector<ticket*> tickets(queries.size(), nullptr);
    for (std::size_t i = 0; i < queries.size(); ++i) {
      auto t = std::make_unique<ticket>(ticket{b, i});
      const int rc = ub_resolve_async(ctx_, queries[i].first.c_str(), queries[i].second, class_in, t.get(), on_result,
                                      &ids[i]);
      if (rc == 0) {
        tickets[i] = t.release();  // on_result owns it now, unless cancelled
      } else {
        std::lock_guard lock(b->m);
        b->slots[i].done = true;
        b->slots[i].err = rc;
        --b->remaining;
      }
    }

    std::unique_lock lock(b->m);
    b->cv.wait_until(lock, deadline, [&] { return b->remaining == 0; });
    std::vector<std::size_t> unfinished;
    for (std::size_t k = 0; k < b->slots.size(); ++k) {
      if (!b->slots[k].done) unfinished.push_back(k);
    }
    lock.unlock();
    for (std::size_t k : unfinished) {
      // Success: on_result will never run for it, and its ticket is ours to free.
      // Failure: the answer is being delivered right now; on_result frees the ticket.
      if (ub_cancel(ctx_, ids[k]) == 0) delete tickets[k];
    }
    lock.lock();
    std::vector<slot> out(b->slots.size());
    for (std::size_t k = 0; k < b->slots.size(); ++k) {
      if (b->slots[k].done) out[k] = std::move(b->slots[k]);
    }
    return out;
  }

  void dispatch() {
    pollfd fds[2] = {{ub_fd(ctx_), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    while (true) {
      const int n = ::poll(fds, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (fds[1].revents != 0) return;
      if (fds[0].revents != 0 && ub_process(ctx_) != 0) {
        // The pipe from libunbound's thread is gone: wait for shutdown; lookups
        // time out (temporary) instead of spinning here.
        fds[0].fd = -1;
      }
    }
  }

  answer_cache cache_;
  ub_ctx* ctx_;
  int wake_fd_;
  std::chrono::milliseconds timeout_;
  std::thread dispatcher_;
};

}  // namespace

core::result<std::unique_ptr<resolver>> make_resolver(const options& o) {
  using core::errc;
  if (o.timeout <= std::chrono::milliseconds::zero()) {
    return core::fail(errc::invalid, "DNS timeout must be positive");
  }
  std::unique_ptr<ub_ctx, decltype(&ub_ctx_delete)> ctx(ub_ctx_create(), ub_ctx_delete);
  if (!ctx) return core::fail(errc::internal, "cannot create a libunbound context");
  auto check = [](int rc, std::string_view what) -> core::result<void> {
    if (rc == 0) return {};
    return core::fail(errc::invalid, fmt::format("DNS {}: {}", what, ub_strerror(rc)));
  };
  // A thread, not a forked helper process (TOOLCHAIN.md).
  if (auto r = check(ub_ctx_async(ctx.get(), 1), "async mode"); !r) return std::unexpected(r.error());
  // We forward every query to the configured (or system) resolvers, which are often
  // on loopback (127.0.0.53, a local unbound); unbound refuses those by default.
  // The site's resolver, not our stub, decides about private and special-use
  // names: unblock the RFC 6303 (AS112) zones, and mark them insecure so that a
  // private reverse zone under a signed parent is not bogus.
  for (const auto& [key, value] : {std::pair{"do-not-query-localhost:", "no"},
                                   std::pair{"unblock-lan-zones:", "yes"},
                                   std::pair{"insecure-lan-zones:", "yes"}}) {
    if (auto r = check(ub_ctx_set_option(ctx.get(), key, value), key); !r) return std::unexpected(r.error());
  }
  if (o.servers.empty()) {
    if (ub_ctx_resolvconf(ctx.get(), nullptr) != 0) {
      return core::fail(errc::unavailable, "DNS: cannot read /etc/resolv.conf; set [dns] servers");
    }
  }
  for (const auto& s : o.servers) {
    auto addr = unbound_server(s);
    if (!addr) return std::unexpected(addr.error());
    if (auto r = check(ub_ctx_set_fwd(ctx.get(), addr->c_str()), fmt::format("server '{}'", s)); !r) {
      return std::unexpected(r.error());
    }
  }
  if (!o.trust_anchor_file.empty()) {
    if (!std::ifstream(o.trust_anchor_file)) {
      return core::fail(errc::invalid,
                        fmt::format("DNS trust anchor '{}': cannot read the file", o.trust_anchor_file));
    }
    if (auto r = check(ub_ctx_add_ta_file(ctx.get(), o.trust_anchor_file.c_str()), "trust anchor"); !r) {
      return std::unexpected(r.error());
    }
  }
  // Removing unbound's built-in empty zones for the RFC 6761/7686 special-use names
  // (test., invalid., onion.) leaves them to the resolver we forward to, as above.
  // The first removal also finalizes the context, which reads the trust anchor: a
  // bad file is reported here rather than at the first lookup.
  for (const char* zone : {"test.", "invalid.", "onion."}) {
    if (const int rc = ub_ctx_zone_remove(ctx.get(), zone); rc != 0) {
      return core::fail(errc::invalid, fmt::format("DNS setup (trust anchor '{}'?): {}", o.trust_anchor_file,
                                                   ub_strerror(rc)));
    }
  }
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) return core::fail(errc::internal, "DNS: eventfd failed");
  return std::make_unique<unbound_resolver>(ctx.release(), wake, o.timeout);
}

}  // namespace letterhead::dns
