#include "mailauth/dkim_sign.hpp"

#include <ctime>

#include <fmt/format.h>

#include "mailauth/canonicalization.hpp"

namespace letterhead::mailauth {

namespace {

// Lines stay below 78 columns (RFC 5322 §2.1.1 "SHOULD be no more than 78").
constexpr std::size_t max_line = 76;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = lower(c);
  return out;
}

// Builds a folded header field: pieces are appended with one space (or none) before
// them, and a fold (CRLF SP) replaces that space when the line would grow too long.
// Folding happens before the field is hashed, so the hash covers it exactly.
class folder {
 public:
  explicit folder(std::string_view start) : out_(start), col_(start.size()) {}

  void add(std::string_view piece, bool space_before) {
    if (col_ + (space_before ? 1 : 0) + piece.size() > max_line && col_ > 1) {
      out_ += "\r\n ";
      col_ = 1;
    } else if (space_before) {
      out_ += ' ';
      ++col_;
    }
    out_ += piece;
    col_ += piece.size();
  }

  // A value without inner structure (b=): split anywhere (§3.5: FWS may be inserted
  // in b= "in arbitrary places").
  void add_breakable(std::string_view value) {
    while (!value.empty()) {
      if (col_ >= max_line) {
        out_ += "\r\n ";
        col_ = 1;
      }
      const std::size_t n = std::min(value.size(), max_line - col_);
      out_.append(value.substr(0, n));
      col_ += n;
      value.remove_prefix(n);
    }
  }

  [[nodiscard]] const std::string& text() const noexcept { return out_; }

 private:
  std::string out_;
  std::size_t col_;
};

}  // namespace

const std::vector<std::string>& default_signed_headers() {
  static const std::vector<std::string> headers = {
      "from", "sender", "reply-to", "subject", "date", "message-id", "to", "cc",
      "mime-version", "content-type", "content-transfer-encoding", "content-language",
      "in-reply-to", "references", "list-id", "list-help", "list-unsubscribe",
      "list-unsubscribe-post", "list-subscribe", "list-post", "list-owner", "list-archive",
      "resent-date", "resent-from", "resent-to", "resent-cc", "resent-message-id"};
  return headers;
}

core::result<dkim_signer> dkim_signer::create(const std::vector<signing_key>& keys, sign_options options) {
  if (keys.empty()) return core::fail(core::errc::invalid, "no DKIM keys to sign with");
  dkim_signer s;
  s.options_ = std::move(options);
  for (auto& h : s.options_.headers) h = lower(h);
  for (const auto& k : keys) {
    auto pk = private_key::from_pem(k.private_key_pem);
    if (!pk) return std::unexpected(pk.error());
    if (pk->type() == key_type::rsa && pk->bits() < 1024) {
      return core::fail(core::errc::invalid, fmt::format("DKIM key {} is shorter than 1024 bits", k.selector));
    }
    const auto alg = pk->type() == key_type::rsa ? dkim_algorithm::rsa_sha256 : dkim_algorithm::ed25519_sha256;
    s.keys_.push_back(key{lower(k.domain), lower(k.selector), alg, std::move(*pk)});
  }
  return s;
}

core::result<std::string> dkim_signer::sign(std::string_view message) const {
  return sign(message, static_cast<std::int64_t>(std::time(nullptr)));
}

std::size_t dkim_signer::preferred_key() const noexcept {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].algorithm == dkim_algorithm::rsa_sha256) return i;
  }
  return 0;
}

std::vector<std::string_view> dkim_signer::names_to_sign(const message_parts& parts) const {
  // RFC 6376 §5.4.2, §8.15: From once more, so that a From added later breaks it.
  std::vector<std::string_view> names;
  for (const auto& h : options_.headers) {
    std::size_t count = 0;
    for (const auto& f : parts.fields) {
      if (lower(f.name) == h) ++count;
    }
    if (h == "from") ++count;
    for (std::size_t i = 0; i < count; ++i) names.push_back(h);
  }
  return names;
}

field_piece dkim_signer::body_hash_piece(std::string_view body) {
  const body_hash bh = hash_body(body, canon::relaxed);
  return {fmt::format("bh={};", base64_encode(std::string_view(reinterpret_cast<const char*>(bh.sha256.data()),
                                                               bh.sha256.size())))};
}

core::result<std::string> dkim_signer::sign_field(std::size_t index, std::string_view name,
                                                  const std::vector<field_piece>& lead,
                                                  const std::vector<field_piece>& trail,
                                                  std::span<const header_field* const> selected) const {
  const key& k = keys_.at(index);
  folder f(fmt::format("{}:", name));
  for (const auto& p : lead) f.add(p.text, p.space_before);
  f.add(fmt::format("a={};", to_string(k.algorithm)), true);
  f.add(fmt::format("d={};", k.domain), true);
  f.add(fmt::format("s={};", k.selector), true);
  for (const auto& p : trail) f.add(p.text, p.space_before);
  f.add("b=", true);
  // §3.7: the field as it will be inserted, b= empty, canonicalized.
  const std::string unsigned_field = f.text() + "\r\n";
  auto canonical = canonicalize_signature_field(header_field{name, unsigned_field}, canon::relaxed);
  if (!canonical) return std::unexpected(canonical.error());
  auto sig = k.pk.sign(header_hash_input(selected, canon::relaxed, *canonical));
  if (!sig) return std::unexpected(sig.error());
  f.add_breakable(base64_encode(*sig));
  return f.text() + "\r\n";
}

core::result<std::string> dkim_signer::sign(std::string_view message, std::int64_t now) const {
  std::string converted;
  if (has_bare_lf(message)) {
    converted = to_crlf(message);
    message = converted;
  }
  const message_parts parts = split_message(message);
  const auto names = names_to_sign(parts);
  const auto selected = select_headers(parts, names);

  std::vector<field_piece> trail{{"c=relaxed/relaxed;"}, {fmt::format("t={};", now)}};
  if (options_.expire_after > 0) trail.push_back({fmt::format("x={};", now + options_.expire_after)});
  for (std::size_t i = 0; i < names.size(); ++i) {
    trail.push_back({fmt::format("{}{}{}", i == 0 ? "h=" : "", names[i], i + 1 == names.size() ? ";" : ":"), i == 0});
  }
  trail.push_back(body_hash_piece(parts.body));

  std::string out;
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    auto field = sign_field(i, "DKIM-Signature", {{"v=1;"}}, trail, selected);
    if (!field) return std::unexpected(field.error());
    out += *field;
  }
  return out;
}

}  // namespace letterhead::mailauth
