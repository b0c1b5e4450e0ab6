#pragma once
// letterhead.toml: every key optional with a default (DESIGN.md "Configuration").
// Unknown keys and wrong types are errors that name the key, so that a typo never
// silently leaves a default in force.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/limits.hpp"

namespace letterhead::core {

struct listen_config {
  // "ADDRESS:PORT" or "[IPv6]:PORT"; absent = that listener is off.
  std::optional<std::string> smtp, submission, submissions, imap, imaps, pop3, pop3s, http, https;
};

struct certificate_files {
  std::string cert;
  std::string key;
};

struct tls_config {
  std::string cert;  // PEM chain; empty = self-signed pair generated in data_dir/tls/
  std::string key;
  // [tls.sni."mail.example.org"] cert = ..., key = ...: certificates chosen by SNI.
  std::map<std::string, certificate_files> sni;
};

struct store_config {
  std::string backend = "sqlite";
  std::string url;
};

struct dns_config {
  std::vector<std::string> servers;  // empty = system resolver
};

struct relay_config {
  std::string host;  // empty = direct MX delivery
};

struct smtp_config {
  // Lets AUTH run without TLS on loopback connections: for tests and demos only.
  bool allow_plaintext_auth_on_loopback = false;
  // Largest number of Received headers before a message is taken as a loop
  // (RFC 5321 §6.3).
  std::size_t max_received_headers = 50;
};

// [http]: the HTTP listeners (autoconfig, /metrics; later JMAP and the admin API).
struct http_config {
  // Largest request line plus header fields (RFC 9110 §15.5.20: 431 beyond).
  std::size_t header_size = 16 * 1024;
  // Largest request body (RFC 9110 §15.5.14: 413 beyond).
  std::size_t body_size = 1024 * 1024;
  // Time allowed to receive one whole request, from its first byte (or the
  // connection) to its last; a slow sender is answered 408 and closed.
  std::chrono::seconds request_timeout{30};
  // Time an idle keep-alive connection waits for the next request.
  std::chrono::seconds idle_timeout{15};
  // Requests served on one connection before it is closed (RFC 9112 §9.3).
  std::size_t keepalive_requests = 100;
  // Who may read /metrics: "off", "loopback" (127.0.0.0/8 and ::1) or "anyone".
  std::string metrics = "loopback";
};

// [autoconfig]: the ports mail clients are told to use. They are the public ports,
// which may differ from [listen] (a proxy or NAT in front, or test ports).
struct autoconfig_config {
  std::uint16_t imap_port = 143;
  std::uint16_t imaps_port = 993;
  std::uint16_t pop3_port = 110;
  std::uint16_t pop3s_port = 995;
  std::uint16_t submission_port = 587;
  std::uint16_t submissions_port = 465;
};

struct log_config {
  std::string level = "info";  // trace, debug, info, warn, error
};

struct runtime_config {
  unsigned io_threads = 0;        // 0 = one per core
  unsigned blocking_threads = 0;  // 0 = max(32, 8 per core)
};

struct config {
  std::string path;      // the file this came from, for messages
  std::string hostname = "localhost";
  std::string data_dir = "./data";
  listen_config listen;
  tls_config tls;
  store_config store;
  dns_config dns;
  relay_config relay;
  smtp_config smtp;
  http_config http;
  autoconfig_config autoconfig;
  limits limits;
  log_config log;
  runtime_config runtime;
};

// Parses TOML text; `origin` names the source in error messages.
[[nodiscard]] result<config> parse_config(std::string_view text, std::string_view origin);

// Reads and parses a file. Relative paths inside (data_dir, tls files) are taken
// relative to the file's directory.
[[nodiscard]] result<config> load_config(const std::string& path);

// Splits "host:port" / "[v6]:port" into host and port.
struct host_port {
  std::string host;
  std::uint16_t port = 0;
};
[[nodiscard]] result<host_port> parse_host_port(std::string_view text);

}  // namespace letterhead::core
