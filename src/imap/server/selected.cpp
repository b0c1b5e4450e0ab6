#include "imap/server/selected.hpp"

#include <ctime>
#include <set>

#include <fmt/format.h>

namespace letterhead::imap::server {

core::result<mailbox_delta> read_delta(store::store& st, store::id_t account, const selected_mailbox& sel) {
  mailbox_delta d;
  auto top = st.highest_modseq(account);
  if (!top) return std::unexpected(top.error());
  d.modseq = *top;
  if (*top <= sel.known_modseq) return d;
  auto changes = st.changes_since(account, sel.known_modseq);
  if (!changes) return std::unexpected(changes.error());
  std::set<std::uint32_t> flagged;
  std::set<std::uint32_t> expunged;
  bool added = false;
  for (const auto& c : *changes) {
    if (c.mailbox_id != sel.mailbox.id) continue;
    d.mailbox_modseq = std::max(d.mailbox_modseq, c.modseq);
    switch (c.kind) {
      case store::change_kind::message_added: added = true; break;
      case store::change_kind::message_flags: flagged.insert(c.uid); break;
      case store::change_kind::message_expunged: expunged.insert(c.uid); break;
      case store::change_kind::mailbox_deleted:
      case store::change_kind::mailbox_renamed: d.mailbox_gone = true; break;
      case store::change_kind::mailbox_created: break;
    }
  }
  if (d.mailbox_gone) {
    // A rename keeps the id: it is only gone if it can no longer be found.
    auto mbs = st.list_mailboxes(account);
    if (!mbs) return std::unexpected(mbs.error());
    d.mailbox_gone = std::none_of(mbs->begin(), mbs->end(),
                                  [&](const store::mailbox& m) { return m.id == sel.mailbox.id; });
    if (d.mailbox_gone) return d;
  }
  if (added) {
    auto fresh = st.list_messages(sel.mailbox.id, sel.last_uid() + 1);
    if (!fresh) return std::unexpected(fresh.error());
    d.added = std::move(*fresh);
  }
  for (const auto uid : expunged) {
    if (sel.index_of_uid(uid)) d.expunged.push_back(uid);
  }
  for (const auto uid : flagged) {
    if (expunged.contains(uid) || !sel.index_of_uid(uid)) continue;
    auto m = st.get_message(sel.mailbox.id, uid);
    if (m) d.changed.push_back(std::move(*m));
    else if (m.error().code != core::errc::not_found) return std::unexpected(m.error());
  }
  return d;
}

core::result<std::optional<std::string>> read_message_bytes(store::store& st, store::id_t mailbox,
                                                             std::uint32_t uid, const std::string& blob) {
  auto bytes = st.blobs().get(blob);
  if (bytes) return std::optional<std::string>(std::move(*bytes));
  auto row = st.get_message(mailbox, uid);
  if (!row && row.error().code == core::errc::not_found) return std::optional<std::string>();
  return std::unexpected(bytes.error());
}

std::string mailbox_objectid(store::id_t mailbox) { return fmt::format("M{}", mailbox); }

std::string email_objectid(const store::message& m) { return "M" + m.blob.substr(0, 24); }

bool set_contains(const proto::sequence_set& set, std::uint32_t value, std::uint32_t star) {
  for (const auto& r : set.ranges) {
    std::uint32_t a = r.first == 0 ? star : r.first;
    std::uint32_t b = r.last == 0 ? star : r.last;
    if (a > b) std::swap(a, b);
    if (value >= a && value <= b) return true;
  }
  return false;
}

std::string flag_list(const store::message& m) {
  std::string out = "(";
  auto add = [&out](std::string_view f) {
    if (out.size() > 1) out += ' ';
    out += f;
  };
  if (m.flags & store::flag_answered) add("\\Answered");
  if (m.flags & store::flag_flagged) add("\\Flagged");
  if (m.flags & store::flag_deleted) add("\\Deleted");
  if (m.flags & store::flag_seen) add("\\Seen");
  if (m.flags & store::flag_draft) add("\\Draft");
  for (const auto& k : m.keywords) add(k);
  out += ')';
  return out;
}

core::result<parsed_flags> parse_flags(const std::vector<std::string>& flags) {
  parsed_flags out;
  for (const auto& f : flags) {
    if (!f.empty() && f[0] == '\\') {
      std::string lower(f);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (lower == "\\seen") out.bits |= store::flag_seen;
      else if (lower == "\\answered") out.bits |= store::flag_answered;
      else if (lower == "\\flagged") out.bits |= store::flag_flagged;
      else if (lower == "\\deleted") out.bits |= store::flag_deleted;
      else if (lower == "\\draft") out.bits |= store::flag_draft;
      else return core::fail(core::errc::invalid, "unknown system flag " + f);
      continue;
    }
    if (std::find(out.keywords.begin(), out.keywords.end(), f) == out.keywords.end()) {
      if (out.keywords.size() >= 100) return core::fail(core::errc::limit, "too many keywords");
      out.keywords.push_back(f);
    }
  }
  return out;
}

std::string imap_date_time(store::unix_time t) {
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:2}-{}-{:04} {:02}:{:02}:{:02} +0000", tm.tm_mday, months[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace letterhead::imap::server
