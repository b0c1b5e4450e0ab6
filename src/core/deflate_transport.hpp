#pragma once
// A transport that compresses what it writes and inflates what it reads with raw
// DEFLATE (RFC 1951, no zlib header), wrapping another transport (TCP, TLS). IMAP's
// COMPRESS=DEFLATE (RFC 4978) uses it; POP3 and SMTP could switch to it the same way.
//
// SECURITY
// - Decompression bombs: read_some() inflates at most `max` bytes per call and keeps
//   at most one inner read of compressed input, so the protocol reader above sees the
//   inflated stream at its own pace and its limits (line, literal, command) apply
//   unchanged. Nothing is inflated ahead of demand.
// - Memory per connection: our sender side uses a small window and memLevel (RFC 1951
//   lets the compressor choose), about 16 KiB; the inflater must accept the peer's
//   full 32 KiB window (RFC 4978 §4), about 40 KiB once data has arrived. No I/O
//   buffer is kept between calls. memory() reports what zlib holds.
// - Corrupt compressed input, or input after the peer ended its stream, is an error
//   (errc::invalid): the session closes the connection.
//
// STANDARDS: RFC 1951 (DEFLATE), RFC 4978 §3-4 (each response burst ends with a
// sync flush, so the client can inflate everything it received).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/transport.hpp"

namespace letterhead::core {

struct deflate_options {
  // Our compressor's history, 2^window_bits bytes (RFC 1951 allows 9..15) and zlib's
  // memLevel (1..9): together about 2^(window_bits+2) + 2^(mem_level+9) bytes.
  int window_bits = 11;
  int mem_level = 2;
  int level = 6;
  // Compressed bytes read from the inner transport at once, and written at once.
  std::size_t read_chunk = 4096;
  std::size_t write_chunk = 16 * 1024;
};

class deflate_transport final : public transport {
 public:
  // `received` holds compressed bytes the caller already read past the switch (the
  // protocol reader's buffer): they are inflated first.
  deflate_transport(std::shared_ptr<transport> inner, std::string received, const deflate_options& options);
  ~deflate_transport() override;
  deflate_transport(const deflate_transport&) = delete;
  deflate_transport& operator=(const deflate_transport&) = delete;

  boost::asio::awaitable<core::result<std::size_t>> read_some(std::string& buf, std::size_t max,
                                                              std::chrono::seconds timeout) override;
  // Compresses `data` and ends it with a sync flush (RFC 4978 §4), so it is one
  // response burst; the whole write shares one deadline.
  boost::asio::awaitable<core::result<void>> write(std::string_view data, std::chrono::seconds timeout) override;
  // TLS comes before compression (RFC 4978 §3): refused.
  boost::asio::awaitable<core::result<void>> start_tls(std::chrono::seconds timeout) override;

  [[nodiscard]] bool tls() const override { return inner_->tls(); }
  [[nodiscard]] std::string tls_description() const override { return inner_->tls_description(); }
  [[nodiscard]] std::string peer_ip() const override { return inner_->peer_ip(); }
  [[nodiscard]] bool peer_is_loopback() const override { return inner_->peer_is_loopback(); }
  void cancel_read() override { inner_->cancel_read(); }
  void close() override { inner_->close(); }

  // False when zlib could not start (out of memory); make_deflate_transport checks.
  [[nodiscard]] bool started() const noexcept;
  // Bytes zlib holds for this connection (both directions).
  [[nodiscard]] std::size_t memory() const noexcept;
  // Bytes of compressed input received and not yet inflated (at most one inner read).
  [[nodiscard]] std::size_t pending_input() const noexcept;

 private:
  struct zstate;
  // Inflates buffered input into `buf`, at most `max` bytes; the count, or an error.
  [[nodiscard]] core::result<std::size_t> inflate_some(std::string& buf, std::size_t max);

  std::shared_ptr<transport> inner_;
  deflate_options options_;
  std::unique_ptr<zstate> z_;
};

// Wraps `inner`; errc::internal if zlib cannot start (out of memory).
[[nodiscard]] core::result<std::shared_ptr<transport>> make_deflate_transport(std::shared_ptr<transport> inner,
                                                                            std::string received,
                                                                            const deflate_options& options = {});

}  // namespace letterhead::core
