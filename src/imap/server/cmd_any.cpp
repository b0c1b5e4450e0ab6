// CAPABILITY, NOOP, LOGOUT (RFC 9051 §6.1), ID (RFC 2971), ENABLE (RFC 5161;
// UTF8=ACCEPT RFC 6855, CONDSTORE and QRESYNC RFC 7162 §3.2.3), NAMESPACE (RFC 2342).
#include <fmt/format.h>

#include "imap/server/session.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

asio::awaitable<session::outcome> session::cmd_any(const command& cmd) {
  const std::string& n = cmd.name;
  if (n == "CAPABILITY") {
    untagged("CAPABILITY " + capabilities());
    co_return co_await ok(cmd, "CAPABILITY completed");
  }
  if (n == "NOOP") {
    // RFC 9051 §6.1.2: NOOP is how clients poll for updates.
    co_await sync_selected(true);
    co_return co_await ok(cmd, "NOOP completed");
  }
  if (n == "LOGOUT") {
    untagged("BYE Letterhead IMAP logging out");
    tagged(cmd, "OK", "LOGOUT completed");
    (void)co_await flush();
    state_ = state::logout;
    co_return outcome::close;
  }
  if (n == "ID") {
    // RFC 2971 §3.1: we tell our name; what the client says is only logged.
    if (const auto* a = std::get_if<proto::id_args>(&cmd.args)) {
      std::string fields;
      for (const auto& [k, v] : a->fields) {
        if (k.size() < 40 && v && v->size() < 100) fields += fmt::format(" {}={}", k, *v);
      }
      if (!fields.empty()) log_.info("client ID:{}", fields);
    }
    untagged("ID (\"name\" \"Letterhead\" \"vendor\" \"Letterhead\" \"support-url\" \"https://letterhead.invalid/\")");
    co_return co_await ok(cmd, "ID completed");
  }
  if (n == "ENABLE") {
    const auto* a = std::get_if<proto::enable_args>(&cmd.args);
    std::string enabled;
    if (a != nullptr) {
      for (const auto& c : a->capabilities) {
        if (c == "UTF8=ACCEPT" && !utf8_accept_) {
          utf8_accept_ = true;
          enabled += " UTF8=ACCEPT";
        } else if (c == "CONDSTORE" && !condstore_) {
          condstore_ = true;
          enabled += " CONDSTORE";
        } else if (c == "QRESYNC" && !qresync_) {
          // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
          qresync_ = true;
          condstore_ = true;
          enabled += " QRESYNC";
        } else if (c == "IMAP4REV2") {
          enabled += " IMAP4rev2";
        }
      }
    }
    untagged("ENABLED" + enabled);
    co_return co_await ok(cmd, "ENABLE completed");
  }
  // NAMESPACE (RFC 2342 §5): the personal namespace and, for mailboxes other accounts
  // share with us (RFC 4314), the other users namespace (access.hpp); "/" separates.
  untagged("NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL");
  co_return co_await ok(cmd, "NAMESPACE completed");
}

}  // namespace letterhead::imap::server
