#include "delivery/outbound/worker.hpp"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "delivery/outbound/routing.hpp"
#include "delivery/outbound/mta_sts_cache.hpp"
#include "delivery/outbound/requiretls.hpp"
#include "delivery/outbound/schedule.hpp"
#include "delivery/outbound/tls_policy.hpp"
#include "mime/seven_bit.hpp"
#include "smtp/client/client.hpp"
#include "smtp/client/requirements.hpp"

namespace letterhead::delivery::outbound {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using smtp::client::outcome;
using smtp::client::status;
using state = store::queue_recipient::state;

namespace {

store::unix_time unix_now() { return static_cast<store::unix_time>(std::time(nullptr)); }

// The key under which the smarthost's connections are counted and kept.
constexpr const char* relay_key = "[relay]";

struct counters {
  core::metrics::counter& attempts;
  core::metrics::counter& delivered;
  core::metrics::counter& deferred;
  core::metrics::counter& failed;
  core::metrics::counter& expired;
  core::metrics::counter& connections_ok;
  core::metrics::counter& connections_failed;
  core::metrics::counter& connections_reused;
  core::metrics::gauge& in_flight;

  static counters& get() {
    auto& m = core::metrics::global();
    constexpr const char* rcpt = "letterhead_outbound_recipients_total";
    constexpr const char* rcpt_help = "Outbound recipient results, by result.";
    constexpr const char* conn = "letterhead_outbound_connections_total";
    constexpr const char* conn_help = "Outbound SMTP connections, by result.";
    static counters c{
        m.counter("letterhead_outbound_attempts_total", {}, "Delivery attempts of queue entries."),
        m.counter(rcpt, {{"result", "delivered"}}, rcpt_help),
        m.counter(rcpt, {{"result", "deferred"}}, rcpt_help),
        m.counter(rcpt, {{"result", "failed"}}, rcpt_help),
        m.counter(rcpt, {{"result", "expired"}}, rcpt_help),
        m.counter(conn, {{"result", "ok"}}, conn_help),
        m.counter(conn, {{"result", "failed"}}, conn_help),
        m.counter(conn, {{"result", "reused"}}, conn_help),
        m.gauge("letterhead_outbound_in_flight", {}, "Queue entries being delivered now."),
    };
    return c;
  }
};

}  // namespace

struct queue_worker::impl : std::enable_shared_from_this<impl> {
  using session_ptr = std::unique_ptr<smtp::client::session>;

  struct idle_session {
    session_ptr session;
    clock::time_point since;
  };
  struct destination {
    std::size_t active = 0;
    std::deque<std::shared_ptr<asio::steady_timer>> waiters;
    std::vector<idle_session> idle;
  };

  asio::strand<asio::io_context::executor_type> strand;
  asio::thread_pool& blocking;
  store::store& store;
  dns::resolver* resolver;
  std::shared_ptr<asio::ssl::context> tls;
  worker_options opt;
  bounce_sink& sink;
  message_signer* signer;
  counters& metrics = counters::get();

  asio::steady_timer timer;
  bool woken = false;
  bool stopping = false;
  std::set<store::id_t> in_flight;
  std::atomic<std::size_t> in_flight_count{0};  // in_flight.size(), readable from any thread
  std::map<std::string, destination> destinations;
  std::string last_claim_error;
  sts_fetch_options sts;

  impl(asio::io_context& io, asio::thread_pool& pool, store::store& st, dns::resolver* r,
       std::shared_ptr<asio::ssl::context> ctx, worker_options o, bounce_sink& s, message_signer* sig)
      : strand(asio::make_strand(io)),
        blocking(pool),
        store(st),
        resolver(r),
        tls(std::move(ctx)),
        opt(std::move(o)),
        sink(s),
        signer(sig),
        timer(strand) {
    // RFC 7672: OpenSSL's DANE verifier needs the context prepared once.
    if (tls) {
      if (auto r = smtp::client::prepare_client_context(*tls, opt.queue.tls_ca_file); !r) {
        spdlog::warn("outbound queue: {}", r.error().message);
      }
    }
    sts.ca_file = opt.queue.tls_ca_file;
    sts.port = opt.queue.mta_sts_port;
    sts.timeout = std::min<std::chrono::seconds>(opt.queue.command_timeout, std::chrono::seconds(60));
  }

  bool relay() const { return !opt.relay.host.empty(); }

  // --- the loop ---

  asio::awaitable<void> run() {
    auto self = shared_from_this();  // lives as long as the loop
    spdlog::info("outbound queue: started ({}; lease owner {})",
                 relay() ? "smarthost " + opt.relay.host : std::string("direct MX delivery"), opt.lease_owner);
    while (!stopping) {
      reap_idle(false);
      co_await claim_and_start();
      if (stopping) break;
      if (!woken) {
        timer.expires_after(next_wait());
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      woken = false;
    }
    reap_idle(true);
  }

  void wake_here() {
    woken = true;
    timer.cancel();
  }

  std::chrono::steady_clock::duration next_wait() const {
    auto wait = std::chrono::duration_cast<clock::duration>(opt.queue.poll_interval);
    const auto now = clock::now();
    for (const auto& [key, d] : destinations) {
      for (const auto& i : d.idle) wait = std::min(wait, i.since + opt.queue.idle_connection - now);
    }
    return std::max(wait, clock::duration(std::chrono::milliseconds(10)));
  }

  asio::awaitable<void> claim_and_start() {
    while (!stopping && in_flight.size() < opt.queue.concurrency) {
      const std::size_t want = opt.queue.concurrency - in_flight.size();
      // Leases on the store's clock (the database server's in a cluster): a node whose
      // own clock is minutes behind neither takes entries whose leases still run nor
      // hands out leases that others see as expired.
      auto claim = [st = &store, want, owner = opt.lease_owner,
                    lease = static_cast<store::unix_time>(opt.queue.lease.count())]()
          -> core::result<std::vector<store::queue_entry>> {
        auto now = st->clock();
        if (!now) return std::unexpected(now.error());
        return st->claim_queue(*now, want, owner, *now + lease);
      };
      auto claimed = co_await core::run_blocking(blocking, std::move(claim));
      if (!claimed) {
        // Said once per distinct error, not at every poll.
        if (claimed.error().message != last_claim_error) {
          spdlog::warn("outbound queue: cannot claim entries: {}", claimed.error().message);
          last_claim_error = claimed.error().message;
        }
        co_return;
      }
      last_claim_error.clear();
      std::size_t started = 0;
      for (auto& e : *claimed) {
        // Claimed again while its delivery still runs (its lease ran out): leave it
        // to the delivery in progress.
        if (in_flight.contains(e.id)) continue;
        in_flight.insert(e.id);
        in_flight_count = in_flight.size();
        ++started;
        metrics.in_flight.inc();
        asio::co_spawn(strand, run_entry(shared_from_this(), std::move(e)), asio::detached);
      }
      if (claimed->size() < want || started == 0) co_return;
    }
  }

  static asio::awaitable<void> run_entry(std::shared_ptr<impl> self, store::queue_entry e) {
    const auto id = e.id;
    try {
      co_await self->deliver_entry(std::move(e));
    } catch (const std::exception& ex) {
      spdlog::error("outbound queue: entry {}: {}", id, ex.what());
    }
    self->in_flight.erase(id);
    self->in_flight_count = self->in_flight.size();
    self->metrics.in_flight.dec();
    self->wake_here();
  }

  // --- one entry ---

  // An entry's message as it leaves: DKIM fields + the queued bytes, and, made when the
  // first server without 8BITMIME (or BINARYMIME) needs it, a 7-bit copy signed on its
  // own (RFC 6152 §3): re-encoding after signing would break the body hash and any
  // signed Content-Transfer-Encoding (RFC 6376 §5.3 asks signers to convert first).
  struct outgoing {
    std::string message;
    std::size_t signature_size = 0;
    std::optional<core::result<std::string>> seven_bit;
    [[nodiscard]] std::string_view original() const { return std::string_view(message).substr(signature_size); }
  };

  // DKIM-Signature fields for `msg`, or "" (no signer, or an error: sent unsigned).
  asio::awaitable<std::string> signature_for(const store::queue_entry& e, std::string_view msg) {
    if (signer == nullptr) co_return std::string();
    auto sign = [s = signer, &e, msg] { return s->sign(e, msg); };
    auto headers = co_await core::run_blocking(blocking, std::move(sign));
    if (!headers) {
      spdlog::warn("outbound queue: entry {}: sending unsigned: {}", e.id, headers.error().message);
      co_return std::string();
    }
    co_return std::move(*headers);
  }

  asio::awaitable<core::result<std::string>> seven_bit_copy(const store::queue_entry& e, std::string_view original) {
    auto convert = [original] { return mime::to_seven_bit(original); };
    auto converted = co_await core::run_blocking(blocking, std::move(convert));
    if (!converted) {
      spdlog::info("outbound queue: entry {}: cannot convert to 7-bit: {}", e.id, converted.error().message);
      co_return converted;
    }
    spdlog::info("outbound queue: entry {}: converted to 7-bit for a server without 8BITMIME (RFC 6152 §3)", e.id);
    auto headers = co_await signature_for(e, *converted);
    converted->insert(0, headers);
    co_return converted;
  }

  asio::awaitable<void> deliver_entry(store::queue_entry e) {
    metrics.attempts.inc();
    const auto claimed_at = clock::now();
    // Past this point no new transaction starts: the lease must not run out while
    // we still send (another worker could then send the same message).
    const auto deadline = claimed_at + opt.queue.lease - opt.queue.lease / 4;
    auto load = [st = &store, blob = e.blob] { return st->blobs().get(blob); };
    auto message = co_await core::run_blocking(blocking, std::move(load));
    std::vector<std::size_t> relayed;
    bool attempted = true;
    if (!message) {
      spdlog::error("outbound queue: entry {}: cannot read message {}: {}", e.id, e.blob, message.error().message);
      const status why{outcome::temporary, 0, "4.3.0", "cannot read the queued message"};
      for (auto& r : e.recipients) {
        if (r.status == state::pending) record(r, why, "");
      }
    } else {
      outgoing msg;
      msg.message = std::move(*message);
      const auto headers = co_await signature_for(e, msg.message);
      msg.message.insert(0, headers);
      msg.signature_size = headers.size();
      const auto demand = demand_of(e, msg.message);
      if (demand == tls_demand::required) {
        spdlog::info("outbound queue: entry {}: REQUIRETLS (RFC 8689)", e.id);
      } else if (demand == tls_demand::optional) {
        spdlog::info("outbound queue: entry {}: TLS-Required: No, recipient TLS policies ignored", e.id);
      }
      std::map<std::string, std::vector<std::size_t>> groups;
      for (std::size_t i = 0; i < e.recipients.size(); ++i) {
        if (e.recipients[i].status != state::pending) continue;
        groups[relay() ? std::string(relay_key) : destination_of(e.recipients[i].address)].push_back(i);
      }
      // Not an attempt unless some destination was really tried before the deadline.
      attempted = groups.empty();
      for (const auto& [dest, indices] : groups) {
        if (clock::now() > deadline) break;
        const bool tried = co_await deliver_group(e, msg, dest, demand, indices, relayed, deadline);
        attempted = attempted || tried;
      }
    }
    co_await finish(std::move(e), relayed, attempted);
  }

  asio::awaitable<void> finish(store::queue_entry e, const std::vector<std::size_t>& relayed, bool attempted) {
    // The next attempt on the store's clock, like the leases.
    auto ask = [st = &store] { return st->clock(); };
    const auto store_now = co_await core::run_blocking(blocking, std::move(ask));
    const auto now = store_now ? *store_now : unix_now();
    attempt_outcome out;
    if (attempted) {
      out = finish_attempt(e, opt.queue, now, relayed);
    } else {
      // Ran out of lease before every destination was tried: not a failed attempt,
      // just due again at once.
      e.next_attempt = now;
    }
    bool reports_done = true;
    for (const auto& r : out.reports) {
      auto send = [s = &sink, &e, &r] { return s->report(e, r.recipients, r.kind); };
      auto ok = co_await core::run_blocking(blocking, std::move(send));
      if (ok) {
        confirm_report(e, r);
      } else {
        reports_done = false;
        spdlog::warn("outbound queue: entry {}: {} report failed: {}", e.id, to_string(r.kind), ok.error().message);
      }
      if (r.kind == report_kind::expired) metrics.expired.inc(r.recipients.size());
    }
    auto update = [st = &store, &e] { return st->update_queue_entry(e); };
    auto written = co_await core::run_blocking(blocking, std::move(update));
    if (!written) {
      // conflict: an admin removed the entry, or our lease ran out and another
      // worker has it. Either way it is no longer ours.
      spdlog::warn("outbound queue: entry {}: results not written: {}", e.id, written.error().message);
      co_return;
    }
    if (out.finished && reports_done) {
      auto remove = [st = &store, id = e.id] { return st->remove_queue_entry(id); };
      if (auto removed = co_await core::run_blocking(blocking, std::move(remove)); !removed) {
        spdlog::warn("outbound queue: entry {}: not removed: {}", e.id, removed.error().message);
      }
      spdlog::info("outbound queue: entry {} done after {} attempt(s)", e.id, e.attempts);
    } else if (attempted && !out.finished) {
      spdlog::info("outbound queue: entry {} deferred, next attempt in {}s", e.id, e.next_attempt - now);
    }
  }

  // --- one destination of one entry ---

  smtp::client::envelope envelope_for(const store::queue_entry& e, const std::vector<std::size_t>& chunk) const {
    smtp::client::envelope env;
    env.mail_from = e.mail_from;
    env.dsn_ret = e.dsn_ret;
    env.dsn_envid = e.dsn_envid;
    env.body_type = e.body_type;
    env.smtputf8 = e.smtputf8;
    env.requiretls = e.requiretls;
    for (const auto i : chunk) {
      const auto& r = e.recipients[i];
      env.recipients.push_back(smtp::client::recipient{r.address, r.dsn_notify, r.dsn_orcpt});
    }
    return env;
  }

  void record_all(store::queue_entry& e, const std::vector<std::size_t>& indices, const status& why,
                  const std::string& remote) {
    for (const auto i : indices) {
      record(e.recipients[i], why, remote);
      count(why);
    }
  }

  void count(const status& s) {
    switch (s.result) {
      case outcome::delivered: metrics.delivered.inc(); break;
      case outcome::permanent: metrics.failed.inc(); break;
      case outcome::temporary: metrics.deferred.inc(); break;
    }
  }

  // Sends one destination's recipients; false when the lease deadline passed before
  // anything was tried (the recipients stay as they were).
  asio::awaitable<bool> deliver_group(store::queue_entry& e, outgoing& msg, const std::string& dest,
                                      tls_demand demand, const std::vector<std::size_t>& indices,
                                      std::vector<std::size_t>& relayed, clock::time_point deadline) {
    route rt;
    if (relay()) {
      rt = relay_route(opt.relay);
    } else if (resolver == nullptr) {
      rt.failure = status{outcome::temporary, 0, "4.4.3", "no DNS resolver configured"};
    } else {
      auto lookup = [r = resolver, d = dest, port = opt.queue.mx_port] { return mx_route(*r, d, port); };
      rt = co_await core::run_blocking(blocking, std::move(lookup));
    }
    if (rt.failure) {
      spdlog::info("outbound queue: entry {}: {}: {}", e.id, dest, rt.failure->describe());
      record_all(e, indices, *rt.failure, "");
      co_return true;
    }
    // RFC 8461 §5.1: the domain's MTA-STS policy, from the store's cache or fetched
    // (not for TLS-Required: No, which ignores it: RFC 8689 §4.2.2).
    domain_sts policy;
    if (!relay() && resolver != nullptr && !rt.hosts.empty() && !rt.hosts.front().is_ip &&
        demand != tls_demand::optional) {
      auto find = [r = resolver, st = &store, d = dest, o = sts] { return sts_for_domain(*r, *st, d, o, unix_now()); };
      policy = co_await core::run_blocking(blocking, std::move(find));
      if (policy.policy) {
        spdlog::info("outbound queue: {}: MTA-STS {} ({})", dest, to_string(policy.policy->mode), policy.note);
      }
    }

    // Connections are shared only between entries of the same TLS demand.
    const auto key = connection_key(dest, demand);
    co_await acquire(key);
    session_ptr s;
    bool tried = false;
    const std::size_t per = std::max<std::size_t>(opt.queue.max_recipients, 1);
    for (std::size_t start = 0; start < indices.size(); start += per) {
      const std::vector<std::size_t> chunk(indices.begin() + static_cast<std::ptrdiff_t>(start),
                                           indices.begin() + static_cast<std::ptrdiff_t>(std::min(start + per, indices.size())));
      // Left pending and untouched: the next attempt takes them.
      if (clock::now() > deadline) break;
      tried = true;
      const auto env = envelope_for(e, chunk);
      smtp::client::transaction_result res;
      for (int round = 0; round < 2; ++round) {
        bool reused = false;
        if (!s) {
          s = take_idle(key);
          reused = s != nullptr;
        }
        if (!s) {
          auto opened = co_await open_session(rt, dest, policy.policy, demand);
          if (!opened) {
            spdlog::info("outbound queue: entry {}: {}: {}", e.id, dest, opened.error().describe());
            res.recipients.assign(chunk.size(), opened.error());
            break;
          }
          s = std::move(*opened);
        }
        // RFC 6152 §3: converted to 7-bit for a server without 8BITMIME, sent as 7BIT.
        const std::string* bytes = &msg.message;
        auto send_env = env;
        if (smtp::client::needs_seven_bit(smtp::client::analyse(env, msg.original()), s->extensions(), s->esmtp())) {
          if (!msg.seven_bit) msg.seven_bit = co_await seven_bit_copy(e, msg.original());
          if (!*msg.seven_bit) {
            res.recipients.assign(chunk.size(),
                                  status{outcome::permanent, 0, "5.6.3",
                                         fmt::format("The destination server does not support 8BITMIME and the "
                                                     "message cannot be converted to 7-bit: {}",
                                                     msg.seven_bit->error().message)});
            res.reusable = true;
            break;
          }
          bytes = &**msg.seven_bit;
          send_env.body_type = "7BIT";
        }
        res = co_await s->send(send_env, *bytes);
        const bool nothing_answered = std::ranges::all_of(
            res.recipients, [](const status& st) { return st.result == outcome::temporary && st.code == 0; });
        if (reused && !res.reusable && nothing_answered) {
          // The server closed the idle connection meanwhile: once more on a new one.
          s.reset();
          continue;
        }
        break;
      }
      const std::string remote = s ? s->peer() : std::string();
      const bool peer_dsn = s && s->extensions().dsn;
      for (std::size_t k = 0; k < chunk.size(); ++k) {
        record(e.recipients[chunk[k]], res.recipients[k], remote);
        count(res.recipients[k]);
        // RFC 3461 §5.2.2: relayed to a server without DSN, NOTIFY=SUCCESS ends here.
        if (res.recipients[k].result == outcome::delivered && !peer_dsn) relayed.push_back(chunk[k]);
      }
      if (s && !res.reusable) s.reset();
    }
    if (s) {
      if (s->transactions() < opt.queue.messages_per_connection && !stopping) {
        put_idle(key, std::move(s));
      } else {
        co_await s->quit();
      }
    }
    release(key);
    co_return tried;
  }

  smtp::client::options client_options(const mx_host& host, const host_tls& policy, tls_demand demand) const {
    smtp::client::options o;
    o.helo_name = opt.hostname;
    o.server_name = host.name;
    const auto& q = opt.queue;
    o.timeouts = smtp::client::timeouts{q.connect_timeout,   q.greeting_timeout,  q.command_timeout,
                                        q.mail_timeout,      q.rcpt_timeout,      q.data_init_timeout,
                                        q.data_block_timeout, q.data_end_timeout};
    if (relay()) {
      const auto& r = opt.relay;
      o.tls = r.tls == "tls"    ? smtp::client::tls_mode::implicit
              : r.tls == "none" ? smtp::client::tls_mode::none
                                : smtp::client::tls_mode::starttls;
      o.verify_certificate = r.verify_certificate && r.tls != "none";
      if (!r.user.empty()) o.auth = smtp::client::credentials{r.user, r.password};
    }
    if (policy.dane) {
      // RFC 7672 §2.2: STARTTLS is mandatory; the certificate is checked against
      // the TLSA records (not PKIX), see smtp/client/dane.hpp.
      o.tls = smtp::client::tls_mode::starttls;
      o.dane = policy.dane;
    } else if (policy.sts_enforce) {
      // RFC 8461 §4.2: STARTTLS, a certificate valid for the MX host name.
      o.tls = smtp::client::tls_mode::starttls;
      o.verify_certificate = true;
    } else if (policy.sts_testing) {
      o.report_unverified = true;
    }
    if (demand == tls_demand::required) {
      // RFC 8689 §4.2.1 step 4: TLS, and the certificate authenticated by DANE
      // (usable TLSA records) or else by PKIX for the host name (RFC 6125).
      if (o.tls != smtp::client::tls_mode::implicit) o.tls = smtp::client::tls_mode::starttls;
      if (!o.dane || o.dane->records.empty()) {
        o.dane.reset();
        o.verify_certificate = true;
      }
      o.report_unverified = false;
    }
    return o;
  }

  // Tries the route's hosts in order and each of their addresses.
  asio::awaitable<std::expected<session_ptr, status>> open_session(const route& rt, const std::string& domain,
                                                                   const std::optional<sts_policy>& domain_policy,
                                                                   tls_demand demand) {
    const bool required = demand == tls_demand::required;
    std::optional<status> last;
    bool every_host_gone = true;  // each host has no address at all (permanent)
    // REQUIRETLS (RFC 8689 §4.2.1): the failure is final when every host was refused
    // for REQUIRETLS reasons (or has no address), not when one could not be reached.
    bool only_refusals = true;
    std::optional<status> refusal;
    auto refused = [&](status why) {
      refusal = why;
      last = std::move(why);
    };
    for (const auto& host : rt.hosts) {
      auto lookup = [r = resolver, h = host] { return host_addresses(r, h); };
      auto addrs = co_await core::run_blocking(blocking, std::move(lookup));
      if (addrs.ips.empty()) {
        last = addrs.failure;
        if (!addrs.failure || addrs.failure->result != outcome::permanent) {
          every_host_gone = false;
          only_refusals = false;
        }
        continue;
      }
      every_host_gone = false;
      host_tls policy;
      // RFC 8689 §4.2.2: TLS-Required: No ignores DANE and MTA-STS (opportunistic TLS).
      if (!relay() && resolver != nullptr && demand != tls_demand::optional) {
        auto dane = [r = resolver, h = host, mx = rt.dnssec, a = addrs.dnssec] { return dane_for_host(*r, h, mx, a); };
        policy = co_await core::run_blocking(blocking, std::move(dane));
      }
      if (policy.dane) {
        spdlog::info("outbound queue: {}: DANE, {} usable TLSA record(s)", host.name, policy.dane->records.size());
      }
      if (demand != tls_demand::optional) apply_sts(policy, domain_policy, host, domain);
      if (!policy.sts_warning.empty()) spdlog::warn("outbound queue: MTA-STS testing: {}", policy.sts_warning);
      if (policy.failure) {
        spdlog::info("outbound queue: {}: {}", host.name, policy.failure->describe());
        last = policy.failure;
        only_refusals = false;
        continue;
      }
      if (required && !relay()) {
        if (auto no = requiretls_mx_check(rt.dnssec, domain_policy, host, domain)) {
          spdlog::info("outbound queue: {}: {}", host.name, no->describe());
          refused(std::move(*no));
          continue;
        }
      }
      for (const auto& ip : addrs.ips) {
        auto s = co_await smtp::client::session::open(strand, tls, ip, host.port, client_options(host, policy, demand));
        if (s) {
          metrics.connections_ok.inc();
          if (!required) co_return std::move(*s);
          // RFC 8689 §4.2.1 step 5: the server must offer REQUIRETLS after STARTTLS.
          auto& opened = **s;
          auto no = smtp::client::check_requiretls(opened.extensions(), opened.esmtp(), opened.verified_tls(),
                                                   opened.peer());
          if (!no) co_return std::move(*s);
          spdlog::info("outbound queue: {}: {}", host.name, no->describe());
          co_await opened.quit();
          refused(std::move(*no));
          break;  // the next host (its other addresses run the same server)
        }
        metrics.connections_failed.inc();
        bool refusal_now = false;
        auto why = required ? requiretls_session_failure(s.error(), refusal_now) : s.error();
        if (refusal_now) {
          refused(std::move(why));
        } else {
          last = std::move(why);
          only_refusals = false;
        }
      }
    }
    if (required && only_refusals && refusal) {
      // §4.2.1: no host meets the requirements: the message must not be sent to the
      // domain, and the sender gets a non-delivery report.
      co_return std::unexpected(*refusal);
    }
    if (!last) co_return std::unexpected(status{outcome::temporary, 0, "4.4.4", "no host to try"});
    status why = *last;
    // A host that greets with 5xx is skipped, like one that cannot be reached; when no
    // other takes the mail it is retried later (Postfix's smtp_skip_5xx_greeting).
    // Only MX hosts that have no address at all make the failure permanent.
    if (!every_host_gone) why.result = outcome::temporary;
    if (why.result == outcome::temporary && !why.enhanced.empty() && why.enhanced[0] == '5') {
      why.enhanced[0] = '4';
    }
    co_return std::unexpected(std::move(why));
  }

  // --- per-destination connection limits and idle connections ---

  asio::awaitable<void> acquire(const std::string& key) {
    for (;;) {
      auto& d = destinations[key];
      if (d.active < opt.queue.per_destination) {
        ++d.active;
        co_return;
      }
      auto t = std::make_shared<asio::steady_timer>(strand, clock::time_point::max());
      d.waiters.push_back(t);
      boost::system::error_code ec;
      co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  void release(const std::string& key) {
    auto it = destinations.find(key);
    if (it == destinations.end()) return;
    auto& d = it->second;
    if (d.active > 0) --d.active;
    if (!d.waiters.empty()) {
      auto t = std::move(d.waiters.front());
      d.waiters.pop_front();
      t->cancel();
    } else if (d.active == 0 && d.idle.empty()) {
      destinations.erase(it);
    }
  }

  session_ptr take_idle(const std::string& key) {
    auto it = destinations.find(key);
    if (it == destinations.end() || it->second.idle.empty()) return nullptr;
    auto s = std::move(it->second.idle.back().session);
    it->second.idle.pop_back();
    metrics.connections_reused.inc();
    return s;
  }

  void put_idle(const std::string& key, session_ptr s) {
    destinations[key].idle.push_back(idle_session{std::move(s), clock::now()});
  }

  static asio::awaitable<void> quit_session(std::shared_ptr<impl> self, session_ptr s) {
    co_await s->quit();
  }

  // QUIT for connections idle too long (or all of them).
  void reap_idle(bool all) {
    const auto now = clock::now();
    for (auto it = destinations.begin(); it != destinations.end();) {
      auto& idle = it->second.idle;
      for (auto i = idle.begin(); i != idle.end();) {
        if (all || now - i->since >= opt.queue.idle_connection) {
          asio::co_spawn(strand, quit_session(shared_from_this(), std::move(i->session)), asio::detached);
          i = idle.erase(i);
        } else {
          ++i;
        }
      }
      if (it->second.active == 0 && it->second.idle.empty() && it->second.waiters.empty()) {
        it = destinations.erase(it);
      } else {
        ++it;
      }
    }
  }
};

queue_worker::queue_worker(asio::io_context& io, asio::thread_pool& blocking, store::store& store,
                           dns::resolver* resolver, std::shared_ptr<asio::ssl::context> tls, worker_options options,
                           bounce_sink& sink, message_signer* signer)
    : impl_(std::make_shared<impl>(io, blocking, store, resolver, std::move(tls), std::move(options), sink,
                                   signer)) {}

queue_worker::~queue_worker() = default;

void queue_worker::start() {
  auto run = [](std::shared_ptr<impl> self) -> asio::awaitable<void> {
    try {
      co_await self->run();
    } catch (const std::exception& e) {
      spdlog::error("outbound queue stopped: {}", e.what());
    }
  };
  asio::co_spawn(impl_->strand, run(impl_), asio::detached);
}

void queue_worker::wake() {
  asio::post(impl_->strand, [self = impl_] { self->wake_here(); });
}

std::size_t queue_worker::in_flight() const noexcept { return impl_->in_flight_count.load(); }

void queue_worker::stop() {
  asio::post(impl_->strand, [self = impl_] {
    self->stopping = true;
    self->wake_here();
  });
}

}  // namespace letterhead::delivery::outbound
