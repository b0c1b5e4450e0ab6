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
  if (s.eat(' ') && s.peek() != '(') {
    sequence_set known;
    if (!s.seq_set(known, scanner::allow_saved::no)) return false;
    out.known_uids = std::move(known);
    if (!s.eat(' ')) return s.expect(')', "bad QRESYNC parameters");
  }
  if (s.peek() == '(') {
    std::pair<sequence_set, sequence_set> m;
    if (!seq_match_data(s, m)) return false;
    out.seq_match = std::move(m);
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
  if (!s.expect('(', "bad LIST selection options")) return false;
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
  if (s.peek() == '(' && (!list_select_options(s, a) || !s.sp())) return false;
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
  if (s.at_word("RETURN")) {
    if (!detail::search_return_options(s, a.ret) || !s.sp()) return false;
  }
  if (s.eat_word("CHARSET")) {
    std::string charset;
    if (!s.sp() || !detail::search_charset(s, charset) || !s.sp()) return false;
    a.charset = std::move(charset);
  }
  if (!detail::search_program(s, a.key)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.4.5: "FETCH" SP sequence-set SP (macro / att / "(" att *(SP att) ")")
// [fetch-modifiers]; RFC 4466 §2.4 fetch-modifiers = SP "(" fetch-modifier *(SP
// fetch-modifier) ")"; RFC 7162 §3.1.4.1 CHANGEDSINCE, §3.2.6 VANISHED.
bool parse_fetch(scanner& s, command& cmd) {
  fetch_args a;
  if (!s.sp() || !s.seq_set(a.set, scanner::allow_saved::yes) || !s.sp() ||
      !detail::fetch_attributes(s, a.atts)) {
    return false;
  }
  if (s.eat(' ')) {
    if (!s.expect('(', "bad fetch modifiers")) return false;
    do {
      if (s.eat_word("CHANGEDSINCE")) {
        std::uint64_t m = 0;
        if (a.changedsince || !s.sp() || !s.number64(m)) return s.fail("bad CHANGEDSINCE");
        a.changedsince = m;
      } else if (s.eat_word("VANISHED")) {
        a.vanished = true;
      } else {
        return s.fail("unknown fetch modifier");
      }
    } while (s.eat(' '));
    if (!s.expect(')', "bad fetch modifiers")) return false;
  }
  // RFC 7162 §3.2.6: VANISHED only in UID FETCH, and only with CHANGEDSINCE.
  if (a.vanished && (!cmd.uid || !a.changedsince)) return s.fail("VANISHED needs UID FETCH and CHANGEDSINCE");
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.4.6: "STORE" SP sequence-set [store-modifiers] SP store-att-flags;
// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)));
// RFC 7162 §3.1.3: store-modifier = "UNCHANGEDSINCE" SP mod-sequence-valzer.
bool parse_store(scanner& s, command& cmd) {
  store_args a;
  if (!s.sp() || !s.seq_set(a.set, scanner::allow_saved::yes) || !s.sp()) return false;
  if (s.eat('(')) {
    do {
      if (!s.eat_word("UNCHANGEDSINCE")) return s.fail("unknown store modifier");
      std::uint64_t m = 0;
      if (a.unchangedsince || !s.sp() || !s.number64(m)) return s.fail("bad UNCHANGEDSINCE");
      a.unchangedsince = m;
    } while (s.eat(' '));
    if (!s.expect(')', "bad store modifiers") || !s.sp()) return false;
  }
  if (s.eat('+')) {
    a.how = store_args::mode::add;
  } else if (s.eat('-')) {
    a.how = store_args::mode::remove;
  }
  if (s.eat_word("FLAGS.SILENT")) {
    a.silent = true;
  } else if (!s.eat_word("FLAGS")) {
    return s.fail("expected FLAGS");
  }
  if (!s.sp()) return false;
  if (s.peek() == '(') {
    if (!s.flag_list(a.flags)) return false;
  } else {
    do {
      std::string f;
      if (!s.flag(f)) return false;
      a.flags.push_back(std::move(f));
    } while (s.eat(' '));
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 9051 §6.4.7 COPY, §6.4.8 MOVE (RFC 6851): SP sequence-set SP mailbox.
bool parse_copy(scanner& s, command& cmd) {
  copy_args a;
  if (!s.sp() || !s.seq_set(a.set, scanner::allow_saved::yes) || !s.sp() || !s.mailbox(a.mailbox)) return false;
  cmd.args = std::move(a);
  return true;
}

// RFC 2971 §4: "ID" SP id-params-list; id-params-list = "(" *(string SP nstring) ")" /
// nil. §3.3: fields at most 30 octets, values at most 1024, at most 30 pairs.
bool parse_id(scanner& s, command& cmd) {
  id_args a;
  if (!s.sp()) return false;
  if (!s.eat_word("NIL")) {
    if (!s.expect('(', "bad ID parameters")) return false;
    if (!s.eat(')')) {
      do {
        std::string field;
        std::optional<std::string> value;
        if (!s.string(field) || !s.sp() || !s.nstring(value)) return false;
        if (field.size() > 30 || (value && value->size() > 1024) || a.fields.size() >= 30) {
          return s.fail("ID parameters over the RFC 2971 limits");
        }
        a.fields.emplace_back(std::move(field), std::move(value));
      } while (s.eat(' '));
      if (!s.expect(')', "bad ID parameters")) return false;
    }
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 5256 §5: "SORT" SP sort-criteria SP search-criteria; sort-criteria = "("
// sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key;
// search-criteria = charset 1*(SP search-key). RFC 5267 §3.2 (ESORT): "SORT"
// [search-return-opts] SP ...; RFC 5957 DISPLAYFROM/DISPLAYTO.
bool parse_sort(scanner& s, command& cmd) {
  sort_args a;
  if (!s.sp()) return false;
  if (s.at_word("RETURN")) {
    if (!detail::search_return_options(s, a.ret) || !s.sp()) return false;
  }
  if (!s.expect('(', "bad sort criteria")) return false;
  do {
    std::string key;
    if (!s.keyword(key, "bad sort criterion")) return false;
    if (key == "REVERSE") {
      a.criteria.push_back(std::move(key));
      if (!s.sp() || !s.keyword(key, "bad sort criterion")) return false;
    }
    static constexpr std::string_view keys[] = {"ARRIVAL", "CC",      "DATE",       "FROM",     "SIZE",
                                                "SUBJECT", "TO",      "DISPLAYFROM", "DISPLAYTO"};
    bool ok = false;
    for (auto k : keys) ok = ok || k == key;
    if (!ok) return s.fail("unknown sort criterion");
    a.criteria.push_back(std::move(key));
  } while (s.eat(' '));
  if (!s.expect(')', "bad sort criteria") || !s.sp() || !detail::search_charset(s, a.charset) || !s.sp() ||
      !detail::search_program(s, a.key)) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 5256 §5: "THREAD" SP thread-alg SP search-criteria; thread-alg = "ORDEREDSUBJECT" /
// "REFERENCES" / thread-alg-ext (RFC 5957 REFS).
bool parse_thread(scanner& s, command& cmd) {
  sort_args a;
  if (!s.sp() || !s.keyword(a.algorithm, "bad thread algorithm")) return false;
  if (a.algorithm != "ORDEREDSUBJECT" && a.algorithm != "REFERENCES" && a.algorithm != "REFS") {
    return s.fail("unknown thread algorithm");
  }
  if (!s.sp() || !detail::search_charset(s, a.charset) || !s.sp() || !detail::search_program(s, a.key)) {
    return false;
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 4314 §3.1: "SETACL" SP mailbox SP identifier SP mod-rights; §3.2 "DELETEACL" SP
// mailbox SP identifier; §3.4 "LISTRIGHTS" SP mailbox SP identifier. identifier and
// rights are astrings.
template <bool with_rights>
bool parse_acl(scanner& s, command& cmd) {
  setacl_args a;
  if (!s.sp() || !s.mailbox(a.mailbox) || !s.sp() || !s.astring(a.identifier)) return false;
  if constexpr (with_rights) {
    if (!s.sp() || !s.astring(a.rights)) return false;
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 9208 §4.3.3: "SETQUOTA" SP quota-root SP setquota-list; setquota-list = "("
// [setquota-resource *(SP setquota-resource)] ")"; setquota-resource = resource-name SP
// resource-limit (number64).
bool parse_setquota(scanner& s, command& cmd) {
  setquota_args a;
  if (!s.sp() || !s.astring(a.root) || !s.sp() || !s.expect('(', "bad quota list")) return false;
  if (!s.eat(')')) {
    do {
      std::string name;
      std::uint64_t limit = 0;
      if (!s.keyword(name, "bad quota resource") || !s.sp() || !s.number64(limit)) return false;
      a.limits.emplace_back(std::move(name), limit);
    } while (s.eat(' '));
    if (!s.expect(')', "bad quota list")) return false;
  }
  cmd.args = std::move(a);
  return true;
}

// RFC 4978 §3: "COMPRESS" SP algorithm; algorithm = "DEFLATE" / atom.
bool parse_compress(scanner& s, command& cmd) {
  compress_args a;
  if (!s.sp() || !s.keyword(a.mechanism, "bad compression mechanism")) return false;
  cmd.args = std::move(a);
  return true;
}

struct command_spec {
  std::string_view name;
  args_parser parse;
  bool uid = false;  // may follow "UID" (RFC 9051 §6.4.9; RFC 4315; RFC 5256; RFC 6851)
};

constexpr command_spec commands[] = {
    // RFC 9051 §6.1: any state.
    {"CAPABILITY", no_args},
    {"NOOP", no_args},
    {"LOGOUT", no_args},
    {"ID", parse_id},  // RFC 2971
    // RFC 9051 §6.2: not authenticated.
    {"STARTTLS", no_args},
    {"AUTHENTICATE", parse_authenticate},
    {"LOGIN", parse_login},
    // RFC 9051 §6.3: authenticated.
    {"ENABLE", parse_enable},
    {"SELECT", parse_select},
    {"EXAMINE", parse_select},
    {"NAMESPACE", no_args},
    {"CREATE", parse_create},
    {"DELETE", parse_mailbox},
    {"RENAME", parse_rename},
    {"SUBSCRIBE", parse_mailbox},
    {"UNSUBSCRIBE", parse_mailbox},
    {"LIST", parse_list},
    {"LSUB", parse_lsub},  // RFC 3501 §6.3.9
    {"STATUS", parse_status},
    {"APPEND", parse_append},
    {"IDLE", no_args},  // RFC 9051 §6.3.13 (RFC 2177)
    {"UNAUTHENTICATE", no_args},  // RFC 8437
    {"COMPRESS", parse_compress},  // RFC 4978
    {"GETQUOTA", parse_getquota},  // RFC 9208
    {"GETQUOTAROOT", parse_mailbox},
    {"SETQUOTA", parse_setquota},
    {"SETACL", parse_acl<true>},  // RFC 4314
    {"DELETEACL", parse_acl<false>},
    {"LISTRIGHTS", parse_acl<false>},
    {"GETACL", parse_mailbox},
    {"MYRIGHTS", parse_mailbox},
    // RFC 9051 §6.4: selected.
    {"CHECK", no_args},  // RFC 3501 §6.4.1
    {"CLOSE", no_args},
    {"UNSELECT", no_args},  // RFC 3691
    {"EXPUNGE", parse_expunge, true},
    {"SEARCH", parse_search, true},
    {"FETCH", parse_fetch, true},
    {"STORE", parse_store, true},
    {"COPY", parse_copy, true},
    {"MOVE", parse_copy, true},  // RFC 6851
    {"SORT", parse_sort, true},  // RFC 5256
    {"THREAD", parse_thread, true},
};

const command_spec* find_command(std::string_view upper_name) noexcept {
  for (const auto& c : commands) {
    if (c.name == upper_name) return &c;
  }
  return nullptr;
}

}  // namespace

std::string_view command_tag(std::string_view text) noexcept {
  std::size_t n = 0;
  while (n < text.size() && detail::is_tag_char(text[n])) ++n;
  if (n < text.size() && text[n] != ' ') return {};
  return text.substr(0, n);
}

core::result<command> parse_command(std::string_view text, const parse_options& options) {
  command cmd;
  // RFC 9051 §2.2.1: tag SP command.
  const std::string_view tag = command_tag(text);
  if (tag.empty()) return core::fail(core::errc::invalid, "missing or bad tag");
  cmd.tag.assign(tag);
  scanner s(text, options);
  for (std::size_t i = 0; i < tag.size(); ++i) (void)s.eat(text[i]);
  if (!s.sp()) return core::fail(core::errc::invalid, "missing command");
  std::string name;
  if (!s.keyword(name, "missing command")) return core::fail(core::errc::invalid, "missing command");
  if (name == "UID") {
    // RFC 9051 §6.4.9: "UID" SP (copy / move / fetch / search / store / uid-expunge).
    cmd.uid = true;
    if (!s.sp() || !s.keyword(name, "missing command after UID")) return std::unexpected(s.error());
  }
  const command_spec* spec = find_command(name);
  if (!spec || (cmd.uid && !spec->uid)) return core::fail(core::errc::not_found, "unknown command");
  cmd.name = std::move(name);
  if (!spec->parse(s, cmd)) return std::unexpected(s.error());
  if (!s.at_end()) return core::fail(core::errc::invalid, s.peek() == ' ' ? "too many arguments" : "bad arguments");
  return cmd;
}

}  // namespace letterhead::imap::proto
