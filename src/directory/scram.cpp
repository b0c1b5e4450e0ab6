#include "directory/scram.hpp"

#include <fmt/format.h>

#include "directory/detail/crypto.hpp"

namespace letterhead::directory {

namespace {

constexpr std::size_t max_message = 4096;

// RFC 5802 §5.1 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is an error.
std::optional<std::string> decode_saslname(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ',') return std::nullopt;
    if (s[i] != '=') {
      out += s[i];
      continue;
    }
    if (s.substr(i, 3) == "=2C") {
      out += ',';
    } else if (s.substr(i, 3) == "=3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

// RFC 5802 §7 printable: %x21-2B / %x2D-7E (no ',').
bool printable(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return !s.empty();
}

std::string xor_bytes(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

store::scram_credentials derive_scram_sha256(std::string_view password, std::uint32_t iterations,
                                             std::string_view salt) {
  store::scram_credentials c;
  c.salt = salt.empty() ? detail::random_bytes(16) : std::string(salt);
  c.iterations = iterations;
  // RFC 5802 §3.
  const auto salted = detail::pbkdf2_sha256(password, c.salt, iterations);
  const auto client_key = detail::hmac_sha256(salted, "Client Key");
  c.stored_key = detail::sha256(client_key);
  c.server_key = detail::hmac_sha256(salted, "Server Key");
  return c;
}

core::result<std::string> scram_server::client_first(std::string_view message) {
  using core::errc;
  if (message.size() > max_message) return core::fail(errc::invalid, "SCRAM message too long");
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const auto c1 = message.find(',');
  if (c1 == std::string_view::npos) return core::fail(errc::invalid, "malformed SCRAM client-first-message");
  const auto c2 = message.find(',', c1 + 1);
  if (c2 == std::string_view::npos) return core::fail(errc::invalid, "malformed SCRAM client-first-message");
  const auto flag = message.substr(0, c1);
  // RFC 5802 §6: "y" means the client could bind but thinks we cannot, which is true.
  if (flag.starts_with("p=")) return core::fail(errc::denied, "channel binding is not supported");
  if (flag != "n" && flag != "y") return core::fail(errc::invalid, "malformed SCRAM gs2 header");
  const auto authzid_field = message.substr(c1 + 1, c2 - c1 - 1);
  gs2_header_ = std::string(message.substr(0, c2 + 1));
  client_first_bare_ = std::string(message.substr(c2 + 1));
  std::string_view bare = client_first_bare_;
  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  if (bare.starts_with("m=")) return core::fail(errc::invalid, "unsupported SCRAM extension");
  if (!bare.starts_with("n=")) return core::fail(errc::invalid, "malformed SCRAM username");
  const auto comma = bare.find(',');
  if (comma == std::string_view::npos) return core::fail(errc::invalid, "malformed SCRAM client-first-message");
  auto username = decode_saslname(bare.substr(2, comma - 2));
  if (!username || username->empty()) return core::fail(errc::invalid, "malformed SCRAM username");
  auto rest = bare.substr(comma + 1);
  if (!rest.starts_with("r=")) return core::fail(errc::invalid, "malformed SCRAM nonce");
  auto nonce = rest.substr(2, rest.find(',') == std::string_view::npos ? std::string_view::npos : rest.find(',') - 2);
  if (!printable(nonce)) return core::fail(errc::invalid, "malformed SCRAM nonce");
  client_nonce_ = std::string(nonce);
  if (!authzid_field.empty()) {
    if (!authzid_field.starts_with("a=")) return core::fail(errc::invalid, "malformed SCRAM authzid");
    auto authzid = decode_saslname(authzid_field.substr(2));
    if (!authzid) return core::fail(errc::invalid, "malformed SCRAM authzid");
    // Acting as another user is not supported.
    if (*authzid != *username) return core::fail(errc::denied, "authorization identity not allowed");
  }
  return *username;
}

std::string scram_server::server_first(const store::scram_credentials& credentials, std::string_view server_nonce) {
  credentials_ = credentials;
  const std::string ours =
      server_nonce.empty() ? detail::base64_encode(detail::random_bytes(18)) : std::string(server_nonce);
  nonce_ = client_nonce_ + ours;
  server_first_ = fmt::format("r={},s={},i={}", nonce_, detail::base64_encode(credentials.salt),
                              credentials.iterations);
  return server_first_;
}

core::result<std::string> scram_server::client_final(std::string_view message) {
  using core::errc;
  if (message.size() > max_message) return core::fail(errc::invalid, "SCRAM message too long");
  if (server_first_.empty()) return core::fail(errc::invalid, "SCRAM exchange out of order");
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  const auto proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return core::fail(errc::invalid, "malformed SCRAM client-final-message");
  const auto without_proof = message.substr(0, proof_at);
  const auto proof = detail::base64_decode(message.substr(proof_at + 3));
  if (!proof) return core::fail(errc::invalid, "malformed SCRAM proof");
  if (!without_proof.starts_with("c=")) return core::fail(errc::invalid, "malformed SCRAM channel binding");
  const auto comma = without_proof.find(',');
  if (comma == std::string_view::npos) return core::fail(errc::invalid, "malformed SCRAM client-final-message");
  // RFC 5802 §7: c= is base64 of the gs2 header (no channel binding data here).
  const auto cbind = detail::base64_decode(without_proof.substr(2, comma - 2));
  if (!cbind || *cbind != gs2_header_) return core::fail(errc::invalid, "SCRAM channel binding does not match");
  auto rest = without_proof.substr(comma + 1);
  if (!rest.starts_with("r=")) return core::fail(errc::invalid, "malformed SCRAM nonce");
  const auto nonce = rest.substr(2, rest.find(',') == std::string_view::npos ? std::string_view::npos : rest.find(',') - 2);
  if (nonce != nonce_) return core::fail(errc::invalid, "SCRAM nonce does not match");
  // RFC 5802 §3: AuthMessage, ClientSignature, ClientKey = ClientProof XOR ClientSignature.
  const auto auth_message = fmt::format("{},{},{}", client_first_bare_, server_first_, without_proof);
  const auto client_signature = detail::hmac_sha256(credentials_.stored_key, auth_message);
  if (proof->size() != client_signature.size()) return core::fail(errc::denied, "invalid credentials");
  const auto client_key = xor_bytes(*proof, client_signature);
  if (credentials_.stored_key.empty() ||
      !detail::constant_time_equal(detail::sha256(client_key), credentials_.stored_key)) {
    return core::fail(errc::denied, "invalid credentials");
  }
  const auto server_signature = detail::hmac_sha256(credentials_.server_key, auth_message);
  return "v=" + detail::base64_encode(server_signature);
}

}  // namespace letterhead::directory
