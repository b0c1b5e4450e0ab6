// RFC 9051 §6.4.4 search keys; RFC 3501 §6.4.4 (NEW, OLD, RECENT); RFC 7162 §3.1.5
// (MODSEQ); RFC 5032 (OLDER, YOUNGER); RFC 8474 §6 (EMAILID, THREADID).
#include "imap/proto/detail/grammar.hpp"
#include "imap/proto/detail/text.hpp"

namespace letterhead::imap::proto::detail {

namespace {

using kind = search_key::kind;

enum class arg { none, text, keyword, header, date, number, set, modseq, interval, objectid, not_, or_ };

struct key_name {
  std::string_view name;
  kind k;
  arg a;
};

constexpr key_name key_names[] = {
    {"ALL", kind::all, arg::none},
    {"ANSWERED", kind::answered, arg::none},
    {"DELETED", kind::deleted, arg::none},
    {"DRAFT", kind::draft, arg::none},
    {"FLAGGED", kind::flagged, arg::none},
    {"SEEN", kind::seen, arg::none},
    {"RECENT", kind::recent, arg::none},  // RFC 3501 only
    {"NEW", kind::new_, arg::none},       // RFC 3501 only
    {"OLD", kind::old, arg::none},        // RFC 3501 only
    {"UNANSWERED", kind::unanswered, arg::none},
    {"UNDELETED", kind::undeleted, arg::none},
    {"UNDRAFT", kind::undraft, arg::none},
    {"UNFLAGGED", kind::unflagged, arg::none},
    {"UNSEEN", kind::unseen, arg::none},
    {"KEYWORD", kind::keyword, arg::keyword},
    {"UNKEYWORD", kind::unkeyword, arg::keyword},
    {"BCC", kind::bcc, arg::text},
    {"BODY", kind::body, arg::text},
    {"CC", kind::cc, arg::text},
    {"FROM", kind::from, arg::text},
    {"SUBJECT", kind::subject, arg::text},
    {"TEXT", kind::text, arg::text},
    {"TO", kind::to, arg::text},
    {"HEADER", kind::header, arg::header},
    {"BEFORE", kind::before, arg::date},
    {"ON", kind::on, arg::date},
    {"SINCE", kind::since, arg::date},
    {"SENTBEFORE", kind::sentbefore, arg::date},
    {"SENTON", kind::senton, arg::date},
    {"SENTSINCE", kind::sentsince, arg::date},
    {"LARGER", kind::larger, arg::number},
    {"SMALLER", kind::smaller, arg::number},
    {"UID", kind::uid, arg::set},
    {"MODSEQ", kind::modseq, arg::modseq},
    {"OLDER", kind::older, arg::interval},
    {"YOUNGER", kind::younger, arg::interval},
    {"EMAILID", kind::emailid, arg::objectid},
    {"THREADID", kind::threadid, arg::objectid},
    {"NOT", kind::not_, arg::not_},
    {"OR", kind::or_, arg::or_},
};

// RFC 8474 §4: objectid = 1*255(ALPHA / DIGIT / "_" / "-").
bool objectid(scanner& s, std::string& out) {
  std::string_view a = s.atom();
  if (a.empty() || a.size() > 255) return s.fail("bad object id");
  for (char c : a) {
    if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-') return s.fail("bad object id");
  }
  out.assign(a);
  return true;
}

// RFC 7162 §3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer;
// entry-name = DQUOTE "/flags/" attr-flag DQUOTE; entry-type-req = "priv" / "shared" /
// "all". The entry is checked and ignored (we keep one MODSEQ per message).
bool modseq(scanner& s, search_key& out) {
  if (s.peek() == '"') {
    std::string entry;
    if (!s.quoted(entry) || !s.sp()) return false;
    if (entry.size() <= 7 || !iequals(std::string_view(entry).substr(0, 7), "/flags/")) {
      return s.fail("bad MODSEQ entry name");
    }
    if (!s.eat_word("PRIV") && !s.eat_word("SHARED") && !s.eat_word("ALL")) {
      return s.fail("bad MODSEQ entry type");
    }
    if (!s.sp()) return false;
  }
  return s.number64(out.number);
}

bool key_body(scanner& s, search_key& out) {
  if (s.eat('(')) {
    // RFC 9051 §6.4.4: "(" search-key *(SP search-key) ")", all must match.
    out.k = kind::and_;
    do {
      search_key child;
      if (!one_search_key(s, child)) return false;
      out.children.push_back(std::move(child));
    } while (s.eat(' '));
    return s.expect(')', "expected ) after search keys");
  }
  const char c = s.peek();
  if (is_digit(c) || c == '*' || (c == '$' && !is_atom_char(s.peek(1)))) {
    out.k = kind::sequence;
    return s.seq_set(out.set, scanner::allow_saved::yes);
  }
  std::string name;
  if (!s.keyword(name, s.at_end() ? "missing search key" : "bad search key")) return false;
  const key_name* found = nullptr;
  for (const auto& k : key_names) {
    if (k.name == name) found = &k;
  }
  if (!found) return s.fail("unknown search key");
  out.k = found->k;
  if (found->a == arg::none) return true;
  if (!s.sp()) return false;
  switch (found->a) {
    case arg::none:
      return true;
    case arg::text:
      return s.text_string(out.text);
    case arg::keyword: {
      // flag-keyword = atom (RFC 9051 §9): no backslash flags here.
      std::string_view a = s.atom();
      if (a.empty()) return s.fail("bad keyword");
      out.text.assign(a);
      return true;
    }
    case arg::header: {
      // HEADER header-fld-name SP astring; RFC 5322 §3.6.8 field names are printable
      // ASCII without ":".
      if (!s.astring(out.field)) return false;
      if (out.field.empty()) return s.fail("bad header field name");
      for (char ch : out.field) {
        if (ch <= ' ' || ch > '~' || ch == ':') return s.fail("bad header field name");
      }
      return s.sp() && s.text_string(out.text);
    }
    case arg::date:
      return s.date(out.day);
    case arg::number:
      return s.number64(out.number);
    case arg::set:
      return s.seq_set(out.set, scanner::allow_saved::yes);
    case arg::modseq:
      return modseq(s, out);
    case arg::interval: {
      std::uint32_t n = 0;
      if (!s.nz_number(n)) return false;
      out.number = n;
      return true;
    }
    case arg::objectid:
      return objectid(s, out.text);
    case arg::not_: {
      search_key child;
      if (!one_search_key(s, child)) return false;
      out.children.push_back(std::move(child));
      return true;
    }
    case arg::or_: {
      search_key a;
      search_key b;
      if (!one_search_key(s, a) || !s.sp() || !one_search_key(s, b)) return false;
      out.children.push_back(std::move(a));
      out.children.push_back(std::move(b));
      return true;
    }
  }
  return s.fail("bad search key");
}

}  // namespace

bool one_search_key(scanner& s, search_key& out) {
  // Every nesting (parentheses, NOT, OR) goes through here: bounded recursion.
  if (!s.enter()) return false;
  const bool ok = key_body(s, out);
  s.leave();
  return ok;
}

bool search_program(scanner& s, search_key& out) {
  out = search_key{};
  out.k = kind::and_;
  do {
    search_key key;
    if (!one_search_key(s, key)) return false;
    out.children.push_back(std::move(key));
  } while (s.eat(' '));
  return true;
}

bool search_return_options(scanner& s, search_return& out) {
  if (!s.eat_word("RETURN")) return s.fail("expected RETURN");
  if (!s.sp() || !s.expect('(', "expected ( after RETURN")) return false;
  out = search_return{};
  out.present = true;
  if (s.eat(')')) return true;
  do {
    // RFC 4731 §3.1 search-return-opt; RFC 5182 §2.1 SAVE.
    if (s.eat_word("MIN")) {
      out.min = true;
    } else if (s.eat_word("MAX")) {
      out.max = true;
    } else if (s.eat_word("ALL")) {
      out.all = true;
    } else if (s.eat_word("COUNT")) {
      out.count = true;
    } else if (s.eat_word("SAVE")) {
      out.save = true;
    } else {
      return s.fail("unknown RETURN option");
    }
  } while (s.eat(' '));
  return s.expect(')', "bad RETURN options");
}

bool search_charset(scanner& s, std::string& out) {
  if (!s.astring(out)) return false;
  out = upper(out);
  // RFC 9051 §6.4.4: US-ASCII and UTF-8 MUST be supported; we take nothing else, as text
  // is matched in UTF-8.
  if (out != "US-ASCII" && out != "UTF-8") return s.fail(badcharset_text, core::errc::denied);
  return true;
}

}  // namespace letterhead::imap::proto::detail
