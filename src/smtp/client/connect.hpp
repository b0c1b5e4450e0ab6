#pragma once
// TCP connect with a deadline, for the SMTP client. Brings Asio's socket headers:
// included by the client's .cpp files only.

#include <chrono>
#include <cstdint>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/error.hpp"

namespace letterhead::smtp::client {

// Connects to an IP address (v4 or v6 text) and port. errc::invalid for an address
// that is not an IP, errc::unavailable for the timeout, errc::io for a refusal.
[[nodiscard]] boost::asio::awaitable<core::result<boost::asio::ip::tcp::socket>> connect_tcp(
    boost::asio::any_io_executor ex, const std::string& address, std::uint16_t port,
    std::chrono::seconds timeout);

}  // namespace letterhead::smtp::client
