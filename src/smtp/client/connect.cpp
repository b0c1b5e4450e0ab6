#include "smtp/client/connect.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace letterhead::smtp::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<core::result<tcp::socket>> connect_tcp(asio::any_io_executor ex, const std::string& address,
                                                       std::uint16_t port, std::chrono::seconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) co_return core::fail(core::errc::invalid, "not an IP address: " + address);
  tcp::socket socket(ex);
  asio::steady_timer timer(ex, timeout);
  const tcp::endpoint ep(ip, port);
  // Whichever finishes first cancels the other (Boost 1.81 has no cancel_after).
  auto done = co_await (socket.async_connect(ep, asio::as_tuple(asio::use_awaitable)) ||
                        timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (done.index() == 1) co_return core::fail(core::errc::unavailable, "connection timed out");
  const auto [connect_ec] = std::get<0>(done);
  if (connect_ec) co_return core::fail(core::errc::io, connect_ec.message());
  socket.set_option(tcp::no_delay(true), ec);
  co_return socket;
}

}  // namespace letterhead::smtp::client
