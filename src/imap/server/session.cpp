#include "imap/server/session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "imap/proto/parser.hpp"
#include "imap/proto/response.hpp"
#include "imap/server/qresync.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

// RFC 9051 §5.4: an idle authenticated client may be logged out after 30 minutes;
// before authentication we allow less.
constexpr std::chrono::seconds authenticated_timeout{30 * 60};
constexpr std::chrono::seconds unauthenticated_timeout{60};
// Responses are written once this much is queued, so a huge FETCH streams out.
constexpr std::size_t flush_threshold = 256 * 1024;
constexpr std::size_t read_chunk = 8 * 1024;
// RFC 7888 §5, RFC 9051 §4.3: the largest non-synchronizing literal under LITERAL-.
constexpr std::uint64_t literal_minus_limit = 4096;

proto::reader_limits limits_for(const session_settings& s) {
  proto::reader_limits l;
  l.max_line = std::max<std::size_t>(s.limits.line_length, 64 * 1024);
  l.max_literal = s.append_limit;
  return l;
}

}  // namespace

session::session(std::shared_ptr<core::transport> t, std::shared_ptr<const session_settings> settings,
                 store::store& store, directory::directory& dir, asio::thread_pool& blocking,
                 std::uint64_t id)
    : transport_(std::move(t)),
      settings_holder_(std::move(settings)),
      settings_(*settings_holder_),
      store_(store),
      directory_(dir),
      blocking_(blocking),
      log_("imap", id),
      reader_(limits_for(settings_)),
      wake_(std::make_shared<wake_state>()) {
  wake_->transport = transport_;
}

session::~session() {
  if (subscription_ != 0) store_.notifier().unsubscribe(subscription_);
  if (owner_subscription_ != 0) store_.notifier().unsubscribe(owner_subscription_);
  wake_->alive = false;
}

void session::request_shutdown() {
  shutdown_ = true;
  transport_->cancel_read();
}

asio::awaitable<void> session::run() {
  try {
    co_await loop();
  } catch (const std::exception& e) {
    log_.error("session ended by exception: {}", e.what());
  }
  if (poll_timer_) poll_timer_->cancel();
  transport_->close();
}

std::string session::capabilities() const {
  std::string caps = "IMAP4rev1 IMAP4rev2";
  if (!transport_->tls()) caps += " STARTTLS";
  if (state_ == state::not_authenticated) {
    if (login_allowed()) {
      caps += " AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR";
    } else {
      caps += " LOGINDISABLED";
    }
  }
  // RFC 7888 §5: LITERAL+ includes everything LITERAL- allows, so only one is
  // announced. Before login a client gets LITERAL- (non-synchronizing literals up to
  // 4096 bytes, as IMAP4rev2 has them anyway, RFC 9051 §4.3), so that nobody can make
  // us read a large literal unannounced; after login LITERAL+.
  caps += state_ == state::not_authenticated ? " LITERAL-" : " LITERAL+";
  caps += " ENABLE ID IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE";
  caps += " CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES UTF8=ACCEPT CONDSTORE QRESYNC";
  caps += " SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY STATUS=SIZE MULTIAPPEND WITHIN";
  caps += " OBJECTID";
  // RFC 4314 §2.1.1, RFC 9208 §3.1: storage is the one resource with a limit.
  caps += " ACL RIGHTS=texk QUOTA QUOTA=RES-STORAGE";
  caps += fmt::format(" APPENDLIMIT={}", settings_.append_limit);
  // RFC 4978: compression after login (TLS first, then COMPRESS), once.
  if (state_ != state::not_authenticated && !compressed_) caps += " COMPRESS=DEFLATE";
  return caps;
}

bool session::login_allowed() const {
  if (transport_->tls()) return true;
  return settings_.allow_plaintext_auth_on_loopback && transport_->peer_is_loopback();
}

void session::untagged(std::string_view text) {
  out_ += "* ";
  out_ += text;
  out_ += "\r\n";
}

void session::tagged(const command& cmd, std::string_view status, std::string_view text) {
  out_ += cmd.tag.empty() ? std::string("*") : cmd.tag;
  out_ += ' ';
  out_ += status;
  out_ += ' ';
  out_ += text;
  out_ += "\r\n";
}

asio::awaitable<bool> session::flush() {
  if (out_.empty()) co_return true;
  auto r = co_await transport_->write(out_, settings_.limits.command_timeout);
  out_.clear();
  if (!r) {
    log_.info("write failed: {}", r.error().message);
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> session::maybe_flush() {
  if (out_.size() < flush_threshold) co_return true;
  co_return co_await flush();
}

asio::awaitable<session::outcome> session::bad(const command& cmd, std::string_view text) {
  static auto& syntax = core::metrics::global().counter(
      "letterhead_errors_total", {{"protocol", "imap"}, {"kind", "syntax"}}, "Errors answered, by kind.");
  syntax.inc();
  ++errors_;
  tagged(cmd, "BAD", text);
  if (errors_ >= settings_.limits.errors) {
    untagged("BYE Too many errors");
    (void)co_await flush();
    co_return outcome::close;
  }
  co_return co_await flush() ? outcome::next : outcome::close;
}

asio::awaitable<session::outcome> session::no(const command& cmd, std::string_view text) {
  tagged(cmd, "NO", text);
  co_return co_await flush() ? outcome::next : outcome::close;
}

asio::awaitable<session::outcome> session::ok(const command& cmd, std::string_view text) {
  tagged(cmd, "OK", text);
  co_return co_await flush() ? outcome::next : outcome::close;
}

asio::awaitable<bool> session::read_more(std::chrono::seconds timeout) {
  // A small read buffer: an idle connection waits here with it allocated.
  std::string in;
  auto n = co_await transport_->read_some(in, read_chunk, timeout);
  if (!n || *n == 0) co_return false;
  reader_.feed(in);
  co_return true;
}

asio::awaitable<std::optional<std::string>> session::read_continuation() {
  for (;;) {
    auto ev = reader_.next();
    using kind = proto::command_reader::event::kind;
    if (ev.k == kind::command) {
      std::string line = std::move(ev.text);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      co_return line;
    }
    if (ev.k == kind::literal_request) {
      reader_.refuse_literal();
      co_return std::nullopt;
    }
    if (ev.k == kind::error) co_return std::nullopt;
    if (!co_await read_more(settings_.limits.command_timeout)) co_return std::nullopt;
  }
}

asio::awaitable<void> session::loop() {
  executor_ = co_await asio::this_coro::executor;
  log_.info("connect from {}", transport_->peer_ip());
  if (settings_.implicit_tls) {
    if (auto r = co_await transport_->start_tls(settings_.limits.command_timeout); !r) {
      log_.info("{}", r.error().message);
      co_return;
    }
  }
  untagged(fmt::format("OK [CAPABILITY {}] {} Letterhead IMAP ready", capabilities(), settings_.hostname));
  if (!co_await flush()) co_return;

  using kind = proto::command_reader::event::kind;
  for (;;) {
    if (shutdown_) {
      untagged("BYE Server shutting down");
      (void)co_await flush();
      co_return;
    }
    auto ev = reader_.next();
    if (ev.k == kind::need_more) {
      const auto timeout = state_ == state::not_authenticated ? unauthenticated_timeout : authenticated_timeout;
      if (!co_await read_more(timeout)) {
        if (shutdown_) continue;
        co_return;
      }
      continue;
    }
    if (ev.k == kind::literal_request) {
      // RFC 7888 §5 (LITERAL-, what we offer before login): a larger non-synchronizing
      // literal gets a tagged BAD; its bytes, already on the way, are skipped.
      if (!ev.synchronizing && state_ == state::not_authenticated && ev.literal_size > literal_minus_limit) {
        reader_.refuse_literal();
        command c;
        c.tag = ev.tag;
        if (co_await bad(c, "[TOOBIG] Non-synchronizing literals over 4096 bytes need LITERAL+") == outcome::close) {
          co_return;
        }
        continue;
      }
      // RFC 9051 §7.5: the "+" goes out only for a literal we will take; RFC 7889
      // §4: a too-large APPEND literal is refused before its bytes are sent.
      if (ev.literal_size > settings_.append_limit) {
        command c;
        c.tag = ev.tag;
        if (ev.synchronizing) {
          reader_.refuse_literal();
          tagged(c, "NO", "[TOOBIG] Literal too large");
          if (!co_await flush()) co_return;
          continue;
        }
        untagged("BYE [TOOBIG] Non-synchronizing literal too large");
        (void)co_await flush();
        co_return;
      }
      if (ev.synchronizing) {
        out_ += "+ Ready for literal data\r\n";
        if (!co_await flush()) co_return;
      }
      reader_.accept_literal();
      continue;
    }
    if (ev.k == kind::error) {
      command c;
      c.tag = ev.tag;
      if (ev.close) {
        // RFC 7888 §4: a non-synchronizing literal over the limit ends the session.
        tagged(c, "BAD", ev.message);
        untagged("BYE " + ev.message);
        (void)co_await flush();
        co_return;
      }
      if (ev.code == core::errc::limit) {
        // RFC 7889 §4 / RFC 9051 §7.1: refused before the client sends the bytes.
        if (co_await no(c, "[TOOBIG] " + ev.message) == outcome::close) co_return;
        continue;
      }
      if (co_await bad(c, ev.message) == outcome::close) co_return;
      continue;
    }
    auto cmd = proto::parse_command(ev.text, proto::parse_options{.utf8_accept = utf8_accept_});
    if (!cmd) {
      command c;
      c.tag = ev.tag;
      // An unsupported CHARSET is NO [BADCHARSET] (RFC 9051 §6.4.4); syntax is BAD.
      if (cmd.error().code == core::errc::denied) {
        if (co_await no(c, cmd.error().message) == outcome::close) co_return;
        continue;
      }
      if (co_await bad(c, cmd.error().message) == outcome::close) co_return;
      continue;
    }
    // An account disabled since login (freeze, offboarding) ends the session (issue 6).
    if (state_ != state::not_authenticated) {
      if (!co_await still_authorized()) co_return;
    }
    if (co_await dispatch(*cmd) == outcome::close) co_return;
    if (state_ == state::logout) co_return;
  }
}

asio::awaitable<session::outcome> session::dispatch(const command& cmd) {
  static auto& commands = core::metrics::global().counter("letterhead_commands_total", {{"protocol", "imap"}},
                                                          "Commands received.");
  commands.inc();
  const std::string& n = cmd.name;
  // Commands valid in any state (RFC 9051 §6.1).
  if (n == "CAPABILITY" || n == "NOOP" || n == "LOGOUT" || n == "ID" || n == "ENABLE" || n == "NAMESPACE") {
    if ((n == "ENABLE" || n == "NAMESPACE") && state_ == state::not_authenticated) {
      co_return co_await bad(cmd, "Log in first");
    }
    co_return co_await cmd_any(cmd);
  }
  if (state_ == state::not_authenticated) {
    if (n == "STARTTLS") co_return co_await cmd_starttls(cmd);
    if (n == "LOGIN") co_return co_await cmd_login(cmd);
    if (n == "AUTHENTICATE") co_return co_await cmd_authenticate(cmd);
    co_return co_await bad(cmd, "Log in first");
  }
  if (n == "STARTTLS" || n == "LOGIN" || n == "AUTHENTICATE") co_return co_await bad(cmd, "Already logged in");
  if (n == "SELECT" || n == "EXAMINE") co_return co_await cmd_select(cmd);
  if (n == "LIST" || n == "LSUB") co_return co_await cmd_list(cmd);
  if (n == "STATUS") co_return co_await cmd_status(cmd);
  if (n == "CREATE") co_return co_await cmd_create(cmd);
  if (n == "DELETE") co_return co_await cmd_delete(cmd);
  if (n == "RENAME") co_return co_await cmd_rename(cmd);
  if (n == "SUBSCRIBE" || n == "UNSUBSCRIBE") co_return co_await cmd_subscribe(cmd);
  if (n == "APPEND") co_return co_await cmd_append(cmd);
  if (n == "IDLE") co_return co_await cmd_idle(cmd);
  if (n == "COMPRESS") co_return co_await cmd_compress(cmd);
  if (n == "SETACL" || n == "DELETEACL" || n == "GETACL" || n == "LISTRIGHTS" || n == "MYRIGHTS") {
    co_return co_await cmd_acl(cmd);
  }
  if (n == "GETQUOTA" || n == "GETQUOTAROOT" || n == "SETQUOTA") co_return co_await cmd_quota(cmd);
  if (state_ != state::selected) {
    if (n == "CLOSE" || n == "UNSELECT" || n == "EXPUNGE" || n == "CHECK" || n == "FETCH" || n == "STORE" ||
        n == "SEARCH" || n == "COPY" || n == "MOVE" || n == "SORT" || n == "THREAD") {
      co_return co_await bad(cmd, "No mailbox selected");
    }
    co_return co_await bad(cmd, "Command not supported");
  }
  if (n == "CLOSE" || n == "UNSELECT") co_return co_await cmd_close(cmd);
  // RFC 4314 §4: a revoked "r" on a selected shared mailbox ends what can be done there.
  co_await refresh_rights();
  if (!selected_->may('r')) co_return co_await no(cmd, "[NOPERM] Access to this mailbox was revoked");
  if (n == "EXPUNGE") co_return co_await cmd_expunge(cmd);
  if (n == "CHECK") {
    co_await sync_selected(true);
    co_return co_await ok(cmd, "CHECK completed");
  }
  if (n == "FETCH") co_return co_await cmd_fetch(cmd);
  if (n == "STORE") co_return co_await cmd_store(cmd);
  if (n == "SEARCH") co_return co_await cmd_search(cmd);
  if (n == "SORT" || n == "THREAD") co_return co_await cmd_sort(cmd);
  if (n == "COPY" || n == "MOVE") co_return co_await cmd_copy(cmd);
  co_return co_await bad(cmd, "Command not supported");
}

asio::awaitable<void> session::sync_selected(bool expunges_allowed) {
  if (!selected_ || !account_) co_return;
  co_await refresh_rights();
  if (!selected_->may('r')) co_return;
  // A shared mailbox's changes are in its owner's change log.
  auto read = [&st = store_, account = selected_->owner, sel = &*selected_]() {
    return read_delta(st, account, *sel);
  };
  auto delta = co_await blocking(read);
  if (!delta) {
    log_.error("cannot read mailbox changes: {}", delta.error().message);
    co_return;
  }
  auto& sel = *selected_;
  if (delta->mailbox_gone) {
    // RFC 9051 §7.1: the mailbox went away under us.
    untagged("BYE Selected mailbox was deleted");
    state_ = state::logout;
    co_return;
  }
  sel.known_modseq = std::max(sel.known_modseq, delta->modseq);
  sel.highest_modseq = std::max(sel.highest_modseq, delta->mailbox_modseq);
  for (const auto uid : delta->expunged) sel.pending_expunges.push_back(uid);
  if (expunges_allowed && !sel.pending_expunges.empty()) {
    std::sort(sel.pending_expunges.begin(), sel.pending_expunges.end());
    sel.pending_expunges.erase(std::unique(sel.pending_expunges.begin(), sel.pending_expunges.end()),
                               sel.pending_expunges.end());
    if (qresync_) {
      // RFC 7162 §3.2.10: with QRESYNC on, one VANISHED with the UIDs replaces the
      // EXPUNGE responses (same moments allowed: it renumbers too).
      std::vector<std::uint32_t> gone;
      std::vector<store::message> kept;
      kept.reserve(sel.messages.size());
      for (auto& m : sel.messages) {
        if (std::binary_search(sel.pending_expunges.begin(), sel.pending_expunges.end(), m.uid)) {
          gone.push_back(m.uid);
        } else {
          kept.push_back(std::move(m));
        }
      }
      sel.messages = std::move(kept);
      if (!gone.empty()) untagged(vanished_response(gone, false));
    } else {
      // Report from the highest sequence number down so that the numbers we send stay
      // valid as each one is applied.
      for (auto it = sel.pending_expunges.rbegin(); it != sel.pending_expunges.rend(); ++it) {
        if (auto idx = sel.index_of_uid(*it)) {
          untagged(fmt::format("{} EXPUNGE", *idx + 1));
          sel.messages.erase(sel.messages.begin() + static_cast<std::ptrdiff_t>(*idx));
        }
      }
    }
    sel.pending_expunges.clear();
  }
  for (const auto& m : delta->changed) {
    if (auto idx = sel.index_of_uid(m.uid)) {
      auto& mine = sel.messages[*idx];
      if (mine.flags != m.flags || mine.keywords != m.keywords) {
        mine.flags = m.flags;
        mine.keywords = m.keywords;
        mine.modseq = m.modseq;
        std::string line = fmt::format("{} FETCH (UID {} FLAGS {}", *idx + 1, m.uid, flag_list(m));
        if (condstore_) line += fmt::format(" MODSEQ ({})", m.modseq);
        line += ")";
        untagged(line);
      }
    }
  }
  if (!delta->added.empty()) {
    for (auto& m : delta->added) {
      if (m.uid > sel.last_uid()) sel.messages.push_back(std::move(m));
    }
    untagged(fmt::format("{} EXISTS", sel.messages.size()));
  }
}

std::string session::canonical_name(std::string_view name) const {
  // RFC 9051 §5.1: INBOX is case-insensitive, also as the first level of a hierarchy.
  if (name.size() >= 5) {
    std::string head(name.substr(0, 5));
    for (auto& c : head) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (head == "INBOX" && (name.size() == 5 || name[5] == '/')) return "INBOX" + std::string(name.substr(5));
  }
  return std::string(name);
}

std::string session::encode_mailbox(std::string_view utf8) const {
  return proto::mailbox_name(utf8, utf8_accept_);
}

std::vector<std::size_t> session::resolve_set(const proto::sequence_set& set, bool uid) const {
  std::vector<std::size_t> out;
  if (!selected_) return out;
  const auto& msgs = selected_->messages;
  if (set.saved) {
    for (const auto u : saved_search_) {
      if (auto idx = selected_->index_of_uid(u)) out.push_back(*idx);
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<bool> chosen(msgs.size(), false);
  for (const auto& r : set.ranges) {
    if (uid) {
      // "*" is the highest UID in use; a range need not name existing UIDs.
      const std::uint32_t star = msgs.empty() ? 0 : msgs.back().uid;
      std::uint32_t a = r.first == 0 ? star : r.first;
      std::uint32_t b = r.last == 0 ? star : r.last;
      if (a > b) std::swap(a, b);
      auto lo = std::lower_bound(msgs.begin(), msgs.end(), a,
                                 [](const store::message& m, std::uint32_t u) { return m.uid < u; });
      for (auto it = lo; it != msgs.end() && it->uid <= b; ++it) chosen[static_cast<std::size_t>(it - msgs.begin())] = true;
    } else {
      const std::uint32_t star = static_cast<std::uint32_t>(msgs.size());
      std::uint32_t a = r.first == 0 ? star : r.first;
      std::uint32_t b = r.last == 0 ? star : r.last;
      if (a > b) std::swap(a, b);
      for (std::uint32_t s = std::max<std::uint32_t>(a, 1); s <= b && s <= star; ++s) chosen[s - 1] = true;
    }
  }
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    if (chosen[i]) out.push_back(i);
  }
  return out;
}

}  // namespace letterhead::imap::server
