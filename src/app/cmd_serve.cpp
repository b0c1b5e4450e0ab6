// letterhead serve: runs every configured listener until SIGTERM/SIGINT.
// SIGTERM/SIGINT: stop accepting, let sessions finish within [limits] shutdown_grace,
// then exit. SIGHUP: reload TLS certificates.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "app/delivery_setup.hpp"
#include "app/serve_lock.hpp"
#include "app/services.hpp"
#include "core/log.hpp"
#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "core/tls.hpp"
#include "delivery/local_delivery.hpp"

namespace letterhead::app {
namespace {

namespace asio = boost::asio;

// Removes blob files that no row refers to (left by a crash between a blob write
// and its commit), now and then once a day, on the blocking pool.
void schedule_blob_sweep(core::runtime& rt, store::store& st, std::chrono::seconds delay) {
  auto timer = std::make_shared<asio::steady_timer>(rt.io(), delay);
  timer->async_wait([&rt, &st, timer](const boost::system::error_code& ec) {
    if (ec) return;
    asio::post(rt.blocking(), [&rt, &st] {
      auto removed = st.sweep_orphan_blobs(store::orphan_blob_min_age);
      if (!removed) {
        spdlog::warn("blob sweep failed: {}", removed.error().message);
      } else if (*removed > 0) {
        spdlog::info("blob sweep removed {} orphaned blob(s)", *removed);
      }
      schedule_blob_sweep(rt, st, std::chrono::hours(24));
    });
  });
}

// Mails users whose password expires soon (issue 6), now and then every hour.
void schedule_expiry_warnings(core::runtime& rt, directory::directory& dir, std::chrono::seconds delay) {
  auto timer = std::make_shared<asio::steady_timer>(rt.io(), delay);
  timer->async_wait([&rt, &dir, timer](const boost::system::error_code& ec) {
    if (ec) return;
    asio::post(rt.blocking(), [&rt, &dir] {
      auto sent = dir.send_password_expiry_warnings(static_cast<store::unix_time>(::time(nullptr)));
      if (!sent) {
        spdlog::warn("password expiry warnings failed: {}", sent.error().message);
      } else if (*sent > 0) {
        spdlog::info("sent {} password expiry warning(s)", *sent);
      }
      schedule_expiry_warnings(rt, dir, std::chrono::hours(1));
    });
  });
}

// Waits until no session (and no outbound delivery) is left or the grace period
// ends, then stops the runtime.
void finish_shutdown(core::runtime& rt, core::tcp_server& net,
                     std::shared_ptr<delivery::outbound::queue_worker> outbound,
                     std::chrono::steady_clock::time_point deadline) {
  auto timer = std::make_shared<asio::steady_timer>(rt.io(), std::chrono::milliseconds(50));
  timer->async_wait([&rt, &net, outbound, deadline, timer](const boost::system::error_code&) {
    const std::size_t deliveries = outbound ? outbound->in_flight() : 0;
    const bool idle = net.active_sessions() == 0 && deliveries == 0;
    if (idle || std::chrono::steady_clock::now() >= deadline) {
      if (net.active_sessions() != 0) {
        spdlog::warn("shutdown grace period over; {} session(s) cut off", net.active_sessions());
      }
      if (deliveries != 0) {
        // Their leases keep them from other workers until [queue] lease runs out.
        spdlog::warn("shutdown grace period over; {} outbound deliveries cut off", deliveries);
      }
      rt.stop();
      return;
    }
    finish_shutdown(rt, net, outbound, deadline);
  });
}

// A database that is not reachable yet (PostgreSQL starting, failing over, the
// network) is waited for with a clear message each time; SIGINT/SIGTERM stop the
// wait. Any other error (a bad config, a newer schema) ends serve at once.
core::result<context> open_context_waiting(const std::string& config) {
  auto delay = std::chrono::seconds(1);
  for (;;) {
    auto ctx = open_context(config);
    if (ctx || ctx.error().code != core::errc::unavailable) return ctx;
    fmt::print(stderr, "letterhead: the store is unavailable, retrying in {} s / 存储暂不可用，{} 秒后重试: {}\n",
               delay.count(), delay.count(), ctx.error().message);
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    const timespec wait{.tv_sec = delay.count(), .tv_nsec = 0};
    const int sig = sigtimedwait(&stop, nullptr, &wait);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (sig == SIGINT || sig == SIGTERM) return std::unexpected(ctx.error());
    delay = std::min(delay * 2, std::chrono::seconds(30));
  }
}

int serve(const globals& g) {
  auto ctx = open_context_waiting(config_path(g.config));
  if (!ctx) return report(ctx.error());
  const auto& cfg = ctx->config;
  // Held until serve returns: `store copy` refuses this data directory meanwhile.
  auto running = serve_lock::acquire(cfg.data_dir, serve_lock::mode::serve);
  if (!running) return report(running.error());
  core::init_logging(cfg.log.level);
  // TOTP seeds stored before they were bound to their account are sealed again.
  if (auto n = ctx->directory->reseal_totp_secrets(); !n) {
    spdlog::warn("re-sealing TOTP seeds: {}", n.error().message);
  } else if (*n > 0) {
    spdlog::info("re-sealed {} TOTP seed(s) in the current format", *n);
  }

  auto tls = core::tls_contexts::load(cfg.tls, cfg.data_dir, cfg.hostname);
  if (!tls) return report(tls.error());
  if ((*tls)->self_signed()) {
    spdlog::warn("using a self-signed TLS certificate from {}/tls/; configure [tls] cert and key "
                 "for production", cfg.data_dir);
  }

  core::runtime rt(core::runtime_options{cfg.runtime.io_threads, cfg.runtime.blocking_threads});
  delivery::local_delivery delivery(*ctx->store, *ctx->directory);
  configure_delivery(delivery, *ctx);
  std::vector<std::shared_ptr<void>> keep;  // backends: outlive every session
  core::tcp_server net(rt, **tls, cfg.limits);
  if (auto r = net.accept_proxy(cfg.proxy); !r) return report(r.error());
  services svc{*ctx, rt, net, delivery, keep};

  std::size_t listening = 0;
  for (auto start : {start_smtp, start_imap, start_pop3, start_http}) {
    auto started = start(svc);
    if (!started) return report(started.error());
    listening += *started;
  }
  if (listening == 0) {
    return report(core::error{core::errc::invalid,
                              fmt::format("{}: no listener configured: set [listen] smtp, submission, "
                                          "submissions, imap, imaps, pop3, pop3s, http or https", cfg.path)});
  }

  // Set before the outbound queue starts, so that a signal is never missed; the
  // handler runs only once the runtime runs, when `outbound` is set.
  std::shared_ptr<delivery::outbound::queue_worker> outbound;
  asio::signal_set stop_signals(rt.io(), SIGINT, SIGTERM);
  stop_signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down (grace {}s)", sig, cfg.limits.shutdown_grace.count());
    net.stop();
    if (outbound) outbound->stop();
    finish_shutdown(rt, net, outbound, std::chrono::steady_clock::now() + cfg.limits.shutdown_grace);
  });
  asio::signal_set reload_signal(rt.io(), SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hup;
  on_hup = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (auto r = (*tls)->reload(); !r) {
      spdlog::error("TLS reload failed, keeping the old certificates: {}", r.error().message);
    } else {
      spdlog::info("TLS certificates reloaded");
    }
    reload_signal.async_wait(on_hup);
  };
  reload_signal.async_wait(on_hup);

  auto started_outbound = start_outbound(svc);
  if (!started_outbound) return report(started_outbound.error());
  outbound = std::move(*started_outbound);

  schedule_blob_sweep(rt, *ctx->store, std::chrono::seconds(0));
  schedule_expiry_warnings(rt, *ctx->directory, std::chrono::seconds(60));
  spdlog::info("letterhead ready: {} as {}, data in {}", cfg.path, cfg.hostname, cfg.data_dir);
  rt.run();
  spdlog::info("letterhead stopped");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, globals& g) {
  auto* serve_cmd = app.add_subcommand("serve", "run the mail server / 运行邮件服务");
  serve_cmd->callback([&g] { g.status = serve(g); });
}

}  // namespace letterhead::app
