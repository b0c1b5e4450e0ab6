#include "mailauth/arc_verify.hpp"

#include <array>
#include <optional>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "mailauth/canonicalization.hpp"
#include "mailauth/crypto.hpp"
#include "mailauth/dkim_key_record.hpp"
#include "mailauth/dkim_signature.hpp"
#include "mailauth/tag_list.hpp"

namespace letterhead::mailauth {

const char* to_string(arc_result r) noexcept {
  switch (r) {
    case arc_result::none: return "none";
    case arc_result::pass: return "pass";
    case arc_result::fail: return "fail";
  }
  return "none";
}

namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string printable(std::string_view s, std::size_t max = 200) {
  std::string out;
  for (const char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::string_view value_of(const header_field& f) {
  const auto colon = f.raw.find(':');
  return colon == std::string_view::npos ? std::string_view() : f.raw.substr(colon + 1);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// i= of §4.2.1: 1 to 50.
std::optional<unsigned> parse_instance(std::string_view v) {
  v = trim(v);
  if (v.empty() || v.size() > 2) return std::nullopt;
  unsigned n = 0;
  for (const char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  if (n < 1 || n > max_arc_instances) return std::nullopt;
  return n;
}

struct failure {
  std::string reason;
  bool temporary = false;
};

// The key for d= and s= (RFC 8617 §5.1.1 and §5.1.2 use DKIM's key records).
std::variant<public_key, failure> fetch_key(const txt_lookup& lookup, std::string_view d, std::string_view s,
                                            key_type type) {
  const auto answer = lookup(fmt::format("{}._domainkey.{}", s, d));
  if (answer.result == txt_answer::status::temporary) {
    return failure{fmt::format("key lookup for {} failed", printable(d)), true};
  }
  for (const auto& txt : answer.records) {
    auto k = parse_dkim_key_record(txt);
    if (!k || k->public_key.empty() || k->type != type) continue;
    auto key = public_key::from_dns(k->type, k->public_key);
    if (!key) continue;
    if (key->type() == key_type::rsa && (key->bits() < 1024 || key->bits() > 8192)) continue;
    return std::move(*key);
  }
  return failure{fmt::format("no usable key for {}", printable(d))};
}

// The tags every ARC signature has: a=, b=, d=, s=.
struct arc_signature {
  dkim_algorithm algorithm = dkim_algorithm::rsa_sha256;
  std::string domain, selector, signature;
};

std::optional<arc_signature> signature_tags(const tag_list& tags) {
  const auto a = tags.value("a");
  const auto b = tags.value("b");
  const auto d = tags.value("d");
  const auto s = tags.value("s");
  if (!a || !b || !d || !s || d->empty() || s->empty()) return std::nullopt;
  const auto alg = parse_algorithm(*a);
  auto sig = base64_decode(strip_fws(*b));
  if (!alg || !sig) return std::nullopt;
  return arc_signature{*alg, std::string(*d), std::string(*s), std::move(*sig)};
}

std::optional<failure> verify_ams(const message_parts& parts, const header_field& ams, const txt_lookup& lookup) {
  auto tags = parse_tag_list(value_of(ams));
  if (!tags) return failure{"bad ARC-Message-Signature"};
  auto sig = signature_tags(*tags);
  const auto h = tags->value("h");
  const auto bh = tags->value("bh");
  if (!sig || !h || !bh) return failure{"ARC-Message-Signature lacks a required tag"};
  auto canon = parse_canonicalization(tags->value("c").value_or("simple/simple"));
  if (!canon) return failure{"bad c= in ARC-Message-Signature"};
  auto body_hash_value = base64_decode(strip_fws(*bh));
  if (!body_hash_value) return failure{"bad bh= in ARC-Message-Signature"};
  std::vector<std::string_view> names;
  for (const auto n : split_colon_list(*h)) {
    // §4.1.2: ARC-Seal fields are never signed by an AMS.
    if (iequals(n, "arc-seal")) return failure{"ARC-Message-Signature signs ARC-Seal"};
    if (n.empty()) return failure{"bad h= in ARC-Message-Signature"};
    names.push_back(n);
  }
  if (names.size() > 512) return failure{"h= too long in ARC-Message-Signature"};
  std::optional<std::uint64_t> limit;
  if (const auto l = tags->value("l")) {
    std::uint64_t v = 0;
    if (l->empty() || l->size() > 18) return failure{"bad l= in ARC-Message-Signature"};
    for (const char c : *l) {
      if (c < '0' || c > '9') return failure{"bad l= in ARC-Message-Signature"};
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    limit = v;
  }
  const auto body = hash_body(parts.body, canon->body, limit);
  if (std::string_view(reinterpret_cast<const char*>(body.sha256.data()), body.sha256.size()) != *body_hash_value) {
    return failure{"ARC-Message-Signature body hash did not verify"};
  }
  auto key = fetch_key(lookup, sig->domain, sig->selector, key_type_of(sig->algorithm));
  if (auto* f = std::get_if<failure>(&key)) return *f;
  const auto selected = select_headers(parts, names);
  auto canonical = canonicalize_signature_field(ams, canon->header);
  if (!canonical) return failure{"bad ARC-Message-Signature"};
  const auto data = header_hash_input(selected, canon->header, *canonical);
  if (!std::get<public_key>(key).verify(data, sig->signature)) return failure{"ARC-Message-Signature did not verify"};
  return std::nullopt;
}

// §5.1.1: the seal of instance i covers the sets 1..i in order (AAR, AMS, AS), relaxed.
std::optional<failure> verify_seal(const std::vector<arc_set>& sets, unsigned i, const txt_lookup& lookup) {
  const header_field& seal = *sets[i].seal;
  auto tags = parse_tag_list(value_of(seal));
  if (!tags) return failure{"bad ARC-Seal"};
  // §4.1.3: an ARC-Seal has no h= tag.
  if (tags->find("h")) return failure{"ARC-Seal with h="};
  auto sig = signature_tags(*tags);
  if (!sig) return failure{"ARC-Seal lacks a required tag"};
  const auto covered = seal_input(sets, i);
  auto canonical = canonicalize_signature_field(seal, canon::relaxed);
  if (!canonical) return failure{"bad ARC-Seal"};
  const auto data = header_hash_input(covered, canon::relaxed, *canonical);
  auto key = fetch_key(lookup, sig->domain, sig->selector, key_type_of(sig->algorithm));
  if (auto* f = std::get_if<failure>(&key)) return *f;
  if (!std::get<public_key>(key).verify(data, sig->signature)) {
    return failure{fmt::format("ARC-Seal i={} did not verify", i)};
  }
  return std::nullopt;
}

}  // namespace

std::variant<arc_sets, std::string> collect_arc_sets(const message_parts& parts) {
  arc_sets out;
  out.by_instance.resize(max_arc_instances + 1);
  std::size_t fields = 0;
  for (const auto& f : parts.fields) {
    const bool aar = iequals(f.name, "arc-authentication-results");
    const bool ams = iequals(f.name, "arc-message-signature");
    const bool seal = iequals(f.name, "arc-seal");
    if (!aar && !ams && !seal) continue;
    if (++fields > 3 * max_arc_instances) return std::string("too many ARC fields");
    std::optional<unsigned> instance;
    if (aar) {
      // "i=N; authserv-id; results" (§4.1.1)
      const auto v = trim(value_of(f));
      const auto semi = v.find(';');
      const auto head = trim(v.substr(0, semi));
      if (semi != std::string_view::npos && head.size() > 2 && head[0] == 'i' && trim(head.substr(1)).starts_with("=")) {
        instance = parse_instance(trim(head.substr(1)).substr(1));
      }
    } else {
      auto tags = parse_tag_list(value_of(f));
      if (tags) {
        if (const auto i = tags->value("i")) instance = parse_instance(*i);
      }
    }
    if (!instance) return std::string("ARC field without a valid i=");
    auto& set = out.by_instance[*instance];
    auto& slot = aar ? set.aar : ams ? set.ams : set.seal;
    if (slot != nullptr) return fmt::format("two ARC fields of one kind with i={}", *instance);
    slot = &f;
    out.newest = std::max(out.newest, *instance);
  }
  return out;
}

std::vector<const header_field*> seal_input(const std::vector<arc_set>& sets, unsigned i) {
  std::vector<const header_field*> covered;
  for (unsigned j = 1; j <= i; ++j) {
    covered.push_back(sets[j].aar);
    covered.push_back(sets[j].ams);
    if (j < i) covered.push_back(sets[j].seal);
  }
  return covered;
}

arc_verification verify_arc(std::string_view message, const txt_lookup& lookup) {
  arc_verification out;
  std::string converted;
  if (has_bare_lf(message)) {
    converted = to_crlf(message);
    message = converted;
  }
  const message_parts parts = split_message(message);
  const auto fail = [&out](std::string why, bool temporary = false) {
    out.result = arc_result::fail;
    out.reason = printable(why);
    out.temporary = temporary;
    return out;
  };

  auto collected = collect_arc_sets(parts);
  if (auto* why = std::get_if<std::string>(&collected)) return fail(*why);
  auto& sets = std::get<arc_sets>(collected).by_instance;
  const unsigned newest = std::get<arc_sets>(collected).newest;
  if (newest == 0) return out;  // none
  out.instances = newest;

  // §5.2 step 2 and 3: a complete chain 1..N with the cv= of §5.1.1.
  for (unsigned i = 1; i <= newest; ++i) {
    if (sets[i].aar == nullptr || sets[i].ams == nullptr || sets[i].seal == nullptr) {
      return fail(fmt::format("ARC set i={} incomplete", i));
    }
    auto tags = parse_tag_list(value_of(*sets[i].seal));
    if (!tags) return fail(fmt::format("bad ARC-Seal i={}", i));
    const auto cv = tags->value("cv");
    if (!cv) return fail(fmt::format("ARC-Seal i={} without cv=", i));
    if (iequals(*cv, "fail")) return fail(fmt::format("ARC-Seal i={} says cv=fail", i));
    if (i == 1 && !iequals(*cv, "none")) return fail("ARC-Seal i=1 must have cv=none");
    if (i > 1 && !iequals(*cv, "pass")) return fail(fmt::format("ARC-Seal i={} must have cv=pass", i));
  }

  // §5.2 step 4: the newest AMS; step 6: every seal, newest first.
  if (auto f = verify_ams(parts, *sets[newest].ams, lookup)) return fail(f->reason, f->temporary);
  for (unsigned i = newest; i >= 1; --i) {
    if (auto f = verify_seal(sets, i, lookup)) return fail(f->reason, f->temporary);
  }
  out.result = arc_result::pass;
  return out;
}

std::string format_result(const arc_verification& v) {
  std::string out = fmt::format("arc={}", to_string(v.result));
  if (v.result == arc_result::pass) {
    out += fmt::format(" (i={})", v.instances);
  } else if (!v.reason.empty()) {
    std::string c;
    for (const char ch : v.reason) c.push_back((ch == '(' || ch == ')' || ch == '\\') ? ' ' : ch);
    out += fmt::format(" ({})", c);
  }
  return out;
}

}  // namespace letterhead::mailauth
