#pragma once
// A client for ClamAV's clamd: the INSTREAM command (clamd(8), "zINSTREAM\0"), which
// sends the data as chunks, each a 4-byte big-endian length and that many bytes,
// ended by a zero length; clamd answers one NUL-terminated line:
//   "stream: OK"                       clean
//   "stream: <signature> FOUND"        infected
//   "INSTREAM size limit exceeded. ERROR"  more than clamd's StreamMaxLength
//   "<anything> ERROR"                 clamd could not scan
//
// Blocking sockets (TCP or a unix socket) under one deadline for the whole scan:
// callers run it on the blocking pool. Every failure to get an answer (refused,
// timeout, error reply) is errc::unavailable so that the caller applies its
// on-failure policy; a stream over clamd's StreamMaxLength is errc::limit, which no
// retry can cure. The reply read is capped at 4 KiB.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace letterhead::filter {

struct clamd_address {
  bool unix_socket = false;
  std::string host;  // tcp
  std::uint16_t port = 0;
  std::string path;  // unix socket
};

// "tcp://HOST:PORT" ("tcp://[::1]:3310") or "unix:/path"; errc::invalid otherwise.
[[nodiscard]] core::result<clamd_address> parse_clamd_address(std::string_view text);

struct clamd_options {
  clamd_address address;
  std::chrono::milliseconds timeout{30000};  // the whole scan: connect, send, answer
  std::size_t chunk_size = 64 * 1024;
};

struct scan_result {
  bool infected = false;
  std::string signature;  // the name clamd reported (printable ASCII), when infected
  std::size_t stream = 0;  // clamd_scan_each: the index of the infected stream
};

[[nodiscard]] core::result<scan_result> clamd_scan(const clamd_options& o, std::string_view data);

// Each of `streams` as a stream of its own (a connection each, in order), all under
// one deadline (`o.timeout`); stops at the first infected one. A failure fails the
// whole (a part that was not scanned is not clean), except that streams over the
// size limit are passed over so that the others are still scanned: errc::limit
// then, if none of the others is infected.
[[nodiscard]] core::result<scan_result> clamd_scan_each(const clamd_options& o,
                                                        std::span<const std::string_view> streams);

// The reply line (without the NUL) as a result; exposed for tests.
[[nodiscard]] core::result<scan_result> parse_clamd_reply(std::string_view reply);

}  // namespace letterhead::filter
