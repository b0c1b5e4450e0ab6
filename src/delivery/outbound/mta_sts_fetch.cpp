#include "delivery/outbound/mta_sts_fetch.hpp"

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <fmt/format.h>
#include <openssl/ssl.h>

#include "delivery/outbound/mta_sts.hpp"

namespace letterhead::delivery::outbound {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

using stream_t = beast::ssl_stream<beast::tcp_stream>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

// One GET at one address; the caller's io_context bounds the time.
asio::awaitable<core::result<std::string>> get(asio::ssl::context& ctx, std::string ip, std::uint16_t port,
                                               std::string host, std::chrono::seconds timeout) {
  const auto ex = co_await asio::this_coro::executor;
  stream_t stream(ex, ctx);
  SSL* ssl = stream.native_handle();
  // RFC 8461 §3.3: the certificate must be valid for mta-sts.DOMAIN (RFC 6125).
  if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1 || SSL_set1_host(ssl, host.c_str()) != 1) {
    co_return core::fail(core::errc::invalid, "bad host name " + host);
  }
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(ip, ec);
  if (ec) co_return core::fail(core::errc::invalid, "bad address " + ip);
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(timeout);
  auto ok = asio::redirect_error(asio::use_awaitable, ec);
  co_await tcp.async_connect(asio::ip::tcp::endpoint(addr, port), ok);
  if (ec) co_return core::fail(core::errc::unavailable, fmt::format("connect to {}: {}", ip, ec.message()));
  co_await stream.async_handshake(asio::ssl::stream_base::client, ok);
  if (ec) {
    const long v = SSL_get_verify_result(ssl);
    co_return core::fail(core::errc::denied,
                         fmt::format("TLS with {}: {}{}", host, ec.message(),
                                     v == X509_V_OK ? "" : fmt::format(" ({})", X509_verify_cert_error_string(v))));
  }
  http::request<http::empty_body> req(http::verb::get, "/.well-known/mta-sts.txt", 11);
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "letterhead");
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, ok);
  if (ec) co_return core::fail(core::errc::io, "sending the request: " + ec.message());
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(max_sts_policy_size);
  beast::flat_buffer buffer;
  co_await http::async_read(stream, buffer, parser, ok);
  if (ec) co_return core::fail(core::errc::io, "reading the response: " + ec.message());
  const auto& res = parser.get();
  // §3.3: a redirect is not followed; anything but 200 means no policy here.
  if (res.result_int() != 200) {
    co_return core::fail(core::errc::not_found, fmt::format("HTTP status {}", res.result_int()));
  }
  const auto type = lower(std::string_view(res[http::field::content_type]));
  if (!type.starts_with("text/plain")) co_return core::fail(core::errc::invalid, "content type is not text/plain");
  co_return res.body();
}

}  // namespace

core::result<std::string> fetch_sts_policy(dns::resolver& resolver, std::string_view domain,
                                           const sts_fetch_options& options) {
  const std::string host = "mta-sts." + lower(domain);
  auto addrs = resolver.addresses(host);
  if (addrs.result != dns::status::ok || addrs.records.empty()) {
    return core::fail(core::errc::not_found,
                      fmt::format("no address for {}: {} {}", host, dns::to_string(addrs.result), addrs.why));
  }
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  // Without the system's CA certificates only a configured CA file can verify.
  ctx.set_default_verify_paths(ec);
  if (!options.ca_file.empty()) {
    ctx.load_verify_file(options.ca_file, ec);
    if (ec) return core::fail(core::errc::invalid, fmt::format("CA file {}: {}", options.ca_file, ec.message()));
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  core::result<std::string> out = core::fail(core::errc::unavailable, "no address tried");
  // One deadline for the whole fetch (RFC 8461 §3.3 suggests at most a minute), not
  // one per address: a host with many unreachable addresses must not hold a
  // delivery for minutes.
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  for (const auto& ip : addrs.records) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
    if (left <= std::chrono::seconds::zero()) {
      out = core::fail(core::errc::unavailable, "timeout fetching the policy");
      break;
    }
    asio::io_context io;
    std::optional<core::result<std::string>> got;
    asio::co_spawn(io, get(ctx, ip, options.port, host, left),
                   [&got](std::exception_ptr e, core::result<std::string> r) {
                     got = e ? core::fail(core::errc::internal, "policy fetch failed") : std::move(r);
                   });
    io.run_until(deadline);
    out = got ? std::move(*got) : core::fail(core::errc::unavailable, "timeout fetching the policy");
    // Only an unreachable address makes another worth trying.
    if (out || out.error().code != core::errc::unavailable) break;
  }
  if (!out) out.error().message = fmt::format("MTA-STS policy of {}: {}", domain, out.error().message);
  return out;
}

}  // namespace letterhead::delivery::outbound
