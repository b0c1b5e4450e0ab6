#include "imap/server/summaries.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

namespace letterhead::imap::server {

namespace {

// For each of `blobs`, in order: its cached whole summary of `version`, or nullopt.
core::result<std::vector<std::optional<mime::summary>>> whole_summaries(store::store& st,
                                                                       const std::vector<std::string>& blobs,
                                                                       std::int32_t version) {
  auto metas = st.get_blob_meta(blobs);
  if (!metas) return std::unexpected(metas.error());
  std::unordered_map<std::string_view, const store::blob_meta*> by_blob;
  by_blob.reserve(metas->size());
  for (const auto& m : *metas) {
    if (m.version == version) by_blob.emplace(m.blob, &m);
  }
  std::vector<std::optional<mime::summary>> out(blobs.size());
  // Copies of one message in a mailbox share a blob: decode it once.
  std::unordered_map<std::string_view, std::size_t> first_of;
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    if (auto seen = first_of.find(blobs[i]); seen != first_of.end()) {
      out[i] = out[seen->second];
      continue;
    }
    first_of.emplace(blobs[i], i);
    if (auto it = by_blob.find(blobs[i]); it != by_blob.end()) out[i] = mime::deserialize_summary(it->second->data);
  }
  return out;
}

}  // namespace

core::result<void> summary_batches::load(std::vector<const store::message*> batch) {
  batch_ = std::move(batch);
  current_.assign(batch_.size(), std::nullopt);
  if (auto w = write_back(); !w) write_error_ = w.error();
  if (depth_ == summary_depth::keys) {
    std::vector<std::uint32_t> uids;
    uids.reserve(batch_.size());
    for (const auto* m : batch_) uids.push_back(m->uid);
    auto rows = st_.get_message_keys(mailbox_, uids);
    if (!rows) return std::unexpected(rows.error());
    std::size_t r = 0;
    for (std::size_t i = 0; i < batch_.size() && r < rows->size(); ++i) {
      if ((*rows)[r].uid != batch_[i]->uid) continue;
      if ((*rows)[r].version == version_) current_[i] = mime::deserialize_keys((*rows)[r].data);
      ++r;
    }
  }
  // Whole summaries, and for keys the messages without an entry yet (copies made
  // before keys were kept, messages delivered by an older version): their keys come
  // from the parse cache and are written back per row.
  std::vector<std::size_t> missing;
  std::vector<std::string> blobs;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (current_[i]) continue;
    missing.push_back(i);
    blobs.push_back(batch_[i]->blob);
  }
  if (!blobs.empty()) {
    auto whole = whole_summaries(st_, blobs, version_);
    if (!whole) return std::unexpected(whole.error());
    for (std::size_t j = 0; j < missing.size(); ++j) {
      auto& found = (*whole)[j];
      if (!found) continue;
      if (depth_ == summary_depth::keys) {
        keys_.push_back(store::message_keys{batch_[missing[j]]->uid, version_, mime::serialize_keys(*found)});
      }
      current_[missing[j]] = std::move(found);
    }
  }
  return {};
}

void summary_batches::computed(std::size_t i, mime::summary s) {
  metas_.push_back(store::blob_meta{batch_[i]->blob, version_, mime::serialize(s)});
  keys_.push_back(store::message_keys{batch_[i]->uid, version_, mime::serialize_keys(s)});
  current_[i] = std::move(s);
}

core::result<void> summary_batches::flush() {
  auto r = write_back();
  if (!r) return r;
  if (write_error_) return std::unexpected(*std::exchange(write_error_, std::nullopt));
  return {};
}

core::result<void> summary_batches::write_back() {
  core::result<void> r;
  if (!metas_.empty()) r = st_.put_blob_meta(metas_);
  metas_.clear();
  if (!keys_.empty()) {
    auto k = st_.put_message_keys(mailbox_, keys_);
    if (r && !k) r = std::move(k);
  }
  keys_.clear();
  return r;
}

std::string filtered_header(std::string_view bytes, const mime::part& p, const std::vector<std::string>& names,
                            bool exclude) {
  std::string out;
  for (const auto& f : p.fields) {
    std::string name(bytes.substr(f.name.begin, f.name.end - f.name.begin));
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const bool listed = std::find(names.begin(), names.end(), name) != names.end();
    if (listed != exclude) out += bytes.substr(f.whole.begin, f.whole.end - f.whole.begin);
  }
  out += "\r\n";
  return out;
}

std::optional<std::string> summary_header_section(const mime::summary& s, std::string_view section_text,
                                                  const std::vector<std::string>& fields,
                                                  const mime::parse_limits& limits) {
  if (!s.header_complete) return std::nullopt;
  if (section_text == "HEADER") return s.header;
  const bool exclude = section_text == "HEADER.FIELDS.NOT";
  if (!exclude && section_text != "HEADER.FIELDS") return std::nullopt;
  // The root header parses alone as it does at the head of its message: the parser
  // reads fields up to the blank line without looking past it.
  const auto header = mime::parse(s.header, limits);
  if (header.parts.empty()) return std::nullopt;
  return filtered_header(s.header, header.parts.front(), fields, exclude);
}

mime::sort_keys sort_keys_from(const mime::summary& s, std::int64_t internal_date, std::uint64_t size) {
  mime::sort_keys k;
  k.arrival = internal_date;
  k.size = size;
  k.date = s.sent_date.value_or(internal_date);
  k.from = s.sort_from;
  k.to = s.sort_to;
  k.cc = s.sort_cc;
  k.subject = s.sort_subject;
  k.display_from = s.display_from;
  k.display_to = s.display_to;
  return k;
}

mime::thread_input thread_input_from(const mime::summary& s, std::uint32_t id, std::int64_t internal_date) {
  mime::thread_input in;
  in.id = id;
  in.message_id = s.message_id;
  in.references = s.references;
  in.base_subject = s.sort_subject;
  in.reply_or_forward = s.reply_or_forward;
  in.sent_date = s.sent_date.value_or(internal_date);
  return in;
}

std::string thread_objectid(const mime::summary& s, std::string_view blob) {
  std::string root = s.references.empty() ? s.message_id : s.references.front();
  // A Message-ID equal to some blob hash would only join two threads: harmless.
  if (root.empty()) root = blob;
  // FNV-1a, 64 bits: an identifier, not a secret (RFC 8474 §5.2 asks only that it be
  // the same for every message of the thread and 1*255 of ALPHA / DIGIT / "_" / "-").
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : root) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return fmt::format("T{:016x}", h);
}

}  // namespace letterhead::imap::server
