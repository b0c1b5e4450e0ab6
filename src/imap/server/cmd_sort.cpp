// SORT and THREAD (RFC 5256, SORT=DISPLAY RFC 5957), with UID variants. Sort keys
// and thread inputs come from the mime library; comparison of strings is
// i;ascii-casemap (RFC 5256 §3), ties go to the lower sequence number. Keys come from
// the messages' cached summaries (summaries.hpp) when they have them.
#include <algorithm>

#include <fmt/format.h>

#include "imap/server/session.hpp"
#include "imap/server/summaries.hpp"
#include "mime/parser.hpp"
#include "mime/sort_keys.hpp"
#include "mime/thread.hpp"

namespace letterhead::imap::server {

namespace asio = boost::asio;

namespace {

int compare_casemap(std::string_view a, std::string_view b) {
  const auto n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int x = std::toupper(static_cast<unsigned char>(a[i]));
    const int y = std::toupper(static_cast<unsigned char>(b[i]));
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

template <class T>
int compare_values(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_by(std::string_view criterion, const mime::sort_keys& a, const mime::sort_keys& b) {
  if (criterion == "ARRIVAL") return compare_values(a.arrival, b.arrival);
  if (criterion == "CC") return compare_casemap(a.cc, b.cc);
  if (criterion == "DATE") return compare_values(a.date, b.date);
  if (criterion == "FROM") return compare_casemap(a.from, b.from);
  if (criterion == "SIZE") return compare_values(a.size, b.size);
  if (criterion == "SUBJECT") return compare_values(a.subject, b.subject);  // already canonical
  if (criterion == "TO") return compare_casemap(a.to, b.to);
  if (criterion == "DISPLAYFROM") return compare_casemap(a.display_from, b.display_from);
  if (criterion == "DISPLAYTO") return compare_casemap(a.display_to, b.display_to);
  return 0;
}

bool known_criterion(std::string_view c) {
  for (const auto* k : {"ARRIVAL", "CC", "DATE", "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO"}) {
    if (c == k) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<session::outcome> session::cmd_sort(const command& cmd) {
  const auto* a = std::get_if<proto::sort_args>(&cmd.args);
  if (a == nullptr) co_return co_await bad(cmd, fmt::format("{} needs arguments", cmd.name));
  const bool thread = cmd.name == "THREAD";
  if (thread && a->algorithm != "REFERENCES" && a->algorithm != "ORDEREDSUBJECT") {
    co_return co_await no(cmd, "Unsupported threading algorithm");
  }
  if (!thread) {
    for (const auto& c : a->criteria) {
      if (c != "REVERSE" && !known_criterion(c)) co_return co_await bad(cmd, "Unknown sort criterion");
    }
  }
  co_await sync_selected(cmd.uid);
  auto found = co_await search_messages(a->key);
  if (!found) {
    log_.error("cannot search: {}", found.error().message);
    co_return co_await no(cmd, "[SERVERBUG] Cannot read a message");
  }

  // Each hit's summary (cached, or parsed once and cached), keeping only the small keys.
  const auto limits = mime::parse_limits::from_config(settings_.limits);
  const auto version = mime::summary_cache_version(limits);
  summary_batches batches(store_, selected_->mailbox.id, version, summary_depth::keys);
  std::vector<mime::sort_keys> keys;
  std::vector<mime::thread_input> inputs;
  std::vector<std::size_t> hits;  // the found messages still readable, with keys[i]/inputs[i]
  hits.reserve(found->size());
  for (std::size_t n = 0; n < found->size(); ++n) {
    if (n % summary_batch == 0) {
      std::vector<const store::message*> batch;
      for (std::size_t i = n; i < std::min(found->size(), n + summary_batch); ++i) {
        batch.push_back(&selected_->messages[(*found)[i]]);
      }
      auto load = [&batches, batch = std::move(batch)]() { return batches.load(batch); };
      if (auto got = co_await blocking(load); !got) {
        log_.warn("message summaries unavailable: {}", got.error().message);
      }
    }
    const auto idx = (*found)[n];
    const auto& msg = selected_->messages[idx];
    auto& cached = batches.at(n % summary_batch);
    if (!cached) {
      auto bytes = co_await message_bytes(msg);
      if (!bytes) {
        log_.error("cannot read message {}: {}", msg.uid, bytes.error().message);
        co_return co_await no(cmd, "[SERVERBUG] Cannot read a message");
      }
      // Expunged by another session meanwhile (RFC 2180 §4.1.2): left out, as by SEARCH.
      if (!*bytes) continue;
      batches.computed(n % summary_batch, mime::summarize(**bytes, mime::parse(**bytes, limits)));
    }
    hits.push_back(idx);
    const std::uint32_t id = cmd.uid ? msg.uid : static_cast<std::uint32_t>(idx + 1);
    if (thread) {
      inputs.push_back(thread_input_from(*cached, id, msg.internal_date));
    } else {
      keys.push_back(sort_keys_from(*cached, msg.internal_date, msg.size));
    }
  }
  if (batches.pending()) {
    auto save = [&batches]() { return batches.flush(); };
    if (auto saved = co_await blocking(save); !saved) log_.warn("cannot cache message summaries: {}", saved.error().message);
  }

  if (thread) {
    const auto tree = a->algorithm == "REFERENCES" ? mime::thread_references(inputs)
                                                   : mime::thread_orderedsubject(inputs);
    untagged("THREAD " + mime::format_threads(tree));
    co_return co_await ok(cmd, fmt::format("{}THREAD completed", cmd.uid ? "UID " : ""));
  }

  std::vector<std::size_t> order(hits.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // The sequence-number tie-break makes this a total order: std::sort is enough.
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    bool reverse = false;
    for (const auto& c : a->criteria) {
      if (c == "REVERSE") {
        reverse = true;
        continue;
      }
      int r = compare_by(c, keys[x], keys[y]);
      if (reverse) r = -r;
      reverse = false;
      if (r != 0) return r < 0;
    }
    return hits[x] < hits[y];  // RFC 5256 §3: then by sequence number
  });
  std::string line = "SORT";
  for (const auto i : order) {
    const auto idx = hits[i];
    line += fmt::format(" {}", cmd.uid ? selected_->messages[idx].uid : static_cast<std::uint32_t>(idx + 1));
  }
  untagged(line);
  co_return co_await ok(cmd, fmt::format("{}SORT completed", cmd.uid ? "UID " : ""));
}

}  // namespace letterhead::imap::server
