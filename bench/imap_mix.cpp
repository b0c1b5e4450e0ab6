// IMAP mixed workload, in the manner of imaptest: N clients, each logged in to one
// account (its own or shared), SELECT INBOX, then a weighted random mix of FETCH
// (FLAGS of a range, ENVELOPE, BODYSTRUCTURE, BODY.PEEK[] of one message), UID STORE
// of \Seen and \Flagged, APPEND of a 4..20 KB message, UID SEARCH, expunge of the
// messages the client appended itself (UID STORE \Deleted, UID EXPUNGE: RFC 4315), a
// short IDLE (RFC 2177), NOOP, and now and then LOGOUT and a fresh login. Reports
// ops/s and the latency (command sent to tagged reply) per command and in total.
//
//   imap_mix --port 993 --tls --clients 8 --users 100 --user 'user{}@example.com' \
//            --password secret --seconds 20 --fill 100
//
// Client i logs in as account i % U ("{}" in --user is the number; --user may also be
// a comma-separated list). --fill M first APPENDs to each mailbox used until it holds
// M messages (untimed). The run lasts --seconds S, or until --ops N mix operations.
//
// Every client keeps a model of its selected mailbox (RFC 9051 §7.4: EXISTS,
// EXPUNGE, FETCH) and counts a "surprise" when the server contradicts it: a sequence
// number beyond EXISTS, EXISTS going down, UIDs out of order or changing, an APPENDUID
// not above every UID seen, an appended message that never shows up or comes back
// with other bytes, a literal whose size differs from RFC822.SIZE, flags not as
// stored, UID SEARCH UNSEEN disagreeing with the flags, a message left after UID
// EXPUNGE, or a NO/BAD that nothing explains. Checks that another session's changes
// could upset are made only when no two clients share an account.
//
// Output: a table per command on stdout, then one line
//   result clients=.. seconds=.. ops=.. ops_per_s=.. busy_ops_per_s=.. p50_ms=.. p99_ms=.. surprises=.. errors=.. <op>_ops=.. ...
// (p50/p99 over every command but IDLE, whose wait is not latency). Exits 1 when a
// client failed or a surprise was seen.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

// --- what is measured -------------------------------------------------------------

enum op : std::uint8_t {
  op_login, op_select, op_sync, op_fetch_flags, op_envelope, op_bodystructure, op_body, op_store, op_append,
  op_search, op_delete, op_expunge, op_idle, op_noop, op_logout,
  op_other,  // CAPABILITY and the checks' own commands: not reported
  op_count
};
constexpr std::array<std::string_view, op_count> op_names = {
    "login", "select", "sync", "fetch_flags", "envelope", "bodystructure", "body", "store",
    "append", "search", "delete", "expunge", "idle", "noop", "logout", "other"};

// The mix: what a client picks next, by weight. op_expunge stands for the pair
// UID STORE +FLAGS.SILENT (\Deleted) and UID EXPUNGE; op_logout for LOGOUT and a new
// login. login, select, sync and delete are never picked on their own.
struct weights {
  std::array<double, op_count> w{};
};

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 143;
  bool tls = false;
  unsigned clients = 8;
  unsigned users = 1;
  std::string user = "alice@example.com";
  std::string password;
  double seconds = 20;
  std::uint64_t ops = 0;  // 0: run for --seconds
  unsigned fill = 0;
  unsigned idle_ms = 500;
  std::uint64_t seed = 1;
  std::string trace;  // "all" or a client's number: its commands and responses go to stderr
  weights mix;
  std::vector<std::string> accounts;  // resolved from --user and --users
  bool shared = false;                // some account has more than one client
};

struct results {
  std::array<std::vector<double>, op_count> ms;
  std::uint64_t started = 0;  // mix operations begun (for --ops)
  unsigned surprises = 0;
  unsigned errors = 0;
  std::map<std::string, unsigned> kinds;  // surprises by kind
  bool timing = false;                    // false while filling
};

void surprise(results& r, unsigned client, std::string_view kind, const std::string& detail) {
  ++r.surprises;
  if (r.kinds[std::string(kind)]++ < 5) std::fprintf(stderr, "surprise: client %u: %s: %s\n", client,
                                                       std::string(kind).c_str(), detail.c_str());
}

// --- responses (RFC 9051 §7, formal syntax §9) --------------------------------------

struct value {
  enum class kind : std::uint8_t { atom, string, list, nil };
  kind k = kind::atom;
  std::string text;
  std::vector<value> items;
};

// Values of a response: atoms (with a bracketed section kept whole, as in
// BODY[HEADER.FIELDS (SUBJECT)]<0>), quoted strings, literals, lists and NIL.
class value_parser {
 public:
  explicit value_parser(std::string_view s, std::size_t pos = 0) : s_(s), p_(pos) {}

  bool at_end() {
    skip_spaces();
    return p_ >= s_.size() || s_[p_] == '\r';
  }

  value next() {
    skip_spaces();
    if (p_ >= s_.size()) throw std::runtime_error("response ends early");
    const char c = s_[p_];
    if (c == '(') return list();
    if (c == '"') return quoted();
    if (c == '{') return literal();
    if (c == ')' || c == '\r') throw std::runtime_error(fmt::format("unexpected '{}'", c));
    return atom();
  }

 private:
  void skip_spaces() {
    while (p_ < s_.size() && s_[p_] == ' ') ++p_;
  }

  value list() {
    value v{value::kind::list, {}, {}};
    ++p_;
    for (;;) {
      skip_spaces();
      if (p_ >= s_.size()) throw std::runtime_error("unterminated list");
      if (s_[p_] == ')') {
        ++p_;
        return v;
      }
      v.items.push_back(next());
    }
  }

  value quoted() {
    value v{value::kind::string, {}, {}};
    for (++p_; p_ < s_.size(); ++p_) {
      if (s_[p_] == '"') {
        ++p_;
        return v;
      }
      if (s_[p_] == '\\') ++p_;
      if (p_ < s_.size()) v.text += s_[p_];
    }
    throw std::runtime_error("unterminated quoted string");
  }

  // {n}CRLF then n octets (RFC 9051 §4.3); {n+} as well (RFC 7888).
  value literal() {
    const auto close = s_.find('}', p_);
    if (close == std::string_view::npos) throw std::runtime_error("bad literal");
    auto digits = s_.substr(p_ + 1, close - p_ - 1);
    if (digits.ends_with('+')) digits.remove_suffix(1);
    std::size_t n = 0;
    for (const char d : digits) {
      if (d < '0' || d > '9') throw std::runtime_error("bad literal length");
      n = n * 10 + static_cast<std::size_t>(d - '0');
    }
    if (s_.substr(close + 1, 2) != "\r\n" || close + 3 + n > s_.size()) throw std::runtime_error("short literal");
    p_ = close + 3 + n;
    return value{value::kind::string, std::string(s_.substr(close + 3, n)), {}};
  }

  value atom() {
    const auto start = p_;
    int depth = 0;
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (depth <= 0 && (c == ' ' || c == '(' || c == ')' || c == '\r')) break;
      ++p_;
    }
    std::string text(s_.substr(start, p_ - start));
    if (text == "NIL") return value{value::kind::nil, {}, {}};
    return value{value::kind::atom, std::move(text), {}};
  }

  std::string_view s_;
  std::size_t p_;
};

// The length of the literal that ends a response line ("... {123}"), if any.
std::optional<std::size_t> literal_at_end(std::string_view line) {
  if (!line.ends_with('}')) return std::nullopt;
  const auto open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  auto digits = line.substr(open + 1, line.size() - open - 2);
  if (digits.ends_with('+')) digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 12) return std::nullopt;
  std::size_t n = 0;
  for (const char d : digits) {
    if (d < '0' || d > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(d - '0');
  }
  return n;
}

std::uint32_t number(std::string_view s) {
  std::uint64_t n = 0;
  if (s.empty() || s.size() > 10) throw std::runtime_error(fmt::format("bad number '{}'", s));
  for (const char d : s) {
    if (d < '0' || d > '9') throw std::runtime_error(fmt::format("bad number '{}'", s));
    n = n * 10 + static_cast<std::uint64_t>(d - '0');
  }
  if (n > 0xffffffffu) throw std::runtime_error(fmt::format("number too large '{}'", s));
  return static_cast<std::uint32_t>(n);
}

// The words of a response code "[NAME a b]" in a status line, if it is NAME.
std::vector<std::string> response_code(std::string_view line, std::string_view name) {
  const auto open = line.find('[');
  const auto close = line.find(']', open == std::string_view::npos ? 0 : open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  std::vector<std::string> words;
  std::string_view code = line.substr(open + 1, close - open - 1);
  while (!code.empty()) {
    const auto sp = code.find(' ');
    words.emplace_back(code.substr(0, sp));
    if (sp == std::string_view::npos) break;
    code.remove_prefix(sp + 1);
  }
  if (words.empty() || words.front() != name) return {};
  return words;
}

// --- the mailbox as the client sees it ------------------------------------------------

enum flag_bits : std::uint8_t { seen = 1, flagged = 2, deleted = 4, flags_known = 8 };

struct slot {
  std::uint32_t uid = 0;  // 0: not fetched yet
  std::uint8_t flags = 0;
};

struct fetched {
  std::uint32_t seq = 0;
  std::uint32_t uid = 0;
  std::optional<std::uint8_t> flags;
  std::optional<std::string> body;
  std::optional<std::uint32_t> size;
  bool envelope_ok = false;
  bool bodystructure_ok = false;
};

struct own_message {
  std::size_t size = 0;
  std::size_t hash = 0;
};

// --- one client ----------------------------------------------------------------------

constexpr std::array<std::string_view, 8> words = {"report", "meeting", "invoice", "budget",
                                                   "travel", "review", "needle", "bench"};
constexpr std::string_view filler_line = "The quick brown fox jumps over the lazy dog while the budget is reviewed\r\n";

class client {
 public:
  client(ssl::context& tls, const options& o, results& r, unsigned index, std::string account)
      : tls_ctx_(tls), o_(o), r_(r), index_(index), account_(std::move(account)),
        rng_(o.seed * 1000003u + index) {}

  // Fills the mailbox to --fill messages (untimed), then logs out.
  asio::awaitable<void> fill() {
    try {
      co_await log_in();
      for (auto n = view_.size(); n < o_.fill; ++n) (void)co_await append(false);
      co_await log_out();
    } catch (const std::exception& e) {
      ++r_.errors;
      std::fprintf(stderr, "client %u (%s) filling: %s\n", index_, account_.c_str(), e.what());
    }
  }

  asio::awaitable<void> run(clock_type::time_point deadline) {
    try {
      co_await log_in();
      for (;;) {
        if (o_.ops > 0 ? r_.started >= o_.ops : clock_type::now() >= deadline) break;
        ++r_.started;
        co_await one(pick());
      }
      co_await log_out();
    } catch (const std::exception& e) {
      ++r_.errors;
      std::fprintf(stderr, "client %u (%s): %s\n", index_, account_.c_str(), e.what());
    }
  }

  // Ends a connection that hangs (the run's watchdog).
  void abort() {
    if (stream_) {
      boost::system::error_code ignored;
      stream_->lowest_layer().close(ignored);
    }
  }

 private:
  struct tagged {
    std::string status;  // OK, NO or BAD
    std::string line;
  };

  // --- I/O --------------------------------------------------------------------------

  asio::awaitable<void> fill_buffer() {
    std::array<char, 16384> chunk;
    std::size_t n = 0;
    if (o_.tls) {
      n = co_await stream_->async_read_some(asio::buffer(chunk), asio::use_awaitable);
    } else {
      n = co_await stream_->next_layer().async_read_some(asio::buffer(chunk), asio::use_awaitable);
    }
    buf_.append(chunk.data(), n);
  }

  bool tracing() const { return o_.trace == "all" || o_.trace == std::to_string(index_); }

  asio::awaitable<void> send(std::string_view data) {
    if (tracing()) {
      const auto shown = static_cast<int>(std::min<std::size_t>(data.size(), 300));
      std::fprintf(stderr, "%u C: %.*s", index_, shown, data.data());
    }
    if (o_.tls) {
      co_await asio::async_write(*stream_, asio::buffer(data), asio::use_awaitable);
    } else {
      co_await asio::async_write(stream_->next_layer(), asio::buffer(data), asio::use_awaitable);
    }
  }

  // One whole response: a line, and when it ends in a literal, the literal and the
  // rest of the response after it (which may end in another literal).
  asio::awaitable<std::string> read_response() {
    constexpr std::size_t max_response = 64u << 20;
    std::size_t scan = 0;
    for (;;) {
      const auto eol = buf_.find("\r\n", scan);
      if (eol == std::string::npos) {
        if (buf_.size() > max_response) throw std::runtime_error("response over 64 MiB");
        scan = buf_.empty() ? 0 : buf_.size() - 1;
        co_await fill_buffer();
        continue;
      }
      const auto literal = literal_at_end(std::string_view(buf_).substr(0, eol));
      if (!literal) {
        std::string response = buf_.substr(0, eol + 2);
        buf_.erase(0, eol + 2);
        if (tracing()) std::fprintf(stderr, "%u S: %.300s", index_, response.c_str());
        co_return response;
      }
      const auto end = eol + 2 + *literal;
      if (end > max_response) throw std::runtime_error("literal over 64 MiB");
      while (buf_.size() < end) co_await fill_buffer();
      scan = end;
    }
  }

  // Reads until the tagged reply to `tag`, handling what comes before it. A
  // continuation request ("+ ") ends the wait too when `until_continuation`.
  asio::awaitable<tagged> reply(const std::string& tag, bool until_continuation = false) {
    for (;;) {
      auto response = co_await read_response();
      if (response.starts_with("* ")) {
        untagged(response);
        continue;
      }
      if (response.starts_with("+")) {
        if (until_continuation) co_return tagged{"+", response};
        throw std::runtime_error("unexpected continuation request: " + response);
      }
      if (!response.starts_with(tag + " ")) throw std::runtime_error("unexpected response: " + response.substr(0, 200));
      response.resize(response.size() - 2);
      const auto rest = std::string_view(response).substr(tag.size() + 1);
      co_return tagged{std::string(rest.substr(0, rest.find(' '))), response};
    }
  }

  std::string next_tag() { return fmt::format("a{}", ++tag_); }

  // Sends a command and waits for its tagged reply, timed as `o`; a NO or BAD is a
  // surprise, but for a NO [EXPUNGEISSUED] (RFC 9051 §7.1) when `allow_no`: another
  // session sharing the mailbox expunged a message this one still sees.
  asio::awaitable<tagged> command(op o, const std::string& text, bool allow_no = false) {
    fetched_.clear();
    search_.clear();
    const auto tag = next_tag();
    const auto start = clock_type::now();
    co_await send(fmt::format("{} {}\r\n", tag, text));
    auto t = co_await reply(tag);
    record(o, start);
    const bool expected = allow_no && t.status == "NO" && t.line.find("[EXPUNGEISSUED]") != std::string::npos;
    if (t.status != "OK" && !expected) {
      surprise(r_, index_, fmt::format("{} {}", op_names[o], t.status), t.line.substr(0, 200));
    }
    co_return t;
  }

  void record(op o, clock_type::time_point start) {
    if (r_.timing) {
      r_.ms[o].push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    }
  }

  // --- untagged responses and the mailbox model --------------------------------------

  void untagged(const std::string& response) {
    value_parser p(response, 2);
    const auto first = p.next();
    if (first.k != value::kind::atom) return;
    if (first.text == "BYE") {
      if (!logging_out_) throw std::runtime_error("server said BYE: " + response.substr(0, 200));
      return;
    }
    if (first.text == "CAPABILITY") {
      caps_.clear();
      while (!p.at_end()) caps_.insert(p.next().text);
      return;
    }
    if (first.text == "SEARCH") {
      while (!p.at_end()) search_.push_back(number(p.next().text));
      return;
    }
    if (first.text == "OK") {
      if (const auto v = response_code(response, "UIDVALIDITY"); v.size() == 2) uidvalidity_seen(number(v[1]));
      return;
    }
    if (first.text.empty() || first.text[0] < '0' || first.text[0] > '9' || p.at_end()) return;
    const auto n = number(first.text);
    const auto what = p.next().text;
    if (what == "EXISTS") {
      exists(n);
    } else if (what == "EXPUNGE") {
      expunge(n);
    } else if (what == "FETCH") {
      fetch(n, p.next());
    }
  }

  void uidvalidity_seen(std::uint32_t v) {
    if (uidvalidity_ != 0 && v != uidvalidity_) {
      surprise(r_, index_, "UIDVALIDITY changed", fmt::format("{} -> {}", uidvalidity_, v));
      own_.clear();
      pending_.clear();
    }
    uidvalidity_ = v;
  }

  // RFC 9051 §7.4.1: EXISTS never shrinks the mailbox; only EXPUNGE does.
  void exists(std::uint32_t n) {
    if (n < view_.size()) {
      surprise(r_, index_, "EXISTS went down", fmt::format("{} after {}", n, view_.size()));
      view_.resize(n);
      return;
    }
    view_.resize(n);
  }

  void expunge(std::uint32_t n) {
    if (n == 0 || n > view_.size()) {
      surprise(r_, index_, "EXPUNGE beyond EXISTS", fmt::format("{} of {}", n, view_.size()));
      return;
    }
    view_.erase(view_.begin() + (n - 1));
  }

  void fetch(std::uint32_t n, const value& items) {
    if (n == 0 || n > view_.size()) {
      surprise(r_, index_, "FETCH beyond EXISTS", fmt::format("{} of {}", n, view_.size()));
      return;
    }
    if (items.k != value::kind::list || items.items.size() % 2 != 0) {
      surprise(r_, index_, "malformed FETCH", fmt::format("message {}", n));
      return;
    }
    fetched f;
    f.seq = n;
    for (std::size_t i = 0; i < items.items.size(); i += 2) {
      const auto& name = items.items[i].text;
      const auto& v = items.items[i + 1];
      if (name == "UID") {
        f.uid = number(v.text);
      } else if (name == "FLAGS") {
        std::uint8_t bits = flags_known;
        for (const auto& fl : v.items) {
          if (fl.text == "\\Seen") bits |= seen;
          if (fl.text == "\\Flagged") bits |= flagged;
          if (fl.text == "\\Deleted") bits |= deleted;
        }
        f.flags = bits;
      } else if (name == "RFC822.SIZE") {
        f.size = number(v.text);
      } else if (name.starts_with("BODY[")) {
        f.body = v.text;
      } else if (name == "ENVELOPE") {
        f.envelope_ok = v.k == value::kind::list && v.items.size() == 10;
      } else if (name == "BODYSTRUCTURE") {
        f.bodystructure_ok = v.k == value::kind::list && !v.items.empty();
      }
    }
    auto& s = view_[n - 1];
    if (f.uid != 0) {
      if (s.uid != 0 && s.uid != f.uid) {
        surprise(r_, index_, "UID of a message changed", fmt::format("message {}: {} -> {}", n, s.uid, f.uid));
      }
      // UIDs ascend with sequence numbers (RFC 9051 §2.3.1.1).
      if ((n >= 2 && view_[n - 2].uid >= f.uid) || (n < view_.size() && view_[n].uid != 0 && view_[n].uid <= f.uid)) {
        surprise(r_, index_, "UIDs out of order", fmt::format("message {} has UID {}", n, f.uid));
      }
      s.uid = f.uid;
      max_uid_ = std::max(max_uid_, f.uid);
    }
    if (f.flags) s.flags = *f.flags;
    fetched_.push_back(std::move(f));
  }

  std::optional<std::uint32_t> seq_of(std::uint32_t uid) const {
    for (std::size_t i = 0; i < view_.size(); ++i) {
      if (view_[i].uid == uid) return static_cast<std::uint32_t>(i + 1);
    }
    return std::nullopt;
  }

  bool all_uids_known() const {
    return std::ranges::all_of(view_, [](const slot& s) { return s.uid != 0; });
  }

  // --- sessions ------------------------------------------------------------------------

  asio::awaitable<void> connect() {
    auto ex = co_await asio::this_coro::executor;
    tcp::resolver resolver(ex);
    const auto endpoints = co_await resolver.async_resolve(o_.host, std::to_string(o_.port), asio::use_awaitable);
    stream_ = std::make_unique<ssl::stream<tcp::socket>>(ex, tls_ctx_);
    co_await asio::async_connect(stream_->next_layer(), endpoints, asio::use_awaitable);
    stream_->next_layer().set_option(tcp::no_delay(true));
    if (o_.tls) co_await stream_->async_handshake(ssl::stream_base::client, asio::use_awaitable);
    buf_.clear();
    logging_out_ = false;
    const auto greeting = co_await read_response();
    if (!greeting.starts_with("* OK")) throw std::runtime_error("greeting: " + greeting);
  }

  // RFC 9051 §4.3: a quoted string escapes '"' and '\'.
  static std::string quote(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
    return out;
  }

  asio::awaitable<void> log_in() {
    co_await connect();
    if (const auto t = co_await command(op_login, fmt::format("LOGIN {} {}", quote(account_), quote(o_.password)));
        t.status != "OK") {
      throw std::runtime_error("LOGIN: " + t.line);
    }
    if (caps_.empty()) (void)co_await command(op_other, "CAPABILITY");
    view_.clear();
    max_uid_ = 0;
    if (const auto t = co_await command(op_select, "SELECT INBOX"); t.status != "OK") {
      throw std::runtime_error("SELECT: " + t.line);
    }
    if (!view_.empty()) (void)co_await command(op_sync, "FETCH 1:* (UID FLAGS)");
    // What this client appended before must all be there (or gone by its own expunge).
    std::erase_if(own_, [&](const auto& kv) {
      if (seq_of(kv.first)) return false;
      surprise(r_, index_, "appended message missing after login", fmt::format("UID {}", kv.first));
      return true;
    });
    pending_.clear();
  }

  asio::awaitable<void> log_out() {
    logging_out_ = true;
    (void)co_await command(op_logout, "LOGOUT");
    boost::system::error_code ignored;
    stream_->lowest_layer().close(ignored);
  }

  // --- the mix ------------------------------------------------------------------------

  op pick() {
    double total = 0;
    for (const double w : o_.mix.w) total += w;
    double x = std::uniform_real_distribution<double>(0, total)(rng_);
    for (std::size_t i = 0; i < op_count; ++i) {
      x -= o_.mix.w[i];
      if (x < 0 && o_.mix.w[i] > 0) return static_cast<op>(i);
    }
    return op_noop;
  }

  std::uint32_t random(std::uint32_t lo, std::uint32_t hi) {  // inclusive
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }

  asio::awaitable<void> one(op o) {
    const auto count = static_cast<std::uint32_t>(view_.size());
    if (count == 0 && o != op_idle && o != op_noop && o != op_logout && o != op_expunge) o = op_append;
    switch (o) {
      case op_fetch_flags:
        co_await fetch_range(o, 50, "UID FLAGS");
        break;
      case op_envelope:
        co_await fetch_range(o, 10, "UID ENVELOPE");
        break;
      case op_bodystructure:
        co_await fetch_range(o, 10, "UID BODYSTRUCTURE");
        break;
      case op_body:
        co_await fetch_body();
        break;
      case op_store:
        co_await store();
        break;
      case op_append:
        (void)co_await append(true);
        break;
      case op_search:
        co_await search();
        break;
      case op_expunge:
        co_await expunge_own();
        break;
      case op_idle:
        co_await idle();
        break;
      case op_logout:
        co_await log_out();
        co_await log_in();
        break;
      default:
        co_await noop();
        break;
    }
  }

  // FETCH a:b of up to `most` messages: every one of them must answer, with its UID.
  asio::awaitable<void> fetch_range(op o, std::uint32_t most, std::string_view items) {
    const auto count = static_cast<std::uint32_t>(view_.size());
    const auto n = random(1, std::min(most, count));
    const auto a = random(1, count - n + 1);
    const auto t = co_await command(o, fmt::format("FETCH {}:{} ({})", a, a + n - 1, items), o_.shared);
    if (t.status != "OK" || o_.shared) co_return;
    std::set<std::uint32_t> answered;
    for (const auto& f : fetched_) {
      if (f.seq < a || f.seq >= a + n) continue;
      answered.insert(f.seq);
      if (f.uid == 0) surprise(r_, index_, "FETCH without UID", fmt::format("message {}", f.seq));
      if (o == op_envelope && !f.envelope_ok) surprise(r_, index_, "bad ENVELOPE", fmt::format("message {}", f.seq));
      if (o == op_bodystructure && !f.bodystructure_ok) {
        surprise(r_, index_, "bad BODYSTRUCTURE", fmt::format("message {}", f.seq));
      }
    }
    if (answered.size() != n) {
      surprise(r_, index_, "FETCH left messages out",
               fmt::format("{} of {}:{} answered", answered.size(), a, a + n - 1));
    }
  }

  // BODY.PEEK[] of one message: the literal must be RFC822.SIZE octets, and a message
  // this client appended must come back as it was sent.
  asio::awaitable<void> fetch_body() {
    const auto seq = random(1, static_cast<std::uint32_t>(view_.size()));
    const auto uid = view_[seq - 1].uid;
    const auto text = uid != 0 ? fmt::format("UID FETCH {} (BODY.PEEK[] RFC822.SIZE)", uid)
                               : fmt::format("FETCH {} (UID BODY.PEEK[] RFC822.SIZE)", seq);
    const auto t = co_await command(op_body, text, o_.shared);
    if (t.status != "OK") co_return;
    const auto it = std::ranges::find_if(fetched_, [](const fetched& f) { return f.body.has_value(); });
    if (it == fetched_.end()) {
      if (!o_.shared) surprise(r_, index_, "no BODY[] in reply", text);
      co_return;
    }
    if (!it->size || *it->size != it->body->size()) {
      surprise(r_, index_, "BODY[] size differs from RFC822.SIZE",
               fmt::format("UID {}: {} octets, RFC822.SIZE {}", it->uid, it->body->size(), it->size.value_or(0)));
    }
    if (const auto own = own_.find(it->uid); own != own_.end()) {
      if (own->second.size != it->body->size() || own->second.hash != std::hash<std::string>{}(*it->body)) {
        surprise(r_, index_, "appended message came back different",
                 fmt::format("UID {}: {} octets sent, {} fetched", it->uid, own->second.size, it->body->size()));
      }
    }
  }

  // UID STORE of \Seen or \Flagged, set when it is clear and cleared when set; the
  // FETCH in the reply (RFC 9051 §6.4.6) must show the new state.
  asio::awaitable<void> store() {
    const auto seq = random(1, static_cast<std::uint32_t>(view_.size()));
    const auto s = view_[seq - 1];
    if (s.uid == 0) {
      // Not fetched yet: what a client does first.
      (void)co_await command(op_fetch_flags, fmt::format("FETCH {} (UID FLAGS)", seq), o_.shared);
      co_return;
    }
    const auto bit = random(0, 1) == 0 ? seen : flagged;
    const bool add = (s.flags & flags_known) == 0 || (s.flags & bit) == 0;
    const auto t = co_await command(op_store, fmt::format("UID STORE {} {}FLAGS ({})", s.uid, add ? '+' : '-',
                                                          bit == seen ? "\\Seen" : "\\Flagged"),
                                    o_.shared);
    if (t.status != "OK" || o_.shared) co_return;
    const auto it = std::ranges::find_if(fetched_, [&](const fetched& f) { return f.uid == s.uid && f.flags; });
    if (it == fetched_.end()) {
      surprise(r_, index_, "STORE without FETCH of the new flags", fmt::format("UID {}", s.uid));
    } else if (((*it->flags & bit) != 0) != add) {
      surprise(r_, index_, "STORE did not change the flag", fmt::format("UID {}", s.uid));
    }
  }

  std::string message(std::uint64_t n) {
    const auto size = random(4096, 20480);
    const auto sender = random(0, 49);
    std::string subject;
    for (int i = 0; i < 3; ++i) subject += fmt::format("{} ", words[random(0, words.size() - 1)]);
    std::string m = fmt::format(
        "From: Sender {0} <sender{0}@bench.example>\r\nTo: <{1}>\r\nSubject: {2}#{3}.{4}\r\n"
        "Date: Sun, 29 Nov 2026 {5:02}:{6:02}:{7:02} +0000\r\nMessage-ID: <imapmix.{8}.{3}.{4}@bench.example>\r\n"
        "MIME-Version: 1.0\r\n",
        sender, account_, subject, index_, n, n / 3600 % 24, n / 60 % 60, n % 60, o_.seed);
    // A quarter carry an attachment (multipart/mixed), so BODYSTRUCTURE has parts to show.
    const bool attach = random(0, 3) == 0;
    const std::string boundary = fmt::format("=_mix_{}_{}", index_, n);
    if (attach) {
      m += fmt::format("Content-Type: multipart/mixed; boundary=\"{0}\"\r\n\r\n--{0}\r\n", boundary);
    }
    m += "Content-Type: text/plain; charset=us-ascii\r\n\r\n";
    const auto text_end = attach ? size * 2 / 3 : size;
    while (m.size() + filler_line.size() < text_end) m += filler_line;
    if (attach) {
      static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      m += fmt::format("--{}\r\nContent-Type: application/octet-stream; name=\"data-{}.bin\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n",
                       boundary, n);
      for (unsigned col = 0; m.size() + 80 < size; ++col) {
        m += alphabet[rng_() & 63];
        if (col % 76 == 75) m += "\r\n";
      }
      m += fmt::format("\r\n--{}--\r\n", boundary);
    }
    return m;
  }

  // APPEND with a synchronizing literal (RFC 9051 §6.3.12), as most clients send it;
  // with UIDPLUS the APPENDUID must be above every UID this client has seen.
  asio::awaitable<bool> append(bool own) {
    const auto data = message(++appended_);
    const auto tag = next_tag();
    fetched_.clear();
    const auto floor = max_uid_;
    const auto start = clock_type::now();
    co_await send(fmt::format("{} APPEND INBOX{} {{{}}}\r\n", tag, random(0, 3) == 0 ? " (\\Seen)" : "", data.size()));
    auto t = co_await reply(tag, true);
    if (t.status == "+") {
      co_await send(data);
      co_await send("\r\n");
      t = co_await reply(tag);
    }
    record(op_append, start);
    if (t.status != "OK") {
      surprise(r_, index_, fmt::format("append {}", t.status), t.line.substr(0, 200));
      co_return false;
    }
    const auto code = response_code(t.line, "APPENDUID");
    if (code.size() != 3) co_return true;
    const auto validity = number(code[1]);
    const auto uid = number(code[2]);
    if (uidvalidity_ != 0 && validity != uidvalidity_) {
      surprise(r_, index_, "APPENDUID with another UIDVALIDITY", fmt::format("{} vs {}", validity, uidvalidity_));
    }
    if (uid <= floor) surprise(r_, index_, "APPENDUID not above seen UIDs", fmt::format("{} after {}", uid, floor));
    max_uid_ = std::max(max_uid_, uid);
    if (own) {
      own_[uid] = own_message{data.size(), std::hash<std::string>{}(data)};
      pending_.insert(uid);
    }
    co_return true;
  }

  // UID SEARCH UNSEEN, SUBJECT or FROM. UNSEEN must agree with the flags the client
  // knows; every UID found must be one of the mailbox's.
  asio::awaitable<void> search() {
    const auto kind = random(0, 2);
    std::string criteria = "UNSEEN";
    if (kind == 1) criteria = fmt::format("SUBJECT \"{}\"", words[random(0, words.size() - 1)]);
    if (kind == 2) criteria = fmt::format("FROM \"sender{}\"", random(0, 49));
    const auto t = co_await command(op_search, "UID SEARCH " + criteria, o_.shared);
    if (t.status != "OK" || o_.shared || !all_uids_known()) co_return;
    std::set<std::uint32_t> in_view;
    for (const auto& s : view_) in_view.insert(s.uid);
    for (const auto uid : search_) {
      if (!in_view.contains(uid)) surprise(r_, index_, "SEARCH found an unknown UID", fmt::format("{}", uid));
    }
    if (kind != 0 || !std::ranges::all_of(view_, [](const slot& s) { return (s.flags & flags_known) != 0; })) {
      co_return;
    }
    std::set<std::uint32_t> unseen;
    for (const auto& s : view_) {
      if ((s.flags & seen) == 0) unseen.insert(s.uid);
    }
    if (unseen != std::set<std::uint32_t>(search_.begin(), search_.end())) {
      surprise(r_, index_, "UNSEEN disagrees with the flags",
               fmt::format("{} found, {} unseen by FETCH", search_.size(), unseen.size()));
    }
  }

  // Marks the messages this client appended \Deleted and expunges exactly those
  // (UID EXPUNGE, RFC 4315 §2.1), keeping the mailbox's size steady; none may remain.
  asio::awaitable<void> expunge_own() {
    if (own_.empty()) {
      co_await noop();
      co_return;
    }
    std::string set;
    for (const auto& [uid, m] : own_) set += fmt::format("{}{}", set.empty() ? "" : ",", uid);
    (void)co_await command(op_delete, fmt::format("UID STORE {} +FLAGS.SILENT (\\Deleted)", set));
    const bool uidplus = caps_.contains("UIDPLUS");
    (void)co_await command(op_expunge, uidplus ? "UID EXPUNGE " + set : std::string("EXPUNGE"));
    for (const auto& [uid, m] : own_) {
      if (seq_of(uid)) surprise(r_, index_, "message left after UID EXPUNGE", fmt::format("UID {}", uid));
      pending_.erase(uid);
    }
    own_.clear();
  }

  // IDLE until an untagged EXISTS arrives or --idle-ms pass, then DONE (RFC 2177).
  // The timer's handler may send DONE while the coroutine waits to read; it owns its
  // state, since it can run after this frame is gone (cancelled).
  asio::awaitable<void> idle() {
    const auto tag = next_tag();
    const auto start = clock_type::now();
    co_await send(tag + " IDLE\r\n");
    const auto go = co_await reply(tag, true);
    if (go.status != "+") {
      record(op_idle, start);
      surprise(r_, index_, fmt::format("idle {}", go.status), go.line.substr(0, 200));
      co_return;
    }
    struct idle_state {
      bool done_sent = false;
      asio::steady_timer timer;
      explicit idle_state(const asio::any_io_executor& ex) : timer(ex) {}
    };
    auto state = std::make_shared<idle_state>(co_await asio::this_coro::executor);
    static constexpr std::string_view done = "DONE\r\n";
    auto send_done = [this, state] {
      if (state->done_sent) return;
      state->done_sent = true;
      state->timer.cancel();
      auto ignore = [](boost::system::error_code, std::size_t) {};
      if (o_.tls) {
        asio::async_write(*stream_, asio::buffer(done), ignore);
      } else {
        asio::async_write(stream_->next_layer(), asio::buffer(done), ignore);
      }
    };
    state->timer.expires_after(std::chrono::milliseconds(o_.idle_ms));
    state->timer.async_wait([send_done, state](boost::system::error_code ec) {
      if (!ec) send_done();
    });
    const auto before = view_.size();
    for (;;) {
      auto response = co_await read_response();
      if (response.starts_with("* ")) {
        untagged(response);
        if (view_.size() != before) send_done();
        continue;
      }
      if (!response.starts_with(tag + " ")) throw std::runtime_error("unexpected in IDLE: " + response.substr(0, 200));
      if (!state->done_sent) surprise(r_, index_, "IDLE ended before DONE", response.substr(0, 200));
      state->done_sent = true;
      state->timer.cancel();
      record(op_idle, start);
      if (!response.starts_with(tag + " OK")) surprise(r_, index_, "idle NO/BAD", response.substr(0, 200));
      co_return;
    }
  }

  // NOOP reports what changed (RFC 9051 §6.1.2). Afterwards every message this client
  // appended must be in its view: the ones not seen yet are asked for by UID (untimed).
  asio::awaitable<void> noop() {
    (void)co_await command(op_noop, "NOOP");
    std::string set;
    for (const auto uid : pending_) {
      if (!seq_of(uid)) set += fmt::format("{}{}", set.empty() ? "" : ",", uid);
    }
    if (!set.empty()) (void)co_await command(op_other, fmt::format("UID FETCH {} (UID FLAGS)", set));
    for (const auto uid : pending_) {
      if (!seq_of(uid)) surprise(r_, index_, "appended message never appeared", fmt::format("UID {}", uid));
    }
    pending_.clear();
  }

  ssl::context& tls_ctx_;
  const options& o_;
  results& r_;
  unsigned index_;
  std::string account_;
  std::mt19937_64 rng_;
  std::unique_ptr<ssl::stream<tcp::socket>> stream_;
  std::string buf_;
  std::uint64_t tag_ = 0;
  std::uint64_t appended_ = 0;
  bool logging_out_ = false;
  std::set<std::string> caps_;
  std::vector<slot> view_;
  std::uint32_t uidvalidity_ = 0;
  std::uint32_t max_uid_ = 0;
  std::vector<fetched> fetched_;        // FETCH responses to the current command
  std::vector<std::uint32_t> search_;   // SEARCH results of the current command
  std::map<std::uint32_t, own_message> own_;  // appended by this client, not expunged
  std::set<std::uint32_t> pending_;           // appended, not yet seen in the view
};

// --- the run ---------------------------------------------------------------------------

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  const auto k = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())));
  std::ranges::nth_element(v, v.begin() + static_cast<std::ptrdiff_t>(k));
  return v[k];
}

std::vector<std::string> resolve_accounts(const options& o) {
  std::vector<std::string> out;
  if (o.user.find(',') != std::string::npos) {
    std::string_view rest = o.user;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      out.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return out;
  }
  for (unsigned k = 0; k < o.users; ++k) {
    std::string a = o.user;
    if (const auto at = a.find("{}"); at != std::string::npos) a.replace(at, 2, std::to_string(k));
    out.push_back(a);
  }
  return out;
}

// Runs every coroutine made by `make(client&)` to the end, and the watchdog: clients
// still busy `limit` after the start are cut off (and counted as errors).
void run_all(asio::io_context& io, std::vector<std::unique_ptr<client>>& clients,
             const std::function<asio::awaitable<void>(client&)>& make, std::chrono::seconds limit) {
  unsigned running = static_cast<unsigned>(clients.size());
  asio::steady_timer watchdog(io, limit);
  watchdog.async_wait([&](boost::system::error_code ec) {
    if (ec) return;
    std::fprintf(stderr, "watchdog: clients still busy after %llds\n", static_cast<long long>(limit.count()));
    for (auto& c : clients) c->abort();
  });
  for (auto& c : clients) {
    asio::co_spawn(io, make(*c), [&](const std::exception_ptr&) {
      if (--running == 0) watchdog.cancel();
    });
  }
  io.restart();
  io.run();
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  auto& w = o.mix.w;
  // Near imaptest's default mix (fetch, fetch2, store, delete+expunge, append,
  // logout), plus SEARCH, IDLE and NOOP as mail clients send them. Appends and the
  // messages each expunge removes (about two) balance, so the mailbox stays its size.
  w[op_fetch_flags] = 20;
  w[op_envelope] = 10;
  w[op_bodystructure] = 10;
  w[op_body] = 20;
  w[op_store] = 10;
  w[op_append] = 8;
  w[op_search] = 6;
  w[op_expunge] = 4;
  w[op_idle] = 1;
  w[op_noop] = 9;
  w[op_logout] = 2;
  CLI::App app{"IMAP mixed workload"};
  app.add_option("--host", o.host);
  app.add_option("--port", o.port)->required();
  app.add_flag("--tls", o.tls, "implicit TLS (imaps)");
  app.add_option("--clients", o.clients, "concurrent clients");
  app.add_option("--users", o.users, "accounts: client i logs in as account i % U, {} in --user is the number");
  app.add_option("--user", o.user, "account pattern, or a comma-separated list");
  app.add_option("--password", o.password)->required();
  app.add_option("--seconds", o.seconds, "length of the run");
  app.add_option("--ops", o.ops, "stop after this many mix operations instead");
  app.add_option("--fill", o.fill, "first APPEND until each mailbox holds this many messages");
  app.add_option("--idle-ms", o.idle_ms, "longest IDLE without news");
  app.add_option("--seed", o.seed);
  app.add_option("--trace", o.trace, "'all' or a client number: its traffic goes to stderr");
  for (std::size_t i = op_fetch_flags; i < op_other; ++i) {
    if (i == op_delete) continue;
    app.add_option(fmt::format("--{}", op_names[i]), w[i], fmt::format("weight of {}", op_names[i]))
        ->capture_default_str();
  }
  CLI11_PARSE(app, argc, argv);
  o.accounts = resolve_accounts(o);
  if (o.clients == 0 || o.accounts.empty() || (o.ops == 0 && o.seconds <= 0)) {
    std::fprintf(stderr, "--clients, --users and --seconds (or --ops) must be positive\n");
    return 2;
  }
  o.shared = o.clients > o.accounts.size();

  // The client's certificate check is not what is measured (a throwaway one on loopback).
  ssl::context tls(ssl::context::tls_client);
  tls.set_verify_mode(ssl::verify_none);
  asio::io_context io(1);
  results r;

  if (o.fill > 0) {
    std::vector<std::unique_ptr<client>> fillers;
    const auto n = std::min<std::size_t>(o.clients, o.accounts.size());
    for (std::size_t i = 0; i < n; ++i) {
      fillers.push_back(std::make_unique<client>(tls, o, r, static_cast<unsigned>(i), o.accounts[i]));
    }
    run_all(io, fillers, [](client& c) { return c.fill(); }, std::chrono::seconds(3600));
    if (r.errors != 0) return 1;
  }

  std::vector<std::unique_ptr<client>> clients;
  for (unsigned i = 0; i < o.clients; ++i) {
    clients.push_back(std::make_unique<client>(tls, o, r, i, o.accounts[i % o.accounts.size()]));
  }
  r.timing = true;
  const auto start = clock_type::now();
  const auto deadline =
      start + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.seconds));
  const auto limit = std::chrono::seconds(o.ops > 0 ? 3600 : static_cast<long long>(o.seconds) + 120);
  run_all(io, clients, [deadline](client& c) { return c.run(deadline); }, limit);
  const double secs = std::chrono::duration<double>(clock_type::now() - start).count();

  std::vector<double> all;
  std::uint64_t total = 0;
  std::printf("%-14s %9s %9s %9s %9s\n", "command", "ops", "ops/s", "p50 ms", "p99 ms");
  std::string fields;
  for (std::size_t i = 0; i < op_other; ++i) {
    const auto& v = r.ms[i];
    total += v.size();
    if (i != op_idle) all.insert(all.end(), v.begin(), v.end());
    if (v.empty()) continue;
    const double p50 = percentile(v, 0.50), p99 = percentile(v, 0.99);
    std::printf("%-14s %9zu %9.1f %9.2f %9.2f\n", std::string(op_names[i]).c_str(), v.size(),
                static_cast<double>(v.size()) / secs, p50, p99);
    fields += fmt::format(" {0}_ops={1} {0}_p50_ms={2:.2f} {0}_p99_ms={3:.2f}", op_names[i], v.size(), p50, p99);
  }
  const double p50 = percentile(all, 0.50), p99 = percentile(all, 0.99);
  // IDLE is a wait (for another client's APPEND, or --idle-ms), the same on any
  // server: the commands outside it over the time the clients spent outside it say
  // how fast the server answers.
  double idle_seconds = 0;
  for (const double ms : r.ms[op_idle]) idle_seconds += ms / 1000.0;
  const double busy_seconds = secs - idle_seconds / static_cast<double>(o.clients);
  const double busy_rate = busy_seconds > 0 ? static_cast<double>(total - r.ms[op_idle].size()) / busy_seconds : 0;
  std::printf("%-14s %9llu %9.1f %9.2f %9.2f   (p50/p99 without idle)\n", "total",
              static_cast<unsigned long long>(total), static_cast<double>(total) / secs, p50, p99);
  std::printf("outside IDLE: %.1f commands/s (each client spent %.2f of %.2f s in IDLE)\n", busy_rate,
              idle_seconds / static_cast<double>(o.clients), secs);
  std::printf("surprises %u, failed clients %u\n", r.surprises, r.errors);
  for (const auto& [kind, n] : r.kinds) std::printf("  %6u  %s\n", n, kind.c_str());
  std::printf("result clients=%u tls=%d seconds=%.2f ops=%llu ops_per_s=%.1f busy_ops_per_s=%.1f p50_ms=%.2f "
              "p99_ms=%.2f surprises=%u errors=%u%s\n",
              o.clients, o.tls ? 1 : 0, secs, static_cast<unsigned long long>(total), static_cast<double>(total) / secs,
              busy_rate, p50, p99, r.surprises, r.errors, fields.c_str());
  return r.errors == 0 && r.surprises == 0 ? 0 : 1;
}
