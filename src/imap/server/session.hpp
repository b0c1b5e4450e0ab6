#pragma once
// One IMAP session (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1 in one server): the
// command loop, the selected mailbox's view, and untagged updates from other
// sessions and deliveries. One coroutine per connection owns this object;
// commands live in cmd_*.cpp, one file per command family.
//
// SECURITY
// - LOGIN and AUTHENTICATE only after TLS (LOGINDISABLED before), unless the
//   loopback test setting is on; failures look the same for unknown users.
// - STARTTLS discards pipelined plaintext (CVE-2011-0411 class) and all state.
// - Literals are announced before they are read: a synchronizing literal over the
//   limit is refused with a tagged NO before the client sends it; every read has a
//   deadline; output is flushed in bounded chunks; too many errors end the session.
// - Before login only LITERAL- is offered (RFC 7888 §5): a non-synchronizing literal
//   over 4096 bytes is refused with a tagged BAD and skipped, never buffered.
// - A client that stops reading is cut off when a write misses its deadline
//   (command_timeout); what waits for it is at most one flush of output.
// - COMPRESS (RFC 4978) only after login; the inflated stream goes through the same
//   command reader and limits (core/deflate_transport.hpp).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/config.hpp"
#include "core/log.hpp"
#include "core/runtime.hpp"
#include "core/tcp_server.hpp"
#include "directory/directory.hpp"
#include "imap/proto/command.hpp"
#include "imap/proto/command_reader.hpp"
#include "imap/server/junk_feedback.hpp"
#include "imap/server/selected.hpp"
#include "store/store.hpp"

namespace letterhead::imap::server {

struct session_settings {
  std::string hostname;
  bool implicit_tls = false;  // port 993
  bool allow_plaintext_auth_on_loopback = false;
  core::limits limits;
  std::uint64_t append_limit = 50ull * 1024 * 1024;  // APPENDLIMIT (RFC 7889)
  junk_feedback_hook junk_feedback;  // empty: nobody learns from Junk moves
};

class session final : public core::connection_session {
 public:
  session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
          store::store& store, directory::directory& dir, boost::asio::thread_pool& blocking,
          std::uint64_t id);
  ~session() override;

  boost::asio::awaitable<void> run() override;
  void request_shutdown() override;

 private:
  enum class state { not_authenticated, authenticated, selected, logout };
  enum class outcome { next, close };
  using command = proto::command;

  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<outcome> dispatch(const command& cmd);

  // Output: responses gather in out_ and go out at flush() (or when large).
  void untagged(std::string_view text);             // "* " + text + CRLF
  void tagged(const command& cmd, std::string_view status, std::string_view text);
  boost::asio::awaitable<bool> flush();
  boost::asio::awaitable<bool> maybe_flush();       // flush when out_ is large
  boost::asio::awaitable<outcome> bad(const command& cmd, std::string_view text);
  boost::asio::awaitable<outcome> no(const command& cmd, std::string_view text);
  boost::asio::awaitable<outcome> ok(const command& cmd, std::string_view text);

  // Reads the next line the client sends outside a command (AUTHENTICATE, IDLE DONE).
  boost::asio::awaitable<std::optional<std::string>> read_continuation();
  // Reads more bytes into the command reader; false on EOF, error or timeout.
  boost::asio::awaitable<bool> read_more(std::chrono::seconds timeout);

  // Runs f on the blocking pool (store calls, blob reads) and resumes here.
  template <class F>
  auto blocking(F f) -> boost::asio::awaitable<std::invoke_result_t<F>> {
    co_return co_await core::run_blocking(blocking_, std::move(f));
  }

  // Brings the selected view up to date and queues EXISTS/EXPUNGE/FETCH responses.
  // Expunges wait while `expunges_allowed` is false (RFC 9051 §7.5.1: not during
  // FETCH, STORE or SEARCH by sequence number).
  boost::asio::awaitable<void> sync_selected(bool expunges_allowed);

  [[nodiscard]] std::string capabilities() const;
  [[nodiscard]] bool login_allowed() const;
  [[nodiscard]] std::string encode_mailbox(std::string_view utf8) const;

  // cmd_any.cpp: CAPABILITY NOOP LOGOUT ID ENABLE NAMESPACE
  boost::asio::awaitable<outcome> cmd_any(const command& cmd);
  // cmd_auth.cpp: STARTTLS LOGIN AUTHENTICATE
  boost::asio::awaitable<outcome> cmd_starttls(const command& cmd);
  boost::asio::awaitable<outcome> cmd_login(const command& cmd);
  boost::asio::awaitable<outcome> cmd_authenticate(const command& cmd);
  boost::asio::awaitable<outcome> logged_in(const command& cmd, core::result<store::account> who);
  boost::asio::awaitable<outcome> authenticate_sasl(const command& cmd);  // SCRAM-SHA-256
  // False (after an untagged BYE) once the account is disabled, frozen or offboarded.
  boost::asio::awaitable<bool> still_authorized();
  // cmd_mailbox.cpp: LIST LSUB STATUS CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE
  boost::asio::awaitable<outcome> cmd_list(const command& cmd);
  boost::asio::awaitable<outcome> cmd_status(const command& cmd);
  boost::asio::awaitable<outcome> cmd_create(const command& cmd);
  boost::asio::awaitable<outcome> cmd_delete(const command& cmd);
  boost::asio::awaitable<outcome> cmd_rename(const command& cmd);
  boost::asio::awaitable<outcome> cmd_subscribe(const command& cmd);
  // CREATE and DELETE in the other users namespace (RFC 4314 §4 "k" and "x").
  boost::asio::awaitable<outcome> create_shared(const command& cmd, const std::string& name);
  boost::asio::awaitable<outcome> delete_shared(const command& cmd, const std::string& name);
  // cmd_select.cpp: SELECT EXAMINE CLOSE UNSELECT EXPUNGE CHECK
  boost::asio::awaitable<outcome> cmd_select(const command& cmd);
  boost::asio::awaitable<outcome> cmd_close(const command& cmd);
  boost::asio::awaitable<outcome> cmd_expunge(const command& cmd);
  // cmd_fetch.cpp
  boost::asio::awaitable<outcome> cmd_fetch(const command& cmd);
  // A message of the selected mailbox, read on the blocking pool: nullopt when
  // another session expunged it meanwhile (read_message_bytes).
  boost::asio::awaitable<core::result<std::optional<std::string>>> message_bytes(const store::message& msg);
  // cmd_store.cpp: STORE COPY MOVE
  boost::asio::awaitable<outcome> cmd_store(const command& cmd);
  boost::asio::awaitable<outcome> cmd_copy(const command& cmd);
  // cmd_search.cpp
  boost::asio::awaitable<outcome> cmd_search(const command& cmd);
  // Indexes into selected_->messages of the messages matching `key`, ascending.
  boost::asio::awaitable<core::result<std::vector<std::size_t>>> search_messages(const proto::search_key& key);
  // cmd_sort.cpp: SORT and THREAD (RFC 5256)
  boost::asio::awaitable<outcome> cmd_sort(const command& cmd);
  // cmd_append.cpp
  boost::asio::awaitable<outcome> cmd_append(const command& cmd);
  // cmd_idle.cpp
  boost::asio::awaitable<outcome> cmd_idle(const command& cmd);
  // cmd_compress.cpp: COMPRESS DEFLATE (RFC 4978)
  boost::asio::awaitable<outcome> cmd_compress(const command& cmd);

  // cmd_acl.cpp: SETACL DELETEACL GETACL LISTRIGHTS MYRIGHTS (RFC 4314) and the
  // mailboxes of the other users namespace (access.hpp).
  struct target {          // a mailbox as a command names it
    store::mailbox box;
    store::id_t owner = 0;
    std::string owner_address;  // empty for our own mailboxes
    std::string rights;         // ours on it (all for our own)
    std::string name;           // as the client names it
    [[nodiscard]] bool shared() const { return !owner_address.empty(); }
    [[nodiscard]] bool may(char right) const { return rights.find(right) != std::string::npos; }
  };
  // Our mailbox or a shared one by the client's name; errc::not_found also for a
  // shared mailbox we have no right on at all (its existence is not revealed).
  boost::asio::awaitable<core::result<target>> resolve_target(std::string_view client_name);
  boost::asio::awaitable<outcome> cmd_acl(const command& cmd);
  // Re-reads our rights on a selected shared mailbox (revocation takes effect).
  boost::asio::awaitable<void> refresh_rights();
  // Follows the notifications of a shared mailbox's owner while it is selected.
  void watch_owner(store::id_t owner);
  // cmd_quota.cpp: GETQUOTA GETQUOTAROOT SETQUOTA (RFC 9208)
  boost::asio::awaitable<outcome> cmd_quota(const command& cmd);
  // errc::limit when `bytes` more would take `owner` over its quota (COPY, MOVE).
  boost::asio::awaitable<core::result<void>> check_quota(store::id_t owner, std::uint64_t bytes);
  void report_junk_feedback(const std::vector<store::message>& messages, store::mailbox_role to_role,
                            store::id_t to_owner, bool move);

  // Resolves a mailbox name from the client (INBOX case-insensitively).
  [[nodiscard]] std::string canonical_name(std::string_view name) const;
  // Messages of the selected mailbox named by a sequence set (by UID when `uid`),
  // as indexes into selected_->messages, ascending.
  [[nodiscard]] std::vector<std::size_t> resolve_set(const proto::sequence_set& set, bool uid) const;

  std::shared_ptr<core::transport> transport_;
  std::shared_ptr<const session_settings> settings_holder_;
  const session_settings& settings_;
  store::store& store_;
  directory::directory& directory_;
  boost::asio::thread_pool& blocking_;
  core::conn_log log_;
  boost::asio::any_io_executor executor_;

  proto::command_reader reader_;
  std::string out_;
  state state_ = state::not_authenticated;
  std::optional<store::account> account_;
  std::optional<selected_mailbox> selected_;
  bool utf8_accept_ = false;   // ENABLE UTF8=ACCEPT (RFC 6855)
  bool condstore_ = false;     // CONDSTORE enabled (RFC 7162 §3.1)
  bool qresync_ = false;       // ENABLE QRESYNC (RFC 7162 §3.2.3): VANISHED instead of EXPUNGE
  bool compressed_ = false;    // COMPRESS DEFLATE is on (RFC 4978)
  std::vector<std::uint32_t> saved_search_;  // SEARCHRES "$" (RFC 5182)
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  bool shutdown_ = false;

  // Wake-ups for IDLE: the store's notifier and a slow poll both cancel the read.
  // Shared with handlers posted to our strand, which may run after we are gone.
  struct wake_state {
    bool alive = true;
    bool idling = false;
    bool woken = false;
    std::shared_ptr<core::transport> transport;
    void wake() {
      if (alive && idling) {
        woken = true;
        transport->cancel_read();
      }
    }
  };
  std::shared_ptr<wake_state> wake_;
  std::uint64_t subscription_ = 0;
  std::uint64_t owner_subscription_ = 0;  // the selected shared mailbox's owner
  store::id_t watched_owner_ = 0;
  std::unique_ptr<boost::asio::steady_timer> poll_timer_;
};

}  // namespace letterhead::imap::server
