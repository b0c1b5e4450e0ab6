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

core::result<std::string> dkim_signer::sign(std::string_view message, std::int64_t now) const {
  std::string converted;
  if (has_bare_lf(message)) {
    converted = to_crlf(message);
    message = converted;
  }
  const message_parts parts = split_message(message);

  // h=: each listed field as often as it occurs; From once more, so that a From added
  // later breaks the signature (RFC 6376 §5.4.2, §8.15).
  std::vector<std::string_view> names;
  for (const auto& h : options_.headers) {
    std::size_t count = 0;
    for (const auto& f : parts.fields) {
      if (lower(f.name) == h) ++count;
    }
    if (h == "from") ++count;
    for (std::size_t i = 0; i < count; ++i) names.push_back(h);
  }
  const auto selected = select_headers(parts, names);
  const body_hash bh = hash_body(parts.body, canon::relaxed);
  const std::string bh64 =
      base64_encode(std::string_view(reinterpret_cast<const char*>(bh.sha256.data()), bh.sha256.size()));

  std::string out;
  for (const auto& k : keys_) {
    folder f("DKIM-Signature:");
    f.add("v=1;", true);
    f.add(fmt::format("a={};", to_string(k.algorithm)), true);
    f.add("c=relaxed/relaxed;", true);
    f.add(fmt::format("d={};", k.domain), true);
    f.add(fmt::format("s={};", k.selector), true);
    f.add(fmt::format("t={};", now), true);
    if (options_.expire_after > 0) f.add(fmt::format("x={};", now + options_.expire_after), true);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string piece = fmt::format("{}{}{}", i == 0 ? "h=" : "", names[i], i + 1 == names.size() ? ";" : ":");
      f.add(piece, i == 0);
    }
    f.add(fmt::format("bh={};", bh64), true);
    f.add("b=", true);

    // §3.7: the field as it will be inserted, b= empty, canonicalized.
    const std::string unsigned_field = f.text() + "\r\n";
    auto canonical = canonicalize_signature_field(header_field{"DKIM-Signature", unsigned_field}, canon::relaxed);
    if (!canonical) return std::unexpected(canonical.error());
    const std::string data = header_hash_input(selected, canon::relaxed, *canonical);
    auto sig = k.pk.sign(data);
    if (!sig) return std::unexpected(sig.error());
    f.add_breakable(base64_encode(*sig));
    out += f.text();
    out += "\r\n";
  }
  return out;
}

}  // namespace letterhead::mailauth
