#include "mime/summary.hpp"

#include <cstring>

#include "mime/imap_bodystructure.hpp"
#include "mime/imap_envelope.hpp"
#include "mime/search_text.hpp"
#include "mime/sort_keys.hpp"
#include "mime/thread.hpp"

namespace letterhead::mime {
namespace {

// The serialised form: a 4-byte magic+version, then fields in a fixed order, each
// string as a little-endian u32 length and its bytes, each number as 8 bytes.
constexpr char magic[3] = {'L', 'S', 'M'};
constexpr char keys_magic[3] = {'L', 'S', 'K'};

// The 4-byte start of a record: its magic and summary_version.
bool has_header(std::string_view bytes, const char (&m)[3]) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), m, sizeof m) == 0 &&
         bytes[3] == static_cast<char>(summary_version);
}

class writer {
 public:
  void header(const char (&m)[3]) {
    out_.append(m, sizeof m);
    out_.push_back(static_cast<char>(summary_version));
  }
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void str(std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out_.append(s);
  }
  std::string out_;
};

class reader {
 public:
  explicit reader(std::string_view in) : in_(in) {}
  bool u64(std::uint64_t& v) {
    if (in_.size() < 8) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(8);
    return true;
  }
  bool str(std::string& s) {
    if (in_.size() < 4) return false;
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::uint32_t{static_cast<unsigned char>(in_[i])} << (8 * i);
    in_.remove_prefix(4);
    if (in_.size() < n) return false;
    s.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  [[nodiscard]] bool done() const noexcept { return in_.empty(); }

 private:
  std::string_view in_;
};

// The keys (serialize_keys), also the tail of a whole summary's record.
void write_keys(writer& w, const summary& s) {
  for (const std::string* f : {&s.subject, &s.from, &s.to, &s.cc, &s.bcc}) w.str(*f);
  w.u64(s.sent_date ? 1 : 0);
  w.u64(static_cast<std::uint64_t>(s.sent_date.value_or(0)));
  for (const std::string* f : {&s.sort_from, &s.sort_to, &s.sort_cc, &s.sort_subject, &s.display_from,
                               &s.display_to, &s.message_id}) {
    w.str(*f);
  }
  w.u64(s.references.size());
  for (const auto& r : s.references) w.str(r);
  w.u64(s.reply_or_forward ? 1 : 0);
}

bool read_keys(reader& r, summary& s) {
  std::uint64_t flag = 0, n = 0;
  for (std::string* f : {&s.subject, &s.from, &s.to, &s.cc, &s.bcc}) {
    if (!r.str(*f)) return false;
  }
  if (!r.u64(flag) || !r.u64(n)) return false;
  if (flag != 0) s.sent_date = static_cast<std::int64_t>(n);
  for (std::string* f : {&s.sort_from, &s.sort_to, &s.sort_cc, &s.sort_subject, &s.display_from,
                         &s.display_to, &s.message_id}) {
    if (!r.str(*f)) return false;
  }
  if (!r.u64(n) || n > max_thread_references * 2) return false;
  s.references.resize(static_cast<std::size_t>(n));
  for (auto& ref : s.references) {
    if (!r.str(ref)) return false;
  }
  if (!r.u64(flag) || !r.done()) return false;
  s.reply_or_forward = flag != 0;
  return true;
}

}  // namespace

summary summarize(std::string_view bytes, const message& m) {
  summary s;
  s.envelope = imap_envelope(bytes, m, 0, imap_output_options{.utf8 = false});
  if (auto u = imap_envelope(bytes, m, 0, imap_output_options{.utf8 = true}); u != s.envelope) {
    s.envelope_utf8 = std::move(u);
  }
  s.bodystructure = imap_bodystructure(bytes, m, true);
  s.body = imap_bodystructure(bytes, m, false);
  if (m.parts.empty()) return s;

  const part& root = m.root();
  const auto header = slice(bytes, root.header);
  s.header_size = header.size();
  s.header_complete = header.size() <= max_summary_header;
  s.header = std::string(header.substr(0, max_summary_header));

  s.subject = decoded_header_text(bytes, m, 0, "Subject");
  s.from = decoded_header_text(bytes, m, 0, "From");
  s.to = decoded_header_text(bytes, m, 0, "To");
  s.cc = decoded_header_text(bytes, m, 0, "Cc");
  s.bcc = decoded_header_text(bytes, m, 0, "Bcc");

  // INTERNALDATE stand-in that no Date header can produce, to learn whether the
  // sent date came from the header.
  constexpr std::int64_t no_date = INT64_MIN;
  const auto keys = sort_key_values(bytes, m, no_date);
  if (keys.date != no_date) s.sent_date = keys.date;
  s.sort_from = keys.from;
  s.sort_to = keys.to;
  s.sort_cc = keys.cc;
  s.sort_subject = keys.subject;
  s.display_from = keys.display_from;
  s.display_to = keys.display_to;

  auto thread = make_thread_input(bytes, m, 1, 0);
  s.message_id = std::move(thread.message_id);
  s.references = std::move(thread.references);
  s.reply_or_forward = thread.reply_or_forward;
  return s;
}

std::int32_t summary_cache_version(const parse_limits& limits) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a over the limits' values
  for (const std::size_t v : {limits.max_depth, limits.max_parts, limits.max_header_fields, limits.max_header_size,
                              limits.max_total_header_fields}) {
    for (int i = 0; i < 8; ++i) {
      h ^= (static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  }
  return static_cast<std::int32_t>(((h & 0x7fffff) << 8) | static_cast<std::uint64_t>(summary_version));
}

std::string serialize(const summary& s) {
  writer w;
  w.header(magic);
  for (const std::string* f : {&s.envelope, &s.envelope_utf8, &s.bodystructure, &s.body, &s.header}) {
    w.str(*f);
  }
  w.u64(s.header_complete ? 1 : 0);
  w.u64(s.header_size);
  write_keys(w, s);
  return std::move(w.out_);
}

std::string serialize_keys(const summary& s) {
  writer w;
  w.header(keys_magic);
  write_keys(w, s);
  return std::move(w.out_);
}

std::optional<summary> deserialize_summary(std::string_view bytes) {
  if (!has_header(bytes, magic)) return std::nullopt;
  reader r(bytes.substr(4));
  summary s;
  std::uint64_t flag = 0;
  for (std::string* f : {&s.envelope, &s.envelope_utf8, &s.bodystructure, &s.body, &s.header}) {
    if (!r.str(*f)) return std::nullopt;
  }
  if (!r.u64(flag) || !r.u64(s.header_size)) return std::nullopt;
  s.header_complete = flag != 0;
  if (!read_keys(r, s)) return std::nullopt;
  return s;
}

std::optional<summary> deserialize_keys(std::string_view bytes) {
  if (!has_header(bytes, keys_magic)) return std::nullopt;
  reader r(bytes.substr(4));
  summary s;
  s.header_complete = false;
  if (!read_keys(r, s)) return std::nullopt;
  return s;
}

}  // namespace letterhead::mime
