#include "mailauth/dmarc.hpp"

#include <random>

#include <fmt/format.h>

#include "mailauth/canonicalization.hpp"
#include "mailauth/tag_list.hpp"
#include "mime/address.hpp"

namespace letterhead::mailauth {

const char* to_string(dmarc_policy p) noexcept {
  switch (p) {
    case dmarc_policy::none: return "none";
    case dmarc_policy::quarantine: return "quarantine";
    case dmarc_policy::reject: return "reject";
  }
  return "none";
}

const char* to_string(dmarc_result r) noexcept {
  switch (r) {
    case dmarc_result::none: return "none";
    case dmarc_result::pass: return "pass";
    case dmarc_result::fail: return "fail";
    case dmarc_result::temperror: return "temperror";
    case dmarc_result::permerror: return "permerror";
  }
  return "none";
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

std::string printable(std::string_view s, std::size_t max = 255) {
  std::string out;
  for (const char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

std::optional<dmarc_policy> parse_policy(std::string_view v) {
  if (iequals(v, "none")) return dmarc_policy::none;
  if (iequals(v, "quarantine")) return dmarc_policy::quarantine;
  if (iequals(v, "reject")) return dmarc_policy::reject;
  return std::nullopt;
}

bool is_dmarc_record(std::string_view txt) {
  // §6.6.3 step 4: records that do not start with "v=DMARC1" are discarded.
  auto tags = parse_tag_list(txt);
  return tags && !tags->tags.empty() && tags->tags.front().name == "v" && tags->tags.front().value == "DMARC1";
}

}  // namespace

core::result<dmarc_record> parse_dmarc_record(std::string_view text) {
  auto tags = parse_tag_list(text);
  if (!tags) return std::unexpected(tags.error());
  if (tags->tags.empty() || tags->tags.front().name != "v" || tags->tags.front().value != "DMARC1") {
    return core::fail(core::errc::invalid, "not a DMARC1 record");
  }
  dmarc_record r;
  const auto p = tags->value("p");
  const auto rua = tags->value("rua");
  std::optional<dmarc_policy> policy;
  if (p) policy = parse_policy(*p);
  if (!policy) {
    // §6.6.3 step 6: without a valid p=, a record with a reporting address counts as p=none.
    if (!rua || rua->find(':') == std::string_view::npos) {
      return core::fail(core::errc::invalid, "DMARC record without a valid p= tag");
    }
    policy = dmarc_policy::none;
  }
  r.p = *policy;
  if (const auto sp = tags->value("sp")) {
    auto s = parse_policy(*sp);
    if (!s) {
      if (!rua) return core::fail(core::errc::invalid, "DMARC record with an invalid sp= tag");
    } else {
      r.sp = *s;
    }
  }
  if (const auto pct = tags->value("pct")) {
    // §6.3: an integer from 0 to 100; anything else leaves the default.
    unsigned v = 0;
    bool ok = !pct->empty() && pct->size() <= 3;
    for (const char c : *pct) {
      ok = ok && c >= '0' && c <= '9';
      if (ok) v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (ok && v <= 100) r.pct = v;
  }
  if (const auto a = tags->value("adkim")) r.adkim_strict = iequals(*a, "s");
  if (const auto a = tags->value("aspf")) r.aspf_strict = iequals(*a, "s");
  return r;
}

namespace {

// The header section with the empty line that ends it (the whole message if none
// does), however its lines end: From is all DMARC reads, so the body is neither
// scanned nor copied.
std::string_view header_section(std::string_view m) {
  if (m.starts_with("\n")) return m.substr(0, 1);
  if (m.starts_with("\r\n")) return m.substr(0, 2);
  for (auto i = m.find('\n'); i != std::string_view::npos; i = m.find('\n', i + 1)) {
    if (i + 1 < m.size() && m[i + 1] == '\n') return m.substr(0, i + 2);
    if (i + 2 < m.size() && m[i + 1] == '\r' && m[i + 2] == '\n') return m.substr(0, i + 3);
  }
  return m;
}

}  // namespace

author_domain find_author_domain(std::string_view message) {
  author_domain out;
  const auto header = header_section(message);
  const std::string crlf = has_bare_lf(header) ? to_crlf(header) : std::string(header);
  const auto parts = split_message(crlf);
  std::size_t fields = 0;
  for (const auto& f : parts.fields) {
    if (!iequals(f.name, "From")) continue;
    if (++fields > 1) {
      out.result = author_domain::status::several;
      out.domain.clear();
      return out;
    }
    const auto colon = f.raw.find(':');
    const auto list = mime::parse_address_list(f.raw.substr(colon + 1));
    for (const auto& m : list.mailboxes) {
      const auto d = lower(m.domain);
      if (d.empty()) continue;
      if (out.domain.empty()) {
        out.domain = d;
        out.result = author_domain::status::ok;
      } else if (out.domain != d) {
        out.result = author_domain::status::several;
        out.domain.clear();
        return out;
      }
    }
  }
  if (out.domain.empty()) out.result = author_domain::status::none_found;
  return out;
}

bool aligned(const public_suffix_list& psl, std::string_view a, std::string_view b, bool strict) {
  const auto la = lower(a);
  const auto lb = lower(b);
  if (la.empty() || lb.empty()) return false;
  if (strict) return la == lb;
  return psl.organizational_domain(la) == psl.organizational_domain(lb);
}

dmarc_outcome evaluate_dmarc(const txt_lookup& lookup, const public_suffix_list& psl, const dmarc_input& in,
                             const dmarc_options& options) {
  dmarc_outcome out;
  out.from_domain = lower(in.from_domain);
  if (out.from_domain.empty()) {
    out.reason = "no author domain";
    return out;
  }
  const auto org = psl.organizational_domain(out.from_domain);

  // §6.6.3: _dmarc.<From domain>, then _dmarc.<organisational domain>.
  std::optional<dmarc_record> record;
  std::vector<std::string> places{out.from_domain};
  if (org != out.from_domain) places.push_back(org);
  for (const auto& where : places) {
    if (record) break;
    const auto answer = lookup("_dmarc." + where);
    if (answer.result == txt_answer::status::temporary) {
      out.result = dmarc_result::temperror;
      out.reason = printable(fmt::format("_dmarc.{}: {}", where, answer.why));
      return out;
    }
    std::vector<const std::string*> found;
    for (const auto& r : answer.records) {
      if (is_dmarc_record(r)) found.push_back(&r);
    }
    if (found.size() > 1) {
      // §6.6.3 step 5: several records: no DMARC processing.
      out.reason = printable(fmt::format("several DMARC records at _dmarc.{}", where));
      return out;
    }
    if (found.empty()) continue;
    auto parsed = parse_dmarc_record(*found.front());
    out.record_domain = where;
    if (!parsed) {
      out.result = dmarc_result::permerror;
      out.reason = printable(parsed.error().message);
      return out;
    }
    record = *parsed;
  }
  if (!record) {
    out.reason = "no DMARC record";
    return out;
  }

  // §6.3 sp=: for a From domain below the organisational domain whose own record is absent.
  out.policy = record->p;
  if (out.record_domain != out.from_domain && record->sp) out.policy = *record->sp;

  // §3.1: alignment of a passing SPF (MAIL FROM identity only) or DKIM identifier.
  out.spf_aligned = in.spf == spf_result::pass && in.spf_is_mailfrom &&
                    aligned(psl, in.spf_domain, out.from_domain, record->aspf_strict);
  for (const auto& d : in.dkim_pass_domains) {
    if (aligned(psl, d, out.from_domain, record->adkim_strict)) out.dkim_aligned = true;
  }
  if (out.spf_aligned || out.dkim_aligned) {
    out.result = dmarc_result::pass;
    out.disposition = dmarc_policy::none;
    out.reason = out.dkim_aligned ? "DKIM aligned" : "SPF aligned";
    return out;
  }
  out.result = dmarc_result::fail;
  out.reason = "neither SPF nor DKIM aligned";
  out.disposition = out.policy;
  // §6.6.4: pct= applies the policy to that share of failing mail; the rest gets the
  // next policy down (reject -> quarantine, quarantine -> none).
  if (record->pct < 100 && out.policy != dmarc_policy::none) {
    unsigned draw = 0;
    if (options.percent) {
      draw = options.percent() % 100;
    } else {
      thread_local std::mt19937 gen{std::random_device{}()};
      draw = std::uniform_int_distribution<unsigned>(0, 99)(gen);
    }
    if (draw >= record->pct) {
      out.disposition = out.policy == dmarc_policy::reject ? dmarc_policy::quarantine : dmarc_policy::none;
      out.reason += fmt::format("; pct={} sampled out", record->pct);
    }
  }
  return out;
}

std::string format_result(const dmarc_outcome& o) {
  std::string out = fmt::format("dmarc={}", to_string(o.result));
  if (o.result == dmarc_result::pass || o.result == dmarc_result::fail) {
    out += fmt::format(" (p={} dis={})", to_string(o.policy), to_string(o.disposition));
  } else if (!o.reason.empty()) {
    std::string c;
    for (const char ch : o.reason) c.push_back((ch == '(' || ch == ')' || ch == '\\') ? ' ' : ch);
    out += fmt::format(" ({})", c);
  }
  bool plain = !o.from_domain.empty();
  for (const char c : o.from_domain) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_');
  }
  if (plain) out += fmt::format(" header.from={}", o.from_domain);
  return out;
}

}  // namespace letterhead::mailauth
