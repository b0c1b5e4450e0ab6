// parse_command: the command table and each command's arguments. Rules cite RFC 9051
// (IMAP4rev2) sections; RFC 3501 adds LSUB, CHECK and the NEW/OLD/RECENT keys.
#include "imap/proto/parser.hpp"

#include <utility>

#include "imap/proto/detail/grammar.hpp"
#include "imap/proto/detail/scanner.hpp"
#include "imap/proto/detail/text.hpp"

namespace letterhead::imap::proto {

namespace {

using detail::scanner;

// Each command's argument parser: the scanner is just after the command name.
using args_parser = bool (*)(scanner&, command&);

bool no_args(scanner&, command&) { return true; }

// RFC 9051 §6.2.2: "AUTHENTICATE" SP auth-type [SP (base64 / "=")] (SASL-IR, RFC 4959).
bool parse_authenticate(scanner& s, command& cmd) {
  auth_args a;
  if (!s.sp() || !s.keyword(a.mechanism, "bad mechanism")) return false;
  if (s.eat(' ')) {
    std::string ir;
    while (!s.at_end() && s.peek() != ' ') {
      ir += s.peek();
      (void)s.eat(s.peek());
    }
    // RFC 9051 §9: base64 = *(4base64-char) [base64-terminal].
    bool ok = !ir.empty();
    if (ir != "=") {
      std::size_t pad = 0;
      for (char c : ir) {
        if (c == '=') {
          ++pad;
        } else if (pad > 0 || !(detail::is_alpha(c) || detail::is_digit(c) || c == '+' || c == '/')) {
          ok = false;
        }
      }
      ok = ok && pad <= 2 && ir.size() % 4 == 0;
    }
    if (!ok) return s.fail("bad initial response");
    a.initial = std::move(ir);
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.2.3: "LOGIN" SP userid SP password.
bool parse_login(scanner& s, command& cmd) {
  login_args a;
  if (!s.sp() || !s.astring(a.user) || !s.sp() || !s.astring(a.password)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.3.1 (RFC 5161 §3.1): "ENABLE" 1*(SP capability).
bool parse_enable(scanner& s, command& cmd) {
  enable_args a;
  do {
    std::string cap;
    if (!s.sp() || !s.keyword(cap, "bad capability")) return false;
    a.capabilities.push_back(std::move(cap));
  } while (s.peek() == ' ');
  cmd.args = std::move(a);
  return true;
}

// RFC 7162 §7: seq-match-data = "(" known-sequence-set SP known-uid-set ")".
bool seq_match_data(scanner& s, std::pair<sequence_set, sequence_set>& out) {
  return s.expect('(', "bad QRESYNC parameters") && s.seq_set(out.first, scanner::allow_saved::no) && s.sp() &&
         s.seq_set(out.second, scanner::allow_saved::no) && s.expect(')', "bad QRESYNC parameters");
}

// RFC 7162 §3.2.5 / §7: "QRESYNC" SP "(" uniqueid SP mod-sequence-value [SP known-uids]
// [SP seq-match-data] ")".
bool qresync_params(scanner& s, select_args::qresync_params& out) {
  if (!s.sp() || !s.expect('(', "bad QRESYNC parameters") || !s.nz_number(out.uidvalidity) || !s.sp() ||
      !s.number64(out.modseq)) {
    return false;
  }
  if (out.modseq == 0) return s.fail("bad QRESYNC modseq");
  if (s.eat(' ')) {
    if (s.peek() != '(') {
      sequence_set known;
      if (!s.seq_set(known, scanner::allow_saved::no)) return false;
      out.known_uids = std::move(known);
      if (s.eat(' ') && s.peek() != '(') return s.fail("bad QRESYNC parameters");
      if (s.peek() == '(' && s.pos() > 0) {
        std::pair<sequence_set, sequence_set> m;
        if (!seq_match_data(s, m)) return false;
        out.seq_match = std::move(m);
      }
    } else {
      std::pair<sequence_set, sequence_set> m;
      if (!seq_match_data(s, m)) return false;
      out.seq_match = std::move(m);
    }
  }
  return s.expect(')', "bad QRESYNC parameters");
}

// RFC 9051 §6.3.2/§6.3.3: "SELECT"/"EXAMINE" SP mailbox [select-params] (RFC 4466 §2.1);
// select-param = "CONDSTORE" (RFC 7162 §3.1.8) / "QRESYNC" SP "(" ... ")" (§3.2.5).
bool parse_select(scanner& s, command& cmd) {
  select_args a;
  if (!s.sp() || !s.mailbox(a.mailbox)) return false;
  if (s.eat(' ')) {
    if (!s.expect('(', "bad select parameters")) return false;
    do {
      if (s.eat_word("CONDSTORE")) {
        a.condstore = true;
      } else if (s.eat_word("QRESYNC")) {
        if (a.qresync) return s.fail("QRESYNC given twice");
        select_args::qresync_params q;
        if (!qresync_params(s, q)) return false;
        a.qresync = std::move(q);
      } else {
        return s.fail("unknown select parameter");
      }
    } while (s.eat(' '));
    if (!s.expect(')', "bad select parameters")) return false;
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.3.4: "CREATE" SP mailbox [create-params]; RFC 6154 §3: create-param =
// "USE" SP "(" [use-attr *(SP use-attr)] ")".
bool parse_create(scanner& s, command& cmd) {
  mailbox_args a;
  if (!s.sp() || !s.mailbox(a.mailbox)) return false;
  if (s.eat(' ')) {
    if (!s.expect('(', "bad create parameters")) return false;
    do {
      if (!s.eat_word("USE")) return s.fail("unknown create parameter");
      std::vector<std::string> uses;
      if (!s.sp() || !s.flag_list(uses)) return false;
      for (auto& u : uses) {
        if (u.empty() || u.front() != '\\') return s.fail("bad special-use attribute");
        a.special_use.push_back(std::move(u));
      }
    } while (s.eat(' '));
    if (!s.expect(')', "bad create parameters")) return false;
  }
  cmd.args = std::move(a);
  return true;
}

// DELETE, SUBSCRIBE, UNSUBSCRIBE (RFC 9051 §6.3.5, §6.3.7, §6.3.8), GETQUOTAROOT
// (RFC 9208 §4.3.2), GETACL, MYRIGHTS (RFC 4314 §3.3, §3.5): SP mailbox.
bool parse_mailbox(scanner& s, command& cmd) {
  mailbox_args a;
  if (!s.sp() || !s.mailbox(a.mailbox)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 9208 §4.3.1: "GETQUOTA" SP quota-root; quota-root = astring, kept as written (a
// quota root is not a mailbox name).
bool parse_getquota(scanner& s, command& cmd) {
  mailbox_args a;
  if (!s.sp() || !s.astring(a.mailbox)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.3.6: "RENAME" SP mailbox SP mailbox.
bool parse_rename(scanner& s, command& cmd) {
  rename_args a;
  if (!s.sp() || !s.mailbox(a.from) || !s.sp() || !s.mailbox(a.to)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 5258 §6: list-select-opts = "(" [list-select-option *(SP list-select-option)] ")".
bool list_select_options(scanner& s, list_args& a) {
  if (!s.enter()) return false;
  (void)s.eat('(');
  if (!s.eat(')')) {
    do {
      std::string opt;
      if (!s.keyword(opt, "bad LIST selection option")) return false;
      // RFC 5258 §3.1; RFC 6154 §5.1 SPECIAL-USE. §3: unknown options are BAD.
      if (opt != "SUBSCRIBED" && opt != "REMOTE" && opt != "RECURSIVEMATCH" && opt != "SPECIAL-USE") {
        return s.fail("unknown LIST selection option");
      }
      a.select_options.push_back(std::move(opt));
    } while (s.eat(' '));
    if (!s.expect(')', "bad LIST selection options")) return false;
  }
  s.leave();
  // RFC 5258 §3.1: RECURSIVEMATCH alone is BAD.
  bool recursive = false;
  bool other = false;
  for (const auto& o : a.select_options) (o == "RECURSIVEMATCH" ? recursive : other) = true;
  if (recursive && !other) return s.fail("RECURSIVEMATCH needs another selection option");
  return true;
}

// RFC 9051 §9 status-att list: "(" status-att *(SP status-att) ")".
bool status_items(scanner& s, std::vector<std::string>& out) {
  if (!s.expect('(', "expected status items")) return false;
  do {
    std::string item;
    if (!s.keyword(item, "bad status item")) return false;
    // RFC 9051 §6.3.11; RFC 3501 RECENT; RFC 7162 §3.1.6 HIGHESTMODSEQ; RFC 7889
    // APPENDLIMIT; RFC 8474 MAILBOXID.
    static constexpr std::string_view known[] = {"MESSAGES", "UIDNEXT",       "UIDVALIDITY", "UNSEEN",
                                                 "DELETED",  "SIZE",          "RECENT",      "HIGHESTMODSEQ",
                                                 "APPENDLIMIT", "MAILBOXID"};
    bool ok = false;
    for (auto k : known) ok = ok || k == item;
    if (!ok) return s.fail("unknown status item");
    out.push_back(std::move(item));
  } while (s.eat(' '));
  return s.expect(')', "bad status items");
}

// RFC 5258 §6: list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")";
// RFC 5819 §2: return-option =/ "STATUS" SP "(" status-att *(SP status-att) ")".
bool list_return_options(scanner& s, list_args& a) {
  if (!s.eat_word("RETURN")) return s.fail("expected RETURN");
  if (!s.sp() || !s.expect('(', "bad LIST return options")) return false;
  if (s.eat(')')) return true;
  do {
    std::string opt;
    if (!s.keyword(opt, "bad LIST return option")) return false;
    if (opt == "STATUS") {
      if (!s.sp() || !status_items(s, a.status_items)) return false;
    } else if (opt != "SUBSCRIBED" && opt != "CHILDREN" && opt != "SPECIAL-USE") {
      return s.fail("unknown LIST return option");
    }
    a.return_options.push_back(std::move(opt));
  } while (s.eat(' '));
  return s.expect(')', "bad LIST return options");
}

// RFC 9051 §6.3.9: "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
// [SP list-return-opts]; mbox-or-pat = list-mailbox / patterns (RFC 5258 §6).
bool parse_list(scanner& s, command& cmd) {
  list_args a;
  if (!s.sp()) return false;
  if (s.peek() == '(' && !list_select_options(s, a)) return false;
  if (s.peek() == ' ' && !a.select_options.empty() && !s.sp()) return false;
  if (s.peek() == ' ' && !s.sp()) return false;
  if (!s.mailbox(a.reference) || !s.sp()) return false;
  if (s.eat('(')) {
    do {
      std::string p;
      if (!s.list_mailbox(p)) return false;
      a.patterns.push_back(std::move(p));
    } while (s.eat(' '));
    if (!s.expect(')', "bad LIST patterns")) return false;
  } else {
    std::string p;
    if (!s.list_mailbox(p)) return false;
    a.patterns.push_back(std::move(p));
  }
  if (s.eat(' ') && !list_return_options(s, a)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 3501 §6.3.9: "LSUB" SP mailbox SP list-mailbox.
bool parse_lsub(scanner& s, command& cmd) {
  list_args a;
  a.lsub = true;
  std::string p;
  if (!s.sp() || !s.mailbox(a.reference) || !s.sp() || !s.list_mailbox(p)) return false;
  a.patterns.push_back(std::move(p));
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.3.11: "STATUS" SP mailbox SP "(" status-att *(SP status-att) ")".
bool parse_status(scanner& s, command& cmd) {
  status_args a;
  if (!s.sp() || !s.mailbox(a.mailbox) || !s.sp() || !status_items(s, a.items)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.3.12: "APPEND" SP mailbox 1*append-message (RFC 3502 MULTIAPPEND);
// append-message = [SP flag-list] [SP date-time] SP append-data; append-data = literal /
// literal8 (RFC 3516 §4.2) / "UTF8" SP "(" literal8 ")" (RFC 6855 §4).
bool parse_append(scanner& s, command& cmd) {
  append_args a;
  if (!s.sp() || !s.mailbox(a.mailbox)) return false;
  do {
    append_message m;
    if (!s.sp()) return false;
    if (s.peek() == '(') {
      if (!s.flag_list(m.flags) || !s.sp()) return false;
    }
    if (s.peek() == '"') {
      std::string dt;
      if (!s.date_time(dt) || !s.sp()) return false;
      m.date_time = std::move(dt);
    }
    if (s.eat_word("UTF8")) {
      m.utf8 = true;
      if (!s.sp() || !s.expect('(', "bad UTF8 append data")) return false;
      if (s.peek() != '~') return s.fail("UTF8 append data must be a literal8");
      if (!s.literal(m.data, true, &m.binary) || !s.expect(')', "bad UTF8 append data")) return false;
    } else {
      if (s.peek() != '{' && s.peek() != '~') return s.fail("APPEND data must be a literal");
      if (!s.literal(m.data, true, &m.binary)) return false;
    }
    a.messages.push_back(std::move(m));
  } while (s.peek() == ' ');
  cmd.args = std::move(a);
  return true;
}

// RFC 4315 §2.1: "UID EXPUNGE" SP sequence-set.
bool parse_expunge(scanner& s, command& cmd) {
  if (!cmd.uid) return true;
  sequence_set set;
  if (!s.sp() || !s.seq_set(set, scanner::allow_saved::yes)) return false;
  cmd.args = std::move(set);
  return true;
}

// RFC 9051 §6.4.4: "SEARCH" [search-return-opts] SP search-program; search-program =
// ["CHARSET" SP charset SP] search-key *(SP search-key).
bool parse_search(scanner& s, command& cmd) {
  search_args a;
  if (!s.sp()) return false;
  if (s.eat_word("RETURN")) {
    // Put the word back for the shared rule.
    scanner probe = s;
    (void)probe;
  }
  cmd.args = std::move(a);
  return true;
}

}  // namespace

}  // namespace letterhead::imap::proto
