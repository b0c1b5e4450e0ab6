// SEARCH and UID SEARCH (RFC 9051 §6.4.4, ESEARCH RFC 4731, SEARCHRES RFC 5182,
// CONDSTORE MODSEQ RFC 7162 §3.1.5, WITHIN RFC 5032). Text keys match decoded
// text: RFC 2047 headers and transfer- and charset-decoded bodies (GBK, GB18030,
// Big5, ...), compared under Unicode case folding. Header keys (FROM, SUBJECT, HEADER,
// SENTON, ...) are answered from the messages' cached summaries (summaries.hpp), a
// batch of rows at a time; only BODY and TEXT read and parse every message.
#include <ctime>

#include <fmt/format.h>

#include "imap/proto/sequence_set.hpp"
#include "imap/server/session.hpp"
#include "imap/server/summaries.hpp"
#include "mime/date.hpp"
#include "mime/header.hpp"
#include "mime/parser.hpp"
#include "mime/search_text.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

using key = proto::search_key;
using kind = proto::search_key::kind;

// Days since the epoch of a calendar date, and of a unix time (UTC).
std::int64_t day_number(const proto::date& d) {
  std::tm tm{};
  tm.tm_mday = d.day;
  tm.tm_mon = d.month - 1;
  tm.tm_year = d.year - 1900;
  return static_cast<std::int64_t>(timegm(&tm)) / 86400;
}
std::int64_t day_of(std::int64_t t) { return t >= 0 ? t / 86400 : (t - 86399) / 86400; }

// The root header fields a summary holds decoded (mime::summary), by name.
const std::string* summary_field(const mime::summary& s, std::string_view name) {
  auto is = [name](std::string_view n) {
    return name.size() == n.size() && std::equal(name.begin(), name.end(), n.begin(), [](char a, char b) {
             return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
  };
  if (is("Subject")) return &s.subject;
  if (is("From")) return &s.from;
  if (is("To")) return &s.to;
  if (is("Cc")) return &s.cc;
  if (is("Bcc")) return &s.bcc;
  return nullptr;
}

// What a key needs of the message beyond its row: the body (BODY, TEXT), the root
// header as parsed fields (HEADER of other fields or with an empty string, SENT*), or
// only what a summary holds.
enum class need { row, summary, header, body };

need needs_of(const key& k) {
  mime::summary probe;
  switch (k.k) {
    case kind::body: case kind::text:
      return need::body;
    case kind::header:
      return k.text.empty() || summary_field(probe, k.field) == nullptr ? need::header : need::summary;
    case kind::sentbefore: case kind::senton: case kind::sentsince:
      return need::header;
    case kind::bcc: case kind::cc: case kind::from: case kind::subject: case kind::to: case kind::threadid:
      return need::summary;
    case kind::and_: case kind::or_: case kind::not_: {
      need most = need::row;
      for (const auto& c : k.children) most = std::max(most, needs_of(c));
      return most;
    }
    default:
      return need::row;
  }
}

bool uses_modseq(const key& k) {
  if (k.k == kind::modseq) return true;
  for (const auto& c : k.children) {
    if (uses_modseq(c)) return true;
  }
  return false;
}

struct context {
  const selected_mailbox& sel;
  const std::vector<std::uint32_t>& saved;
  std::size_t index = 0;
  const store::message* msg = nullptr;
  // The message, or (need::header from a summary) its root header alone, parsed.
  std::string_view bytes;
  const mime::message* parsed = nullptr;
  const mime::summary* sum = nullptr;
  std::int64_t now = 0;
};

bool in_set(const proto::sequence_set& set, std::uint32_t value, std::uint32_t star,
            const std::vector<std::uint32_t>& saved, std::uint32_t uid) {
  if (set.saved) return std::find(saved.begin(), saved.end(), uid) != saved.end();
  for (const auto& r : set.ranges) {
    std::uint32_t a = r.first == 0 ? star : r.first;
    std::uint32_t b = r.last == 0 ? star : r.last;
    if (a > b) std::swap(a, b);
    if (value >= a && value <= b) return true;
  }
  return false;
}

std::string header_text(const context& c, std::string_view field) {
  if (c.sum != nullptr) {
    if (const auto* text = summary_field(*c.sum, field)) return *text;
  }
  return mime::decoded_header_text(c.bytes, *c.parsed, 0, field);
}

bool matches(const key& k, const context& c) {
  const auto& m = *c.msg;
  switch (k.k) {
    case kind::all: return true;
    case kind::answered: return m.flags & store::flag_answered;
    case kind::deleted: return m.flags & store::flag_deleted;
    case kind::draft: return m.flags & store::flag_draft;
    case kind::flagged: return m.flags & store::flag_flagged;
    case kind::seen: return m.flags & store::flag_seen;
    case kind::unanswered: return !(m.flags & store::flag_answered);
    case kind::undeleted: return !(m.flags & store::flag_deleted);
    case kind::undraft: return !(m.flags & store::flag_draft);
    case kind::unflagged: return !(m.flags & store::flag_flagged);
    case kind::unseen: return !(m.flags & store::flag_seen);
    // No \Recent in this server (RFC 9051 removed it): nothing is recent or new.
    case kind::recent: case kind::new_: return false;
    case kind::old: return true;
    case kind::keyword: return std::find(m.keywords.begin(), m.keywords.end(), k.text) != m.keywords.end();
    case kind::unkeyword: return std::find(m.keywords.begin(), m.keywords.end(), k.text) == m.keywords.end();
    case kind::bcc: return mime::text_contains(header_text(c, "Bcc"), k.text);
    case kind::cc: return mime::text_contains(header_text(c, "Cc"), k.text);
    case kind::from: return mime::text_contains(header_text(c, "From"), k.text);
    case kind::to: return mime::text_contains(header_text(c, "To"), k.text);
    case kind::subject: return mime::text_contains(header_text(c, "Subject"), k.text);
    case kind::header: {
      // RFC 9051 §6.4.4: an empty string matches every message with the field.
      const auto value = header_text(c, k.field);
      if (k.text.empty()) return mime::find_field(c.bytes, c.parsed->parts.front().fields, k.field) != nullptr;
      return mime::text_contains(value, k.text);
    }
    case kind::body: return mime::text_contains(mime::searchable_body_text(c.bytes, *c.parsed), k.text);
    case kind::text: return mime::text_contains(mime::searchable_full_text(c.bytes, *c.parsed), k.text);
    case kind::before: return day_of(m.internal_date) < day_number(k.day);
    case kind::on: return day_of(m.internal_date) == day_number(k.day);
    case kind::since: return day_of(m.internal_date) >= day_number(k.day);
    case kind::sentbefore: case kind::senton: case kind::sentsince: {
      // RFC 9051 §6.4.4: the Date: header, disregarding time and timezone.
      auto raw = mime::raw_value(c.bytes, c.parsed->parts.front().fields, "Date");
      auto d = raw ? mime::parse_date(*raw) : std::nullopt;
      if (!d) return false;
      const auto day = day_of(d->unix_seconds + d->zone_minutes * 60);
      const auto want = day_number(k.day);
      if (k.k == kind::sentbefore) return day < want;
      if (k.k == kind::senton) return day == want;
      return day >= want;
    }
    case kind::larger: return m.size > k.number;
    case kind::smaller: return m.size < k.number;
    case kind::uid: return in_set(k.set, m.uid, c.sel.last_uid(), c.saved, m.uid);
    case kind::sequence:
      return in_set(k.set, static_cast<std::uint32_t>(c.index + 1), static_cast<std::uint32_t>(c.sel.messages.size()),
                    c.saved, m.uid);
    case kind::modseq: return m.modseq >= k.number;
    case kind::older: return m.internal_date <= c.now - static_cast<std::int64_t>(k.number);
    case kind::younger: return m.internal_date >= c.now - static_cast<std::int64_t>(k.number);
    case kind::emailid: return k.text == email_objectid(m);
    case kind::threadid: return c.sum != nullptr && k.text == thread_objectid(*c.sum, m.blob);
    case kind::and_:
      for (const auto& ch : k.children) {
        if (!matches(ch, c)) return false;
      }
      return true;
    case kind::or_: return k.children.size() == 2 && (matches(k.children[0], c) || matches(k.children[1], c));
    case kind::not_: return k.children.size() == 1 && !matches(k.children[0], c);
  }
  return false;
}

}  // namespace

asio::awaitable<core::result<std::vector<std::size_t>>> session::search_messages(const proto::search_key& key) {
  const need what = needs_of(key);
  const auto limits = mime::parse_limits::from_config(settings_.limits);
  const auto version = mime::summary_cache_version(limits);
  // Address and subject keys read only the keys; HEADER of other fields and SENT*
  // read the root header, which only the whole summary holds.
  summary_batches batches(store_, selected_->mailbox.id, version,
                          what == need::summary ? summary_depth::keys : summary_depth::whole);
  std::size_t batch_start = 0;
  std::vector<std::size_t> hits;
  context c{*selected_, saved_search_, 0, nullptr, {}, nullptr, nullptr, 0};
  c.now = static_cast<std::int64_t>(std::time(nullptr));
  for (std::size_t i = 0; i < selected_->messages.size(); ++i) {
    const auto& msg = selected_->messages[i];
    c.index = i;
    c.msg = &msg;
    if (what == need::summary || what == need::header) {
      if (i % summary_batch == 0) {
        batch_start = i;
        std::vector<const store::message*> batch;
        for (std::size_t j = i; j < std::min(selected_->messages.size(), i + summary_batch); ++j) {
          batch.push_back(&selected_->messages[j]);
        }
        auto load = [&batches, batch = std::move(batch)]() { return batches.load(batch); };
        if (auto got = co_await blocking(load); !got) {
          log_.warn("message summaries unavailable: {}", got.error().message);
        }
      }
      auto& cached = batches.at(i - batch_start);
      std::string bytes;
      std::optional<mime::message> parsed;
      c.bytes = {};
      if (!cached || (what == need::header && !cached->header_complete)) {
        auto b = co_await message_bytes(msg);
        if (!b) co_return std::unexpected(b.error());
        // Expunged by another session meanwhile (RFC 2180 §4.1.2): it matches nothing.
        if (!*b) continue;
        bytes = std::move(**b);
        parsed = mime::parse(bytes, limits);
        c.bytes = bytes;
        if (!cached) batches.computed(i - batch_start, mime::summarize(bytes, *parsed));
      } else if (what == need::header) {
        // The root header parses alone as at the head of its message.
        parsed = mime::parse(cached->header, limits);
        c.bytes = cached->header;
      }
      c.parsed = parsed ? &*parsed : nullptr;
      c.sum = &*cached;
      if (matches(key, c)) hits.push_back(i);
      continue;
    }
    std::string bytes;
    std::optional<mime::message> parsed;
    if (what == need::body) {
      auto b = co_await message_bytes(msg);
      if (!b) co_return std::unexpected(b.error());
      if (!*b) continue;  // expunged meanwhile, as above
      bytes = std::move(**b);
      parsed = mime::parse(bytes, limits);
      c.bytes = bytes;
      c.parsed = &*parsed;
    }
    if (matches(key, c)) hits.push_back(i);
  }
  if (batches.pending()) {
    auto save = [&batches]() { return batches.flush(); };
    if (auto saved = co_await blocking(save); !saved) log_.warn("cannot cache message summaries: {}", saved.error().message);
  }
  co_return hits;
}

asio::awaitable<session::outcome> session::cmd_search(const command& cmd) {
  const auto* a = std::get_if<proto::search_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "SEARCH needs search keys");
  co_await sync_selected(cmd.uid);
  const bool modseq_key = uses_modseq(a->key);
  if (modseq_key) condstore_ = true;
  auto found = co_await search_messages(a->key);
  if (!found) {
    log_.error("cannot search: {}", found.error().message);
    co_return co_await no(cmd, "[SERVERBUG] Cannot read a message");
  }
  const auto& hits = *found;
  std::vector<std::uint32_t> numbers;
  std::uint64_t highest = 0;
  for (const auto i : hits) {
    numbers.push_back(cmd.uid ? selected_->messages[i].uid : static_cast<std::uint32_t>(i + 1));
    highest = std::max(highest, selected_->messages[i].modseq);
  }
  if (a->ret.save) {
    saved_search_.clear();
    for (const auto i : hits) saved_search_.push_back(selected_->messages[i].uid);
  }
  if (a->ret.present) {
    // RFC 4731 ESEARCH; RETURN () means ALL.
    const bool all = a->ret.all || !(a->ret.min || a->ret.max || a->ret.count || a->ret.save);
    std::string line = fmt::format("ESEARCH (TAG \"{}\"){}", cmd.tag, cmd.uid ? " UID" : "");
    if (a->ret.min && !numbers.empty()) line += fmt::format(" MIN {}", numbers.front());
    if (a->ret.max && !numbers.empty()) line += fmt::format(" MAX {}", numbers.back());
    if (a->ret.count) line += fmt::format(" COUNT {}", numbers.size());
    if (all && !numbers.empty()) line += " ALL " + proto::format_sequence_set(numbers);
    if (modseq_key && !numbers.empty()) line += fmt::format(" MODSEQ {}", highest);
    untagged(line);
  } else {
    std::string line = "SEARCH";
    for (const auto n : numbers) line += fmt::format(" {}", n);
    if (modseq_key && !numbers.empty()) line += fmt::format(" (MODSEQ {})", highest);
    untagged(line);
  }
  co_return co_await ok(cmd, fmt::format("{}SEARCH completed", cmd.uid ? "UID " : ""));
}

}  // namespace letterhead::imap::server
