#pragma once
// Process-wide metrics: named counters and gauges with labels, rendered in the
// Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
// How protocol code counts something (the hot path is one relaxed atomic add):
//
//   #include "core/metrics.hpp"
//   namespace metrics = letterhead::core::metrics;
//
//   // Look the series up once (registration takes a lock) and keep the reference;
//   // a function-local static or a member set in the constructor both work.
//   static metrics::counter& commands = metrics::global().counter(
//       "letterhead_commands_total", {{"protocol", "imap"}}, "Commands received.");
//   commands.inc();
//
//   static metrics::gauge& sessions = metrics::global().gauge(
//       "letterhead_sessions", {{"protocol", "imap"}}, "Sessions open now.");
//   sessions.inc();  ...  sessions.dec();
//
// Names shared by every protocol, so that one PromQL expression covers them all:
//   letterhead_connections_total{protocol}   connections accepted
//   letterhead_sessions{protocol}            connections open now (a gauge: inc, dec)
//   letterhead_commands_total{protocol}      commands (HTTP: requests) received
//   letterhead_errors_total{protocol,kind}   errors answered (kind: syntax, user, server, io)
//   letterhead_deliveries_total{result}      messages delivered (result: ok, failed)
//   letterhead_queue_length                  outbound queue entries (a gauge callback)
// Label values must come from a small fixed set (protocol names, status classes):
// never an address, a user name or anything a client chose, or the number of
// series grows without bound.
//
// Invariants:
// - A series, once registered, lives as long as the registry: the reference returned
//   stays valid, and registering the same name and labels again returns the same one.
// - A name has one type and one help text; the first registration sets them.
//   Malformed names and a type clash are programmer errors (assertions).
// - Callbacks run at scrape time, on the scraping thread, without the registry lock
//   held for the series list but serialised with each other; they may block (the
//   /metrics handler runs on the blocking pool). A callback is removed when its
//   handle is destroyed, so it never outlives what it reads.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace letterhead::core::metrics {

// Label name and value pairs, e.g. {{"protocol", "smtp"}}. Order does not matter.
using labels = std::vector<std::pair<std::string, std::string>>;

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class gauge {
 public:
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void dec(std::int64_t n = 1) noexcept { value_.fetch_sub(n, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// A value computed at scrape time; nullopt leaves the series out of that scrape
// (e.g. the store could not be asked).
using gauge_function = std::function<std::optional<double>()>;

class registry;

// Keeps a gauge callback registered; destroying it (or reset()) removes the series.
class callback_handle {
 public:
  callback_handle() = default;
  callback_handle(registry* r, std::uint64_t id) : registry_(r), id_(id) {}
  callback_handle(callback_handle&& other) noexcept
      : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}
  callback_handle& operator=(callback_handle&& other) noexcept;
  callback_handle(const callback_handle&) = delete;
  callback_handle& operator=(const callback_handle&) = delete;
  ~callback_handle() { reset(); }
  void reset() noexcept;

 private:
  registry* registry_ = nullptr;
  std::uint64_t id_ = 0;
};

class registry {
 public:
  registry();
  ~registry();
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // The counter `name{labels}`, created at zero on first use. By convention counter
  // names end in "_total".
  [[nodiscard]] metrics::counter& counter(std::string_view name, const labels& labels = {},
                                          std::string_view help = {});

  [[nodiscard]] metrics::gauge& gauge(std::string_view name, const labels& labels = {},
                                      std::string_view help = {});

  // A gauge whose value `fn` computes at each scrape.
  [[nodiscard]] callback_handle gauge_callback(std::string_view name, const labels& labels,
                                               std::string_view help, gauge_function fn);

  // Every family in name order: "# HELP", "# TYPE", then one line per series.
  [[nodiscard]] std::string render() const;

 private:
  friend class callback_handle;
  void remove_callback(std::uint64_t id) noexcept;

  struct impl;
  std::unique_ptr<impl> impl_;
};

// The registry of this process: what /metrics shows.
[[nodiscard]] registry& global();

// Prometheus text format escaping (exposition format 0.0.4): label values escape
// backslash, double quote and newline; help text escapes backslash and newline.
[[nodiscard]] std::string escape_label_value(std::string_view v);
[[nodiscard]] std::string escape_help(std::string_view v);
// Sample values: integers as integers, NaN and infinities as "NaN", "+Inf", "-Inf".
[[nodiscard]] std::string format_value(double v);

// Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*; label names [a-zA-Z_][a-zA-Z0-9_]*
// and must not begin with "__" (reserved).
[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_label_name(std::string_view name) noexcept;

}  // namespace letterhead::core::metrics
