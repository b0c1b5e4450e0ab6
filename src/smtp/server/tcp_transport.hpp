#pragma once
// The transport over a TCP socket with optional TLS (implicit or by STARTTLS).
// Heavy header (sockets, OpenSSL): included by the listener only.

#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "smtp/server/transport.hpp"

namespace letterhead::smtp::server {

[[nodiscard]] std::shared_ptr<transport> make_tcp_transport(
    boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace letterhead::smtp::server
