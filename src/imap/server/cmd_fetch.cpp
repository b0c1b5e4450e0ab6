// FETCH and UID FETCH (RFC 9051 §6.4.5, BINARY RFC 3516, CONDSTORE RFC 7162 §3.1.4,
// QRESYNC VANISHED §3.2.6, OBJECTID RFC 8474). Message data comes from the stored bytes through the mime
// library's byte offsets; the bytes themselves are never rewritten. ENVELOPE, BODY,
// BODYSTRUCTURE, the root header and THREADID come from the message's cached summary
// (summaries.hpp) when it has one, so such a FETCH reads no message file.
#include <algorithm>

#include <fmt/format.h>

#include "core/runtime.hpp"
#include "imap/server/qresync.hpp"
#include "imap/server/session.hpp"
#include "imap/server/summaries.hpp"
#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/parser.hpp"
#include "mime/section.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

std::string literal(std::string_view bytes, bool binary = false) {
  // RFC 3516 §4.2: literal8 for BINARY data that may hold NUL.
  return fmt::format("{}{{{}}}\r\n", binary ? "~" : "", bytes.size()) + std::string(bytes);
}

// The section spec as it appears in the response key: "1.2.HEADER.FIELDS (FROM TO)".
std::string section_spec(const proto::fetch_att& a) {
  std::string s;
  for (std::size_t i = 0; i < a.part.size(); ++i) s += (i ? "." : "") + std::to_string(a.part[i]);
  if (!a.section_text.empty()) {
    if (!s.empty()) s += '.';
    s += a.section_text;
  }
  if (a.section_text.starts_with("HEADER.FIELDS")) {
    s += " (";
    for (std::size_t i = 0; i < a.fields.size(); ++i) s += (i ? " " : "") + a.fields[i];
    s += ")";
  }
  return s;
}

// The bytes BODY[section] names, or nullopt when the section does not exist.
std::optional<std::string> section_bytes(std::string_view bytes, const mime::message& m, const proto::fetch_att& a) {
  const auto& root = m.parts.front();
  if (a.part.empty()) {
    if (a.section_text.empty()) return std::string(bytes);
    if (a.section_text == "HEADER") return std::string(mime::slice(bytes, root.header));
    if (a.section_text == "TEXT") return std::string(mime::slice(bytes, root.body));
    if (a.section_text == "HEADER.FIELDS") return filtered_header(bytes, root, a.fields, false);
    if (a.section_text == "HEADER.FIELDS.NOT") return filtered_header(bytes, root, a.fields, true);
    return std::nullopt;
  }
  auto idx = mime::find_section(m, a.part);
  if (!idx) return std::nullopt;
  const auto& p = m.parts[*idx];
  if (a.section_text.empty()) return std::string(mime::slice(bytes, p.body));
  if (a.section_text == "MIME") return std::string(mime::slice(bytes, p.header));
  // HEADER, TEXT and HEADER.FIELDS of a part address the message it encapsulates.
  auto e = mime::find_section_message(m, a.part);
  if (!e) return std::nullopt;
  const auto& inner = m.parts[*e];
  if (a.section_text == "HEADER") return std::string(mime::slice(bytes, inner.header));
  if (a.section_text == "TEXT") return std::string(mime::slice(bytes, inner.body));
  if (a.section_text == "HEADER.FIELDS") return filtered_header(bytes, inner, a.fields, false);
  if (a.section_text == "HEADER.FIELDS.NOT") return filtered_header(bytes, inner, a.fields, true);
  return std::nullopt;
}

std::string partial(std::string data, const proto::fetch_att& a, std::string& key_suffix) {
  if (!a.partial_offset) return data;
  key_suffix = fmt::format("<{}>", *a.partial_offset);
  if (*a.partial_offset >= data.size()) return {};
  return data.substr(*a.partial_offset, a.partial_count);
}

bool needs_bytes(const proto::fetch_att& a) {
  using k = proto::fetch_att::kind;
  switch (a.k) {
    case k::flags: case k::internaldate: case k::rfc822_size: case k::uid: case k::modseq:
    case k::emailid: case k::threadid: case k::savedate:
      return false;
    default:
      return true;
  }
}

// Root header sections a summary can answer (when it holds the whole header).
bool root_header_section(const proto::fetch_att& a) {
  return a.part.empty() && (a.section_text == "HEADER" || a.section_text == "HEADER.FIELDS" ||
                            a.section_text == "HEADER.FIELDS.NOT");
}

// Whether a summary serves the item; when `s` is null, whether one could.
bool from_summary(const proto::fetch_att& a, const mime::summary* s) {
  using k = proto::fetch_att::kind;
  switch (a.k) {
    case k::envelope: case k::bodystructure: case k::body: case k::threadid:
      return true;
    case k::rfc822_header: return s == nullptr || s->header_complete;
    case k::body_section: return root_header_section(a) && (s == nullptr || s->header_complete);
    default:
      return false;
  }
}

bool sets_seen(const proto::fetch_att& a) {
  using k = proto::fetch_att::kind;
  return ((a.k == k::body_section || a.k == k::binary) && !a.peek) || a.k == k::rfc822 || a.k == k::rfc822_text;
}

}  // namespace

asio::awaitable<core::result<std::optional<std::string>>> session::message_bytes(const store::message& msg) {
  auto get = [&st = store_, mb = selected_->mailbox.id, uid = msg.uid, blob = msg.blob]() {
    return read_message_bytes(st, mb, uid, blob);
  };
  co_return co_await blocking(get);
}

asio::awaitable<session::outcome> session::cmd_fetch(const command& cmd) {
  const auto* a = std::get_if<proto::fetch_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, "FETCH needs a set and data items");
  // RFC 7162 §3.2.6: VANISHED needs QRESYNC on.
  if (a->vanished && !qresync_) co_return co_await bad(cmd, "ENABLE QRESYNC first");
  // Other sessions' changes first; expunges only where the RFC allows them.
  co_await sync_selected(cmd.uid);
  std::vector<std::size_t> chosen;
  if (a->changedsince) {
    // RFC 7162 §3.1.4.1: only messages changed since; found in the change log, so a
    // large mailbox costs what changed, not what it holds.
    // A shared mailbox's changes are in its owner's change log (RFC 4314 sharing).
    auto read = [&st = store_, id = selected_->owner, since = *a->changedsince]() {
      return st.changes_since(id, since);
    };
    auto changes = co_await blocking(read);
    if (!changes) co_return co_await no(cmd, "[SERVERBUG] Cannot read mailbox changes");
    const auto& sel = *selected_;
    const std::uint32_t last_uid = sel.last_uid();
    // An expunged UID may lie above today's highest: "n:*" still covers it.
    const std::uint32_t gone_star = std::max(last_uid, sel.mailbox.uidnext > 0 ? sel.mailbox.uidnext - 1 : 0);
    auto wanted = [&](std::uint32_t uid) {
      // "$" (RFC 5182): the saved UIDs, ascending as SEARCH found them.
      if (a->set.saved) return std::binary_search(saved_search_.begin(), saved_search_.end(), uid);
      const auto idx = sel.index_of_uid(uid);
      if (!cmd.uid) return idx && set_contains(a->set, static_cast<std::uint32_t>(*idx + 1),
                                                static_cast<std::uint32_t>(sel.messages.size()));
      return set_contains(a->set, uid, idx ? last_uid : gone_star);
    };
    auto answer = resync_since(*changes, sel, *a->changedsince, wanted);
    // RFC 7162 §3.2.6: VANISHED (EARLIER) for the set's expunged UIDs, before the FETCHes.
    if (a->vanished && !answer.vanished.empty()) untagged(vanished_response(answer.vanished, true));
    chosen = std::move(answer.changed);
  } else {
    chosen = resolve_set(a->set, cmd.uid);
  }
  bool want_seen = false, want_flags = false, asked_modseq = false, want_summary = false;
  for (const auto& att : a->atts) {
    want_seen = want_seen || sets_seen(att);
    want_flags = want_flags || att.k == proto::fetch_att::kind::flags;
    asked_modseq = asked_modseq || att.k == proto::fetch_att::kind::modseq;
    want_summary = want_summary || from_summary(att, nullptr);
  }
  // RFC 7162 §3.1: MODSEQ in FETCH, or CHANGEDSINCE, enables CONDSTORE.
  if (asked_modseq || a->changedsince) condstore_ = true;
  want_seen = want_seen && !selected_->read_only;
  const auto limits = mime::parse_limits::from_config(settings_.limits);
  const auto version = mime::summary_cache_version(limits);
  summary_batches batches(store_, selected_->mailbox.id, version, summary_depth::whole);
  std::size_t batch_start = 0;

  // RFC 9051 §6.4.5: \Seen for every message whose body this FETCH returns, added in
  // one write for them all (store::update_flags keeps what other sessions set).
  std::vector<std::uint32_t> seen_now;  // UIDs whose new flags this FETCH reports, ascending
  if (want_seen) {
    std::vector<std::uint32_t> unseen;
    for (const auto idx : chosen) {
      const auto& msg = selected_->messages[idx];
      if (a->changedsince && msg.modseq <= *a->changedsince) continue;
      if (!(msg.flags & store::flag_seen)) unseen.push_back(msg.uid);
    }
    if (!unseen.empty()) {
      store::flag_change seen;
      seen.flags = store::flag_seen;
      auto set = [&st = store_, mb = selected_->mailbox.id, &unseen, &seen]() {
        return st.update_flags(mb, unseen, seen);
      };
      auto updated = co_await blocking(set);
      if (!updated) {
        log_.warn("cannot set \\Seen: {}", updated.error().message);
      } else {
        for (const auto& state : updated->messages) {
          const auto idx = selected_->index_of_uid(state.uid);
          if (!idx) continue;
          auto& msg = selected_->messages[*idx];
          msg.flags = state.flags;
          msg.keywords = state.keywords;
          msg.modseq = state.modseq;
          seen_now.push_back(state.uid);
        }
        if (!seen_now.empty()) store_.notifier().notify(selected_->owner);
      }
    }
  }
  bool expunged_meanwhile = false;

  for (std::size_t n = 0; n < chosen.size(); ++n) {
    const auto idx = chosen[n];
    auto& msg = selected_->messages[idx];
    if (want_summary && n % summary_batch == 0) {
      // One cache read per batch; what the last batch parsed is written back first.
      batch_start = n;
      std::vector<const store::message*> batch;
      for (std::size_t i = n; i < std::min(chosen.size(), n + summary_batch); ++i) {
        batch.push_back(&selected_->messages[chosen[i]]);
      }
      auto load = [&batches, batch = std::move(batch)]() { return batches.load(batch); };
      if (auto got = co_await blocking(load); !got) {
        log_.warn("message summaries unavailable: {}", got.error().message);
      }
    }
    if (a->changedsince && msg.modseq <= *a->changedsince) continue;
    std::optional<mime::summary>* cached = want_summary ? &batches.at(n - batch_start) : nullptr;
    const mime::summary* sum = cached != nullptr && *cached ? &**cached : nullptr;
    bool want_bytes = false;
    for (const auto& att : a->atts) {
      if (att.k == proto::fetch_att::kind::threadid) {
        want_bytes = want_bytes || sum == nullptr;
      } else {
        want_bytes = want_bytes || (needs_bytes(att) && !(sum != nullptr && from_summary(att, sum)));
      }
    }
    std::string bytes;
    std::optional<mime::message> parsed;
    if (want_bytes) {
      auto b = co_await message_bytes(msg);
      if (!b) {
        log_.error("cannot read message {}: {}", msg.uid, b.error().message);
        co_return co_await no(cmd, "[SERVERBUG] Cannot read a message");
      }
      // RFC 2180 §4.1.3: expunged by another session, which we have not reported yet;
      // the others are answered and the command ends NO [EXPUNGEISSUED] (RFC 5530).
      if (!*b) {
        expunged_meanwhile = true;
        continue;
      }
      bytes = std::move(**b);
    }
    auto parsed_message = [&]() -> const mime::message& {
      if (!parsed) parsed = mime::parse(bytes, limits);
      return *parsed;
    };
    if (want_summary && sum == nullptr) {
      // No usable cache entry: answer from the parse, and cache its summary.
      batches.computed(n - batch_start, mime::summarize(bytes, parsed_message()));
    }
    const bool flags_changed = std::binary_search(seen_now.begin(), seen_now.end(), msg.uid);
    std::string items;
    auto add = [&items](std::string_view s) {
      if (!items.empty()) items += ' ';
      items += s;
    };
    bool uid_sent = false;
    if (cmd.uid) {
      add(fmt::format("UID {}", msg.uid));
      uid_sent = true;
    }
    using k = proto::fetch_att::kind;
    for (const auto& att : a->atts) {
      switch (att.k) {
        case k::uid:
          if (!uid_sent) add(fmt::format("UID {}", msg.uid));
          uid_sent = true;
          break;
        case k::flags: add("FLAGS " + flag_list(msg)); break;
        case k::internaldate: add(fmt::format("INTERNALDATE \"{}\"", imap_date_time(msg.internal_date))); break;
        case k::rfc822_size: add(fmt::format("RFC822.SIZE {}", msg.size)); break;
        case k::modseq: add(fmt::format("MODSEQ ({})", msg.modseq)); break;
        case k::emailid: add(fmt::format("EMAILID ({})", email_objectid(msg))); break;
        // RFC 8474 §5.2.
        case k::threadid: add(fmt::format("THREADID ({})", thread_objectid(**cached, msg.blob))); break;
        case k::savedate: add("SAVEDATE NIL"); break;
        case k::envelope:
          if (sum == nullptr) {
            add("ENVELOPE " + mime::imap_envelope(bytes, parsed_message(), 0, utf8_accept_));
          } else {
            add("ENVELOPE " + (utf8_accept_ && !sum->envelope_utf8.empty() ? sum->envelope_utf8 : sum->envelope));
          }
          break;
        case k::bodystructure:
          add("BODYSTRUCTURE " +
              (sum ? sum->bodystructure : mime::imap_bodystructure(bytes, parsed_message(), true)));
          break;
        case k::body: add("BODY " + (sum ? sum->body : mime::imap_bodystructure(bytes, parsed_message(), false))); break;
        case k::rfc822: add("RFC822 " + literal(bytes)); break;
        case k::rfc822_header: {
          if (sum != nullptr && sum->header_complete) {
            add("RFC822.HEADER " + literal(sum->header));
          } else {
            add("RFC822.HEADER " + literal(mime::slice(bytes, parsed_message().parts.front().header)));
          }
          break;
        }
        case k::rfc822_text: {
          add("RFC822.TEXT " + literal(mime::slice(bytes, parsed_message().parts.front().body)));
          break;
        }
        case k::body_section: {
          std::optional<std::string> data;
          if (sum != nullptr && root_header_section(att)) {
            data = summary_header_section(*sum, att.section_text, att.fields, limits);
          }
          if (!data) data = section_bytes(bytes, parsed_message(), att);
          std::string suffix;
          std::string value = partial(data.value_or(""), att, suffix);
          add(fmt::format("BODY[{}]{} ", section_spec(att), suffix) + literal(value));
          break;
        }
        case k::binary:
        case k::binary_size: {
          if (!att.section_text.empty()) co_return co_await bad(cmd, "BINARY takes part numbers only");
          auto data = mime::imap_binary(bytes, parsed_message(), att.part);
          if (!data) co_return co_await no(cmd, "[UNKNOWN-CTE] Cannot decode this part");
          if (att.k == k::binary_size) {
            add(fmt::format("BINARY.SIZE[{}] {}", section_spec(att), data->size()));
          } else {
            std::string suffix;
            std::string value = partial(std::move(*data), att, suffix);
            const bool has_nul = value.find('\0') != std::string::npos;
            add(fmt::format("BINARY[{}]{} ", section_spec(att), suffix) + literal(value, has_nul));
          }
          break;
        }
      }
    }
    // RFC 9051 §6.4.5: a \Seen set by this FETCH is reported with the data.
    if (flags_changed && !want_flags) add("FLAGS " + flag_list(msg));
    // RFC 7162 §3.1.4.1: CHANGEDSINCE implicitly adds the MODSEQ data item; §3.2: with
    // CONDSTORE on, a flag change this FETCH made is reported with its MODSEQ.
    if (!asked_modseq && (a->changedsince || (condstore_ && flags_changed))) {
      add(fmt::format("MODSEQ ({})", msg.modseq));
    }
    out_ += fmt::format("* {} FETCH ({})\r\n", idx + 1, items);
    if (!co_await maybe_flush()) co_return outcome::close;
  }
  if (batches.pending()) {
    auto save = [&batches]() { return batches.flush(); };
    if (auto saved = co_await blocking(save); !saved) log_.warn("cannot cache message summaries: {}", saved.error().message);
  }
  if (expunged_meanwhile) co_return co_await no(cmd, "[EXPUNGEISSUED] Some messages were expunged meanwhile");
  co_return co_await ok(cmd, fmt::format("{}FETCH completed", cmd.uid ? "UID " : ""));
}

}  // namespace letterhead::imap::server
