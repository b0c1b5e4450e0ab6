// COMPRESS DEFLATE (RFC 4978): after the tagged OK both directions are raw DEFLATE,
// through core::deflate_transport. Offered after login only, so that TLS (STARTTLS,
// not-authenticated state) always comes first (§3) and nothing unauthenticated costs
// us a compressor.
#include <fmt/format.h>

#include "core/deflate_transport.hpp"
#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_compress(const command& cmd) {
  const auto* a = std::get_if<proto::compress_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "COMPRESS needs a mechanism");
  // RFC 4978 §3: NO [COMPRESSIONACTIVE] when it is on already; an unknown mechanism is
  // an invalid argument.
  if (compressed_) co_return co_await no(cmd, "[COMPRESSIONACTIVE] DEFLATE is active already");
  if (a->mechanism != "DEFLATE") co_return co_await bad(cmd, "Unknown compression mechanism");
  // The OK goes out uncompressed; compression starts right after its CRLF.
  if (co_await ok(cmd, "DEFLATE active") == outcome::close) co_return outcome::close;
  // The client must wait for the OK (§3); whatever it sent anyway is compressed.
  auto wrapped = core::make_deflate_transport(transport_, reader_.take_buffered());
  if (!wrapped) {
    // The client compresses from now on: we cannot go on without an inflater.
    log_.error("cannot start compression: {}", wrapped.error().message);
    co_return outcome::close;
  }
  transport_ = std::move(*wrapped);
  wake_->transport = transport_;
  compressed_ = true;
  log_.info("compression on");
  co_return outcome::next;
}

}  // namespace letterhead::imap::server
