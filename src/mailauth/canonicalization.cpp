#include "mailauth/canonicalization.hpp"

#include <algorithm>
#include <unordered_map>

#include "mailauth/crypto.hpp"
#include "mailauth/tag_list.hpp"
#include "mime/header.hpp"

namespace letterhead::mailauth {

namespace {

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// Collects canonical body bytes, hashing at most `limit_` of them and counting all.
class body_sink {
 public:
  body_sink(std::optional<std::uint64_t> limit, std::string* copy) : limit_(limit), copy_(copy) {}

  void put(std::string_view s) {
    total_ += s.size();
    if (copy_ != nullptr) copy_->append(s);
    if (limit_ && hashed_ + s.size() > *limit_) s = s.substr(0, static_cast<std::size_t>(*limit_ - hashed_));
    if (s.empty()) return;
    hashed_ += s.size();
    buf_.append(s);
    if (buf_.size() >= 64 * 1024) flush();
  }
  [[nodiscard]] std::uint64_t total() const noexcept { return total_; }

  body_hash finish() {
    flush();
    body_hash out;
    out.sha256 = hasher_.finish();
    out.canonical_length = total_;
    out.hashed_length = hashed_;
    return out;
  }

 private:
  void flush() {
    hasher_.update(buf_);
    buf_.clear();
  }
  std::optional<std::uint64_t> limit_;
  std::string* copy_;
  sha256_hasher hasher_;
  std::string buf_;
  std::uint64_t total_ = 0;
  std::uint64_t hashed_ = 0;
};

// Walks the body line by line; empty lines are held back until a non-empty line
// follows, so that trailing empty lines are never emitted (§3.4.3, §3.4.4).
void canonicalize_into(std::string_view body, canon c, body_sink& sink) {
  std::size_t pending_empty = 0;
  std::string line;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t eol = body.find("\r\n", pos);
    const bool complete = eol != std::string_view::npos;
    if (!complete) eol = body.size();
    std::string_view raw = body.substr(pos, eol - pos);
    pos = complete ? eol + 2 : body.size();
    std::string_view text = raw;
    if (c == canon::relaxed) {
      // §3.4.4: WSP runs become one SP, WSP at the end of the line goes.
      line.clear();
      bool space = false;
      for (char ch : raw) {
        if (is_wsp(ch)) {
          space = true;
          continue;
        }
        if (space) line.push_back(' ');
        space = false;
        line.push_back(ch);
      }
      text = line;
    }
    if (text.empty()) {
      ++pending_empty;
      continue;
    }
    for (; pending_empty > 0; --pending_empty) sink.put("\r\n");
    sink.put(text);
    sink.put("\r\n");
  }
  // §3.4.3: "If there is no body or no trailing CRLF on the message body, a CRLF is
  // added"; a body of empty lines only is therefore one CRLF. Relaxed keeps an empty
  // body empty (RFC 6376 errata 3192 and every deployed verifier).
  if (c == canon::simple && sink.total() == 0) sink.put("\r\n");
}

}  // namespace

core::result<canonicalization> parse_canonicalization(std::string_view c) {
  auto one = [](std::string_view s) -> std::optional<canon> {
    if (s == "simple") return canon::simple;
    if (s == "relaxed") return canon::relaxed;
    return std::nullopt;
  };
  canonicalization out;
  const std::size_t slash = c.find('/');
  const auto h = one(c.substr(0, slash));
  if (!h) return core::fail(core::errc::invalid, "unknown canonicalization");
  out.header = *h;
  if (slash != std::string_view::npos) {
    const auto b = one(c.substr(slash + 1));
    if (!b) return core::fail(core::errc::invalid, "unknown canonicalization");
    out.body = *b;
  }
  return out;
}

bool has_bare_lf(std::string_view m) noexcept {
  for (std::size_t i = m.find('\n'); i != std::string_view::npos; i = m.find('\n', i + 1)) {
    if (i == 0 || m[i - 1] != '\r') return true;
  }
  return false;
}

std::string to_crlf(std::string_view m) {
  std::string out;
  out.reserve(m.size() + m.size() / 32);
  for (std::size_t i = 0; i < m.size(); ++i) {
    if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) out.push_back('\r');
    out.push_back(m[i]);
  }
  return out;
}

message_parts split_message(std::string_view m, std::size_t max_fields) {
  mime::header_limits limits;
  limits.max_fields = max_fields;
  limits.max_size = m.size();
  const auto block = mime::parse_header_block(m, 0, limits);
  message_parts out;
  out.truncated = block.truncated;
  out.fields.reserve(block.fields.size());
  for (const auto& f : block.fields) {
    out.fields.push_back(header_field{mime::slice(m, f.name), mime::slice(m, f.whole)});
  }
  out.body = m.substr(std::min(block.range.end, m.size()));
  return out;
}

std::string canonicalize_header(const header_field& f, canon c) {
  if (c == canon::simple) {
    std::string out(f.raw);
    // A field at the very end of a message without header/body separator has no
    // CRLF of its own; the hash input always ends each field with one.
    if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    return out;
  }
  // §3.4.2 relaxed.
  std::string out = lower(f.name);
  out.push_back(':');
  std::string_view value = f.raw;
  const std::size_t colon = value.find(':');
  value = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
  bool space = false;
  bool started = false;
  for (char ch : value) {
    if (ch == '\r' || ch == '\n') continue;  // unfolding
    if (is_wsp(ch)) {
      space = true;
      continue;
    }
    if (space && started) out.push_back(' ');
    space = false;
    started = true;
    out.push_back(ch);
  }
  out += "\r\n";
  return out;
}

std::vector<const header_field*> select_headers(const message_parts& m, std::span<const std::string_view> names) {
  // name -> indexes of its instances, bottom-most first, and how many are used.
  struct instances {
    std::vector<std::size_t> index;
    std::size_t used = 0;
  };
  std::unordered_map<std::string, instances> by_name;
  for (std::size_t i = m.fields.size(); i-- > 0;) by_name[lower(m.fields[i].name)].index.push_back(i);
  std::vector<const header_field*> out;
  out.reserve(names.size());
  for (auto n : names) {
    auto it = by_name.find(lower(n));
    if (it == by_name.end() || it->second.used == it->second.index.size()) {
      out.push_back(nullptr);
      continue;
    }
    out.push_back(&m.fields[it->second.index[it->second.used++]]);
  }
  return out;
}

core::result<std::string> canonicalize_signature_field(const header_field& f, canon c) {
  const std::size_t colon = f.raw.find(':');
  if (colon == std::string_view::npos) return core::fail(core::errc::invalid, "signature field without colon");
  const std::string_view value = f.raw.substr(colon + 1);
  auto tags = parse_tag_list(value);
  if (!tags) return std::unexpected(tags.error());
  const tag* b = tags->find("b");
  if (b == nullptr) return core::fail(core::errc::invalid, "signature without b= tag");
  std::string raw(f.raw.substr(0, colon + 1));
  raw.append(value.substr(0, b->raw_begin));
  raw.append(value.substr(b->raw_end));
  std::string out = canonicalize_header(header_field{f.name, raw}, c);
  // §3.7: "without a trailing CRLF".
  if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\r\n") == 0) out.resize(out.size() - 2);
  return out;
}

std::string header_hash_input(std::span<const header_field* const> selected, canon c,
                              std::string_view canonical_signature_field) {
  std::string out;
  for (const auto* f : selected) {
    if (f != nullptr) out += canonicalize_header(*f, c);
  }
  out += canonical_signature_field;
  return out;
}

body_hash hash_body(std::string_view body, canon c, std::optional<std::uint64_t> limit) {
  body_sink sink(limit, nullptr);
  canonicalize_into(body, c, sink);
  return sink.finish();
}

std::string canonicalize_body(std::string_view body, canon c) {
  std::string out;
  body_sink sink(std::nullopt, &out);
  canonicalize_into(body, c, sink);
  return out;
}

}  // namespace letterhead::mailauth
