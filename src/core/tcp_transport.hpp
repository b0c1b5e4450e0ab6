#pragma once
// The transport over a TCP socket with optional TLS (implicit or by STARTTLS), for
// accepted connections (TLS server side) and for outgoing ones (TLS client side).
// Heavy header (sockets, OpenSSL): included by the listener and the SMTP client only.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "core/transport.hpp"

namespace letterhead::core {

// `client`, when set, is the client's address from a PROXY header
// (core/proxy_protocol.hpp): peer_ip() and peer_is_loopback() report it instead of
// the socket's peer (the proxy).
[[nodiscard]] std::shared_ptr<transport> make_tcp_transport(
    boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
    std::optional<boost::asio::ip::address> client = std::nullopt);

// How an outgoing connection runs its TLS handshake (transport::start_tls).
struct tls_client_options {
  // Sent as SNI (RFC 6066 §3) and, when `verify` is set, the name the certificate
  // must match (RFC 6125). An IP address or "" sends no SNI.
  std::string server_name;
  // Opportunistic TLS (RFC 7435) does not verify; policies (a smarthost, later
  // MTA-STS and DANE) do.
  bool verify = false;
  // A caller's own checks (the SMTP client's DANE, RFC 7672): `prepare` runs on the
  // new TLS session before the handshake, `check` after it completed. A non-empty
  // return is why the connection fails (errc::denied).
  std::function<std::string(ssl_st*)> prepare;
  std::function<std::string(ssl_st*)> check;
};

// An outgoing connection on a connected socket; `tls` from make_client_tls_context().
[[nodiscard]] std::shared_ptr<transport> make_tcp_client_transport(
    boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
    tls_client_options options);

}  // namespace letterhead::core
