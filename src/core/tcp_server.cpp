#include "core/tcp_server.hpp"

#include <algorithm>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/config.hpp"
#include "core/ip_network.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/proxy_protocol.hpp"
#include "core/runtime.hpp"
#include "core/tcp_transport.hpp"
#include "core/tls.hpp"

namespace letterhead::core {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using strand_type = asio::strand<asio::io_context::executor_type>;

namespace {

void log_exception(const char* what, std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("{}: {}", what, ex.what());
  }
}

std::optional<ip_address> to_ip_address(const asio::ip::address& a) {
  return parse_ip_address(a.to_string());
}

// An IPv4-mapped IPv6 address becomes IPv4, as tcp_transport reports peers, so
// that the per-IP limits count one client under one key.
asio::ip::address to_asio(const ip_address& a) {
  if (!a.v6) {
    return asio::ip::address_v4(asio::ip::address_v4::bytes_type{a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
  }
  const asio::ip::address_v6 v6(a.bytes);
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6);
  return v6;
}

// Reads a PROXY header, taking exactly its bytes off the socket: it peeks at what
// has arrived and consumes only what the parser counts as header, so the relayed
// stream (a TLS ClientHello, pipelined commands) stays queued for the transport.
// Bounded by `timeout` and by the parser's size limits.
asio::awaitable<result<proxy_header>> read_proxy_header(tcp::socket& socket, std::chrono::seconds timeout) {
  asio::steady_timer timer(socket.get_executor(), timeout);
  // The handler runs on the socket's strand like this coroutine; `done` keeps a
  // handler queued after the read finished away from the socket.
  auto done = std::make_shared<bool>(false);
  timer.async_wait([done, &socket](const boost::system::error_code& ec) {
    if (ec || *done) return;
    boost::system::error_code ignored;
    socket.cancel(ignored);
  });
  std::string got;
  std::string peeked(proxy_v2_max_size, '\0');
  result<proxy_header> outcome = fail(errc::io, "connection closed before the PROXY header");
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await socket.async_receive(
        asio::buffer(peeked.data(), proxy_v2_max_size - got.size()), tcp::socket::message_peek,
        asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted) {
      outcome = fail(errc::unavailable, "no PROXY header in time");
      break;
    }
    if (ec || n == 0) break;
    const std::string seen = got + peeked.substr(0, n);
    auto parsed = parse_proxy_header(seen);
    if (!parsed) {
      outcome = std::unexpected(parsed.error());
      break;
    }
    const std::size_t take = *parsed ? (*parsed)->size - got.size() : n;
    const std::size_t taken = socket.receive(asio::buffer(peeked.data(), take), 0, ec);
    if (ec || taken != take) break;
    got.append(peeked, 0, take);
    if (*parsed) {
      outcome = **parsed;
      break;
    }
  }
  *done = true;
  timer.cancel();
  co_return outcome;
}

}  // namespace

struct tcp_server::impl {
  runtime& rt;
  const tls_contexts& tls;
  limits lim;

  struct listener {
    std::string name;
    std::string refusal;
    session_factory factory;
    strand_type strand;
    tcp::acceptor acceptor;
    metrics::counter* connections = nullptr;  // letterhead_connections_total{protocol}
    metrics::counter* refused = nullptr;      // letterhead_errors_total{protocol,kind="limit"}
    metrics::gauge* open = nullptr;           // letterhead_sessions{protocol}
    metrics::counter* proxy_refused = nullptr;  // letterhead_errors_total{protocol,kind="proxy"}
    bool proxy = false;                       // expects a PROXY header first
  };
  std::list<listener> listeners;

  // Live sessions, so that stop() can reach them; each entry is removed by its
  // own coroutine, on its strand, when the session ends.
  mutable std::mutex mutex;
  struct live {
    connection_session* s;
    strand_type strand;
  };
  std::list<live> sessions;
  std::map<std::string, std::size_t> per_ip;
  bool stopping = false;

  std::vector<std::string> proxy_listeners;
  std::vector<ip_network> proxy_trusted;
  std::chrono::seconds proxy_timeout{10};

  impl(runtime& r, const tls_contexts& t, const limits& l) : rt(r), tls(t), lim(l) {}

  asio::awaitable<void> accept_loop(listener& l) {
    for (;;) {
      boost::system::error_code ec;
      auto strand = asio::make_strand(rt.io());
      tcp::socket socket(strand);
      co_await l.acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !l.acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: back off briefly rather than spin.
        spdlog::warn("{}: accept failed: {}", l.name, ec.message());
        asio::steady_timer t(rt.io(), std::chrono::milliseconds(100));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(strand, run_session(l, std::move(socket), strand),
                     [](std::exception_ptr e) { log_exception("session crashed", e); });
    }
  }

  // The client's address from the PROXY header on `l`, or nullopt when the
  // connection must be closed (reason logged). The spec (§2, security) has the
  // receiver accept the header only from known proxies, else anyone could claim any
  // address and walk past per-IP limits, greylisting and SPF; and it must never
  // guess whether a header comes, so a listener with PROXY on takes no direct
  // clients at all. Untrusted peers are closed without a word: on an implicit-TLS
  // port any plain-text reply would be noise.
  asio::awaitable<std::optional<asio::ip::address>> accept_proxy_header(listener& l, tcp::socket& socket,
                                                                        std::optional<asio::ip::address> peer,
                                                                        const std::string& peer_ip) {
    const auto from = peer ? to_ip_address(*peer) : std::nullopt;
    const bool trusted =
        from && std::ranges::any_of(proxy_trusted, [&](const ip_network& n) { return contains(n, *from); });
    if (!trusted) {
      spdlog::warn("{}: closed connection from {}: not a trusted proxy ([proxy] trusted), and this "
                   "listener takes connections through the PROXY protocol only", l.name, peer_ip);
      co_return std::nullopt;
    }
    auto header = co_await read_proxy_header(socket, proxy_timeout);
    if (!header) {
      spdlog::warn("{}: closed connection from proxy {}: {}", l.name, peer_ip, header.error().message);
      co_return std::nullopt;
    }
    // LOCAL (the proxy's health check) and UNKNOWN: the real endpoints apply (§2.1, §2.2).
    if (!header->source) co_return peer;
    auto client = to_asio(header->source->address);
    spdlog::debug("{}: proxy {} relays client {} (PROXY v{})", l.name, peer_ip, client.to_string(),
                  header->version);
    co_return client;
  }

  asio::awaitable<void> run_session(listener& l, tcp::socket socket, strand_type strand) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("?") : peer.address().to_string();
    std::optional<asio::ip::address> client;
    if (l.proxy) {
      std::optional<asio::ip::address> real;
      if (!ec) real = peer.address();
      client = co_await accept_proxy_header(l, socket, real, ip);
      if (!client) {
        l.connections->inc();
        l.proxy_refused->inc();
        socket.close(ec);
        co_return;
      }
      ip = client->to_string();
    }
    bool admitted = false;
    {
      std::lock_guard lock(mutex);
      if (!stopping && sessions.size() < lim.connections && per_ip[ip] < lim.connections_per_ip) {
        ++per_ip[ip];
        admitted = true;
      }
    }
    l.connections->inc();
    if (!admitted) {
      l.refused->inc();
      spdlog::info("{}: refused connection from {}: limit or shutdown", l.name, ip);
      // Plain text even on implicit-TLS ports: no handshake spent on a refusal.
      co_await asio::async_write(socket, asio::buffer(l.refusal),
                                 asio::redirect_error(asio::use_awaitable, ec));
      socket.close(ec);
      co_return;
    }
    auto t = make_tcp_transport(std::move(socket), tls.server(), client);
    std::unique_ptr<connection_session> s = l.factory(t, next_connection_id());
    std::list<live>::iterator self;
    {
      std::lock_guard lock(mutex);
      sessions.push_back(live{s.get(), strand});
      self = std::prev(sessions.end());
      if (stopping) s->request_shutdown();
    }
    l.open->inc();
    co_await s->run();
    l.open->dec();
    t->close();
    {
      std::lock_guard lock(mutex);
      sessions.erase(self);
      if (--per_ip[ip] == 0) per_ip.erase(ip);
    }
  }
};

tcp_server::tcp_server(runtime& rt, const tls_contexts& tls, const limits& limits)
    : impl_(std::make_unique<impl>(rt, tls, limits)) {}

tcp_server::~tcp_server() = default;

result<void> tcp_server::listen(std::string_view address, std::string name, std::string refusal,
                                session_factory factory) {
  auto hp = parse_host_port(address);
  if (!hp) return std::unexpected(hp.error());
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(hp->host, ec);
  if (ec) return fail(errc::invalid, fmt::format("'{}' is not an IP address", hp->host));
  auto strand = asio::make_strand(impl_->rt.io());
  auto& l = impl_->listeners.emplace_back(
      impl::listener{std::move(name), std::move(refusal), std::move(factory), strand, tcp::acceptor(strand)});
  auto& reg = metrics::global();
  l.connections = &reg.counter("letterhead_connections_total", {{"protocol", l.name}}, "Connections accepted.");
  l.refused = &reg.counter("letterhead_errors_total", {{"protocol", l.name}, {"kind", "limit"}},
                           "Errors answered, by kind.");
  l.open = &reg.gauge("letterhead_sessions", {{"protocol", l.name}}, "Connections open now.");
  l.proxy = std::ranges::find(impl_->proxy_listeners, l.name) != impl_->proxy_listeners.end();
  l.proxy_refused = &reg.counter("letterhead_errors_total", {{"protocol", l.name}, {"kind", "proxy"}},
                                 "Errors answered, by kind.");
  const tcp::endpoint ep(ip, hp->port);
  l.acceptor.open(ep.protocol(), ec);
  if (!ec) l.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) l.acceptor.bind(ep, ec);
  if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->listeners.pop_back();
    return fail(errc::io, fmt::format("cannot listen on {}: {}", address, ec.message()));
  }
  auto loop = [](impl* self, impl::listener* lp) -> asio::awaitable<void> {
    co_await self->accept_loop(*lp);
  };
  asio::co_spawn(l.strand, loop(impl_.get(), &l),
                 [](std::exception_ptr e) { log_exception("accept loop ended", e); });
  return {};
}

result<void> tcp_server::accept_proxy(const proxy_config& proxy) {
  std::vector<ip_network> trusted;
  for (const auto& text : proxy.trusted) {
    auto n = parse_ip_network(text);
    if (!n) return std::unexpected(n.error());
    trusted.push_back(*n);
  }
  impl_->proxy_trusted = std::move(trusted);
  impl_->proxy_listeners = proxy.listeners;
  impl_->proxy_timeout = proxy.timeout;
  return {};
}

void tcp_server::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stopping = true;
  for (auto& l : impl_->listeners) {
    asio::post(l.strand, [&l] {
      boost::system::error_code ec;
      l.acceptor.close(ec);
    });
  }
  for (auto& live : impl_->sessions) {
    // Runs on the session's strand, where the session also removes itself from the
    // list when it ends: if it is still listed there, it is still alive.
    asio::post(live.strand, [i = impl_.get(), s = live.s] {
      {
        std::lock_guard l(i->mutex);
        const bool alive = std::ranges::any_of(i->sessions, [s](const impl::live& x) { return x.s == s; });
        if (!alive) return;
      }
      s->request_shutdown();
    });
  }
}

std::size_t tcp_server::active_sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

}  // namespace letterhead::core
