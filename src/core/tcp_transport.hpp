#pragma once
// The transport over a TCP socket with optional TLS (implicit or by STARTTLS).
// Heavy header (sockets, OpenSSL): included by the listener only.

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/transport.hpp"

namespace letterhead::core {

[[nodiscard]] std::shared_ptr<transport> make_tcp_transport(
    boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace letterhead::core
