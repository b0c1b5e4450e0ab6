#include "mailauth/dkim_verify.hpp"

#include <ctime>
#include <map>

#include <fmt/format.h>

#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_signature.hpp"
#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Printable ASCII only, at most `max` characters: values copied from the message into
// results and logs must not smuggle line breaks or control characters.
std::string printable(std::string_view s, std::size_t max = 255) {
  std::string out;
  for (char ch : s) {
    if (out.size() == max) break;
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7F) out.push_back(ch);
  }
  return out;
}

class body_hash_cache {
 public:
  explicit body_hash_cache(std::string_view body) : body_(body) {}
  const body_hash& get(canon c, std::optional<std::uint64_t> limit) {
    const auto key = std::make_pair(static_cast<int>(c), limit.value_or(UINT64_MAX));
    auto it = cache_.find(key);
    if (it == cache_.end()) it = cache_.emplace(key, hash_body(body_, c, limit)).first;
    return it->second;
  }

 private:
  std::string_view body_;
  std::map<std::pair<int, std::uint64_t>, body_hash> cache_;
};

struct verifier {
  const message_parts& parts;
  const txt_lookup& lookup;
  const verify_options& options;
  std::int64_t now;
  std::size_t from_count;
  body_hash_cache& bodies;

  signature_result check(const header_field& field) {
    signature_result r;
    const std::string_view value = field.raw.substr(field.raw.find(':') + 1);
    // What identifies the signature is reported even when it turns out malformed.
    if (auto tags = parse_tag_list(value)) {
      r.domain = printable(tags->value("d").value_or(""));
      r.selector = printable(tags->value("s").value_or(""));
      r.algorithm = printable(tags->value("a").value_or(""), 32);
      r.b_prefix = strip_fws(tags->value("b").value_or("")).substr(0, 8);
      r.b_prefix = printable(r.b_prefix);
    }
    auto end = [&r](dkim_result res, std::string reason) {
      r.result = res;
      // Reasons may quote the message (an a= value): no control characters in logs.
      for (auto& c : reason) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
      }
      r.reason = std::move(reason);
      return r;
    };

    auto parsed = parse_dkim_signature(value);
    if (!parsed) {
      return end(parsed.error().syntax ? dkim_result::neutral : dkim_result::permerror, parsed.error().reason);
    }
    const dkim_signature& sig = *parsed;
    r.domain = printable(sig.domain);
    r.selector = printable(sig.selector);
    r.identity = printable(sig.identity);
    r.algorithm = to_string(sig.algorithm);
    r.body_length = sig.body_length;

    // §6.1.1: expired signatures are refused; so are ones from the far future.
    if (sig.expiration && *sig.expiration < now) return end(dkim_result::permerror, "signature expired");
    if (sig.timestamp && *sig.timestamp > now + options.max_clock_skew) {
      return end(dkim_result::permerror, "signature timestamp in the future");
    }
    // RFC 5322 §3.6 allows one From; a second one is how signed mail is made to show
    // another author (RFC 6376 §8.15).
    if (from_count > 1) return end(dkim_result::permerror, "message has more than one From field");

    // §6.1.2: the key record.
    const std::string name = fmt::format("{}._domainkey.{}", sig.selector, sig.domain);
    const txt_answer answer = lookup(name);
    if (answer.result == txt_answer::status::temporary) {
      return end(dkim_result::temperror, fmt::format("key lookup failed: {}", printable(answer.why, 120)));
    }
    if (answer.result == txt_answer::status::not_found || answer.records.empty()) {
      return end(dkim_result::permerror, "no key for signature");
    }
    std::optional<dkim_key_record> record;
    std::string record_error;
    for (const auto& txt : answer.records) {
      auto k = parse_dkim_key_record(txt);
      if (k) {
        record = std::move(*k);
        break;
      }
      if (record_error.empty()) record_error = k.error().message;
    }
    if (!record) return end(dkim_result::permerror, record_error);
    r.testing = record->testing;
    if (record->public_key.empty()) return end(dkim_result::permerror, "key revoked");
    if (record->type != key_type_of(sig.algorithm)) return end(dkim_result::permerror, "key type does not match a=");
    if (record->strict_identity) {
      const std::string_view idomain = std::string_view(sig.identity).substr(sig.identity.rfind('@') + 1);
      if (!iequals(idomain, sig.domain)) return end(dkim_result::permerror, "i= must equal d= (key t=s)");
    }
    auto key = public_key::from_dns(record->type, record->public_key);
    if (!key) return end(dkim_result::permerror, "invalid public key");
    r.key_bits = key->bits();
    if (key->type() == key_type::rsa && r.key_bits < options.min_rsa_bits) {
      return end(dkim_result::permerror, fmt::format("RSA key too short ({} bits)", r.key_bits));
    }
    if (key->type() == key_type::rsa && r.key_bits > options.max_rsa_bits) {
      return end(dkim_result::permerror, fmt::format("RSA key too long ({} bits)", r.key_bits));
    }

    // §6.1.3: body hash, then the header hash.
    const body_hash& bh = bodies.get(sig.canon.body, sig.body_length);
    r.body_size = bh.canonical_length;
    if (sig.body_length && *sig.body_length > bh.canonical_length) {
      return end(dkim_result::permerror, "l= is longer than the body");
    }
    if (std::string_view(reinterpret_cast<const char*>(bh.sha256.data()), bh.sha256.size()) != sig.body_hash) {
      return end(dkim_result::fail, "body hash did not verify");
    }
    std::vector<std::string_view> names(sig.signed_headers.begin(), sig.signed_headers.end());
    const auto selected = select_headers(parts, names);
    auto canonical = canonicalize_signature_field(field, sig.canon.header);
    if (!canonical) return end(dkim_result::neutral, canonical.error().message);
    const std::string data = header_hash_input(selected, sig.canon.header, *canonical);
    if (!key->verify(data, sig.signature)) return end(dkim_result::fail, "signature did not verify");

    if (sig.body_length && *sig.body_length < bh.canonical_length && !options.accept_partial_body) {
      return end(dkim_result::policy, fmt::format("l= signs only {} of {} body bytes", *sig.body_length,
                                                  bh.canonical_length));
    }
    return end(dkim_result::pass, "");
  }
};

}  // namespace

const char* to_string(dkim_result r) noexcept {
  switch (r) {
    case dkim_result::none: return "none";
    case dkim_result::pass: return "pass";
    case dkim_result::fail: return "fail";
    case dkim_result::policy: return "policy";
    case dkim_result::neutral: return "neutral";
    case dkim_result::temperror: return "temperror";
    case dkim_result::permerror: return "permerror";
  }
  return "none";
}

bool dkim_verification::any_pass() const noexcept {
  for (const auto& s : signatures) {
    if (s.result == dkim_result::pass) return true;
  }
  return false;
}

dkim_verification verify_dkim(std::string_view message, const txt_lookup& lookup, const verify_options& options) {
  std::string converted;
  if (has_bare_lf(message)) {
    converted = to_crlf(message);
    message = converted;
  }
  const message_parts parts = split_message(message);
  std::size_t from_count = 0;
  for (const auto& f : parts.fields) {
    if (iequals(f.name, "from")) ++from_count;
  }
  body_hash_cache bodies(parts.body);
  const std::int64_t now = options.now != 0 ? options.now : static_cast<std::int64_t>(std::time(nullptr));
  verifier v{parts, lookup, options, now, from_count, bodies};

  dkim_verification out;
  for (const auto& f : parts.fields) {
    if (!iequals(f.name, "dkim-signature")) continue;
    if (out.signatures.size() == options.max_signatures) {
      ++out.skipped;
      continue;
    }
    out.signatures.push_back(v.check(f));
  }
  return out;
}

std::string format_result(const signature_result& r) {
  // RFC 8601 §2.2: a comment must not contain unbalanced parentheses or backslashes.
  auto comment = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
      out.push_back((control || c == '(' || c == ')' || c == '\\') ? ' ' : c);
    }
    return out;
  };
  std::string out = fmt::format("dkim={}", to_string(r.result));
  if (r.result == dkim_result::pass) {
    if (r.key_bits != 0) out += fmt::format(" ({}-bit key{})", r.key_bits, r.testing ? "; test mode" : "");
  } else if (!r.reason.empty()) {
    out += fmt::format(" ({})", comment(r.reason));
  }
  // Values are printable ASCII without ";" or spaces (tag-values): safe as tokens,
  // except that "@" and "/" are tspecials-adjacent, so i= is always quoted.
  if (!r.domain.empty()) out += fmt::format(" header.d={}", r.domain);
  auto quoted = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != '"' && c != '\\') out.push_back(c);
    }
    return out;
  };
  if (!r.identity.empty()) out += fmt::format(" header.i=\"{}\"", quoted(r.identity));
  if (!r.selector.empty()) out += fmt::format(" header.s={}", r.selector);
  if (!r.algorithm.empty()) out += fmt::format(" header.a={}", r.algorithm);
  if (!r.b_prefix.empty()) out += fmt::format(" header.b=\"{}\"", r.b_prefix);
  return out;
}

}  // namespace letterhead::mailauth
