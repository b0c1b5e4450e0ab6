#pragma once
// Every limit a client can push against, with its default and its config key
// (section [limits]). A limit reached is a clear protocol error, never a crash.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace letterhead::core {

struct limits {
  // [limits] message_size: largest message accepted (SMTP SIZE, RFC 1870).
  std::uint64_t message_size = 50ull * 1024 * 1024;
  // [limits] recipients: RCPT TO per transaction (RFC 5321 §4.5.3.1.8 asks for >= 100).
  std::size_t recipients = 100;
  // [limits] line_length: command line length including CRLF (RFC 5321 §4.5.3.1.4: 512;
  // we allow 1000 octets like a text line, §4.5.3.1.6).
  std::size_t line_length = 1000;
  // [limits] errors: bad commands in one session before we hang up.
  std::size_t errors = 10;
  // [limits] connections: simultaneous connections in total, and per client IP.
  std::size_t connections = 2000;
  std::size_t connections_per_ip = 50;
  // [limits] header_count, header_size, mime_depth, mime_parts: MIME parser bounds.
  std::size_t header_count = 1000;
  std::size_t header_size = 1024 * 1024;
  std::size_t mime_depth = 50;
  std::size_t mime_parts = 10000;
  // [limits] command_timeout: idle time allowed while waiting for a command
  // (RFC 5321 §4.5.3.2.7 asks a server for at least 5 minutes).
  std::chrono::seconds command_timeout{300};
  // [limits] data_timeout: time allowed between two data blocks (§4.5.3.2.5: 3 minutes).
  std::chrono::seconds data_timeout{180};
  // [limits] shutdown_grace: how long SIGTERM waits for sessions to finish.
  std::chrono::seconds shutdown_grace{10};
  // [limits] smtp_connections_per_minute_per_ip: new SMTP connections (MX and
  // submission) one client IP may open per minute; beyond, 421 4.7.0. 0 = no limit.
  std::size_t smtp_connections_per_minute_per_ip = 600;
  // [limits] rate_limit_loopback: whether loopback clients count too.
  bool rate_limit_loopback = true;
  // [limits] submission_external_per_hour: messages one account may submit to
  // outside recipients per hour (a compromised account spraying mail); 0 = no limit.
  std::size_t submission_external_per_hour = 500;
  // [limits] freeze_on_limit: freeze the account when it reaches that limit.
  bool freeze_on_limit = false;
};

}  // namespace letterhead::core
