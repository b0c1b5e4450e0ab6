#include "smtp/server/server.hpp"

#include <algorithm>
#include <atomic>
#include <list>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include "core/log.hpp"
#include "core/runtime.hpp"
#include "core/tls.hpp"
#include "smtp/proto/reply.hpp"
#include "smtp/server/session.hpp"
#include "smtp/server/tcp_transport.hpp"

namespace letterhead::smtp::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server::impl {
  core::runtime& runtime;
  const core::tls_contexts& tls;
  const core::config& config;
  backend& back;

  struct listener {
    listener_kind kind;
    session_settings settings;
    asio::strand<asio::io_context::executor_type> strand;
    tcp::acceptor acceptor;
  };
  std::list<listener> listeners;

  // Live sessions, so that stop() can reach them; each entry is removed by its
  // session's coroutine when it ends.
  mutable std::mutex mutex;
  struct live {
    session* s;
    asio::strand<asio::io_context::executor_type> strand;
  };
  std::list<live> sessions;
  std::map<std::string, std::size_t> per_ip;
  bool stopping = false;

  impl(core::runtime& r, const core::tls_contexts& t, const core::config& c, backend& b)
      : runtime(r), tls(t), config(c), back(b) {}

  asio::awaitable<void> accept_loop(listener& l) {
    for (;;) {
      boost::system::error_code ec;
      auto strand = asio::make_strand(runtime.io());
      tcp::socket socket(strand);
      co_await l.acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !l.acceptor.is_open()) co_return;
      if (ec) {
        // EMFILE and friends: back off briefly rather than spin.
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer t(runtime.io(), std::chrono::milliseconds(100));
        co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(strand, run_session(l, std::move(socket), strand),
                     [](std::exception_ptr e) {
                       if (!e) return;
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& ex) {
                         spdlog::error("smtp session crashed: {}", ex.what());
                       }
                     });
    }
  }

  asio::awaitable<void> run_session(listener& l, tcp::socket socket,
                                    asio::strand<asio::io_context::executor_type> strand) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    std::string ip = ec ? std::string("?") : peer.address().to_string();
    bool admitted = false;
    std::string refusal;
    {
      std::lock_guard lock(mutex);
      if (stopping) {
        refusal = proto::format_reply(421, "4.3.2", "Service shutting down, try again later");
      } else if (sessions.size() >= config.limits.connections) {
        refusal = proto::format_reply(421, "4.7.0", "Too many connections, try again later");
      } else if (per_ip[ip] >= config.limits.connections_per_ip) {
        refusal = proto::format_reply(421, "4.7.0", "Too many connections from your address");
      } else {
        ++per_ip[ip];
        admitted = true;
      }
    }
    if (!admitted) {
      spdlog::info("refused connection from {}: limit", ip);
      // Plain text even on port 465: the client sees a TLS error either way, and we
      // spend nothing on a handshake for a connection we refuse.
      co_await asio::async_write(socket, asio::buffer(refusal),
                                 asio::redirect_error(asio::use_awaitable, ec));
      socket.close(ec);
      co_return;
    }
    auto t = make_tcp_transport(std::move(socket), tls.server());
    session s(t, l.settings, back, runtime.blocking(), core::next_connection_id());
    std::list<live>::iterator self;
    {
      std::lock_guard lock(mutex);
      sessions.push_back(live{&s, strand});
      self = std::prev(sessions.end());
      if (stopping) s.request_shutdown();
    }
    co_await s.run();
    {
      std::lock_guard lock(mutex);
      sessions.erase(self);
      if (--per_ip[ip] == 0) per_ip.erase(ip);
    }
  }
};

server::server(core::runtime& runtime, const core::tls_contexts& tls, const core::config& config,
               backend& backend)
    : impl_(std::make_unique<impl>(runtime, tls, config, backend)) {}

server::~server() = default;

core::result<void> server::listen(listener_kind kind, std::string_view address) {
  auto hp = core::parse_host_port(address);
  if (!hp) return std::unexpected(hp.error());
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(hp->host, ec);
  if (ec) return core::fail(core::errc::invalid, fmt::format("'{}' is not an IP address", hp->host));
  session_settings settings;
  settings.hostname = impl_->config.hostname;
  settings.kind = kind;
  settings.implicit_tls = kind == listener_kind::submissions;
  settings.tls_available = true;
  settings.allow_plaintext_auth_on_loopback = impl_->config.smtp.allow_plaintext_auth_on_loopback;
  settings.max_received_headers = impl_->config.smtp.max_received_headers;
  settings.limits = impl_->config.limits;

  auto strand = asio::make_strand(impl_->runtime.io());
  auto& l = impl_->listeners.emplace_back(impl::listener{kind, settings, strand, tcp::acceptor(strand)});
  const tcp::endpoint ep(ip, hp->port);
  l.acceptor.open(ep.protocol(), ec);
  if (!ec) l.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) l.acceptor.bind(ep, ec);
  if (!ec) l.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->listeners.pop_back();
    return core::fail(core::errc::io, fmt::format("cannot listen on {}: {}", address, ec.message()));
  }
  auto loop = [](impl* self, impl::listener* lp) -> asio::awaitable<void> {
    co_await self->accept_loop(*lp);
  };
  asio::co_spawn(l.strand, loop(impl_.get(), &l), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("smtp accept loop ended: {}", ex.what());
    }
  });
  return {};
}

void server::stop() {
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

std::size_t server::active_sessions() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->sessions.size();
}

}  // namespace letterhead::smtp::server
