// APPEND (RFC 9051 §6.3.12) with MULTIAPPEND (RFC 3502), UIDPLUS APPENDUID
// (RFC 4315) and APPENDLIMIT (RFC 7889). The message is stored byte-exact, however
// broken its MIME; OK goes out only once it is on stable storage.
#include <ctime>

#include <fmt/format.h>

#include "imap/proto/sequence_set.hpp"
#include "imap/server/session.hpp"
#include "mime/summary.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

// RFC 9051 §9 date-time: "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded).
std::optional<std::int64_t> parse_date_time(std::string_view s) {
  static constexpr const char* months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0, zone = 0;
  char mon[4] = {};
  char sign = '+';
  std::string text(s);
  if (std::sscanf(text.c_str(), "%d-%3c-%d %d:%d:%d %c%d", &day, mon, &year, &hh, &mm, &ss, &sign, &zone) != 8) {
    return std::nullopt;
  }
  int month = -1;
  for (int i = 0; i < 12; ++i) {
    std::string m(mon, 3);
    for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (m == months[i]) month = i;
  }
  if (month < 0 || day < 1 || day > 31 || year < 1900 || hh > 23 || mm > 59 || ss > 60 || zone > 9959) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_mday = day;
  tm.tm_mon = month;
  tm.tm_year = year - 1900;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  const std::int64_t offset = (zone / 100) * 3600 + (zone % 100) * 60;
  return static_cast<std::int64_t>(timegm(&tm)) - (sign == '-' ? -offset : offset);
}

}  // namespace

asio::awaitable<session::outcome> session::cmd_append(const command& cmd) {
  const auto* a = std::get_if<proto::append_args>(&cmd.args);
  if (a == nullptr || a->messages.empty()) co_return co_await bad(cmd, "APPEND needs a mailbox and a message");
  auto t = co_await resolve_target(a->mailbox);
  if (!t) {
    if (t.error().code == core::errc::not_found) co_return co_await no(cmd, "[TRYCREATE] No such mailbox");
    co_return co_await no(cmd, "[SERVERBUG] Cannot open mailbox");
  }
  // RFC 4314 §4: APPEND needs "i" in the target mailbox.
  if (!t->may('i')) co_return co_await no(cmd, "[NOPERM] You may not add messages to this mailbox");
  const store::mailbox* mb = &t->box;
  std::vector<store::delivery> all;
  for (const auto& m : a->messages) {
    if (m.data.size() > settings_.append_limit) co_return co_await no(cmd, "[TOOBIG] Message too large");
    if (m.data.empty()) co_return co_await bad(cmd, "Empty message");
    auto flags = parse_flags(m.flags);
    if (!flags) co_return co_await bad(cmd, flags.error().message);
    store::delivery one;
    one.size = m.data.size();
    // A full account refuses the APPEND with [OVERQUOTA] (RFC 9051 §7.1).
    one.enforce_quota = true;
    one.internal_date = static_cast<std::int64_t>(std::time(nullptr));
    if (m.date_time) {
      auto t = parse_date_time(*m.date_time);
      if (!t) co_return co_await bad(cmd, "Invalid date-time");
      one.internal_date = *t;
    }
    store::delivery_target target;
    target.account_id = t->owner;  // a shared mailbox's owner pays for it
    target.role = store::mailbox_role::none;
    target.mailbox_id = mb->id;
    target.flags = flags->bits;
    target.keywords = flags->keywords;
    one.targets.push_back(std::move(target));
    all.push_back(std::move(one));
  }
  // MULTIAPPEND (RFC 3502 §6.3.11): all messages or none. Each message is its own
  // store transaction; on a failure the ones already stored are expunged again.
  // Each message's summary (mime/summary.hpp) is stored with its rows, for FETCH
  // ENVELOPE, SEARCH and SORT to read instead of the message.
  auto store_all = [&st = store_, &all, msgs = &a->messages, mailbox = mb->id,
                    limits = mime::parse_limits::from_config(settings_.limits)]() -> core::result<std::vector<std::uint32_t>> {
    std::vector<std::uint32_t> uids;
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::string_view data = (*msgs)[i].data;
      all[i].meta_version = mime::summary_cache_version(limits);
      const auto summary = mime::summarize(data, mime::parse(data, limits));
      all[i].meta = mime::serialize(summary);
      all[i].keys = mime::serialize_keys(summary);
      auto hash = st.blobs().put_deferred((*msgs)[i].data);
      core::result<std::vector<store::delivered>> done = hash ? [&] {
        all[i].blob = *hash;
        return st.deliver(all[i]);
      }() : std::unexpected(hash.error());
      if (!done) {
        if (!uids.empty()) (void)st.expunge(mailbox, uids);
        return std::unexpected(done.error());
      }
      uids.push_back(done->front().uid);
    }
    return uids;
  };
  auto uids = co_await blocking(store_all);
  if (!uids) {
    log_.error("APPEND failed: {}", uids.error().message);
    if (uids.error().code == core::errc::limit) co_return co_await no(cmd, "[OVERQUOTA] Quota exceeded");
    co_return co_await no(cmd, "[SERVERBUG] Cannot store the message");
  }
  store_.notifier().notify(t->owner);
  if (selected_ && selected_->mailbox.id == mb->id) co_await sync_selected(true);
  co_return co_await ok(cmd, fmt::format("[APPENDUID {} {}] APPEND completed", mb->uidvalidity,
                                         proto::format_sequence_set(*uids)));
}

}  // namespace letterhead::imap::server
