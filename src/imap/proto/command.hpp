#pragma once
// IMAP commands as values: what the parser (parser.hpp) makes of a complete
// command, literals included, and what the server's command handlers consume.
// RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1) grammar, with the extensions
// the server announces (see docs/rfc.md).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace letterhead::imap::proto {

// RFC 9051 §9 sequence-set. A number 0 stands for "*" (the largest in use).
struct seq_range {
  std::uint32_t first = 0;
  std::uint32_t last = 0;  // equal to first for a single number; order as written
};
struct sequence_set {
  std::vector<seq_range> ranges;
  bool saved = false;  // "$": the saved search result (RFC 5182 SEARCHRES)
};

// A date as in RFC 9051 §9 date (day, month 1-12, year).
struct date {
  int day = 1;
  int month = 1;
  int year = 1970;
};

// RFC 9051 §6.4.4 search-key, with CONDSTORE MODSEQ (RFC 7162 §3.1.5),
// WITHIN OLDER/YOUNGER (RFC 5032), SAVEDATESUPPORTED keys left out.
struct search_key {
  enum class kind {
    all, answered, deleted, draft, flagged, seen, recent, new_, old, unanswered, undeleted,
    undraft, unflagged, unseen,
    keyword, unkeyword,                // text = keyword
    bcc, body, cc, from, subject, text, to,  // text = the string (UTF-8 after CHARSET)
    header,                            // field = header name, text = value
    before, on, since, sentbefore, senton, sentsince,  // day
    larger, smaller,                   // number
    uid,                               // set
    sequence,                          // set (a bare sequence set)
    modseq,                            // number (entry name/type ignored)
    older, younger,                    // number = seconds
    emailid, threadid,                 // text (RFC 8474 OBJECTID)
    and_,                              // children: all must match (parenthesised list)
    or_,                               // children[0] or children[1]
    not_,                              // children[0] must not match
  };
  kind k = kind::all;
  std::string text;
  std::string field;
  date day;
  std::uint64_t number = 0;
  sequence_set set;
  std::vector<search_key> children;
};

// RFC 9051 §6.4.4 SEARCH return options (ESEARCH, RFC 4731 / RFC 9051).
struct search_return {
  bool min = false, max = false, all = false, count = false, save = false;
  bool present = false;  // a RETURN (...) was given (even empty): answer with ESEARCH
};

struct search_args {
  std::optional<std::string> charset;  // CHARSET x
  search_return ret;
  search_key key;  // an and_ of the top-level keys
};

// RFC 9051 §6.4.5 fetch-att.
struct fetch_att {
  enum class kind {
    envelope, flags, internaldate, rfc822, rfc822_header, rfc822_size, rfc822_text,
    body,           // BODY (structure without extensions)
    bodystructure,
    uid,
    body_section,   // BODY[...] / BODY.PEEK[...]
    binary,         // BINARY[...] / BINARY.PEEK[...] (RFC 3516)
    binary_size,    // BINARY.SIZE[...]
    modseq,         // RFC 7162
    emailid, threadid,  // RFC 8474
    savedate,       // RFC 8514 (answered NIL when not supported)
  };
  kind k = kind::flags;
  bool peek = false;
  std::vector<std::uint32_t> part;   // section part numbers, e.g. 1.2.3
  // "" (whole), "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"
  std::string section_text;
  std::vector<std::string> fields;   // for HEADER.FIELDS[.NOT], upper-cased
  std::optional<std::uint32_t> partial_offset;  // <offset.count>
  std::uint32_t partial_count = 0;
};

struct fetch_args {
  sequence_set set;
  std::vector<fetch_att> atts;        // macros ALL/FAST/FULL expanded
  std::optional<std::uint64_t> changedsince;  // CHANGEDSINCE (RFC 7162 §3.1.4)
  bool vanished = false;              // VANISHED (RFC 7162 §3.2.6, UID FETCH only)
};

struct store_args {
  sequence_set set;
  enum class mode { replace, add, remove } how = mode::replace;  // FLAGS, +FLAGS, -FLAGS
  bool silent = false;
  std::vector<std::string> flags;     // as written ("\\Seen", "$Label")
  std::optional<std::uint64_t> unchangedsince;  // RFC 7162 §3.1.3
};

struct copy_args {  // COPY and MOVE
  sequence_set set;
  std::string mailbox;  // decoded to UTF-8 (modified UTF-7 unless UTF8=ACCEPT is on)
};

struct append_message {
  std::vector<std::string> flags;
  std::optional<std::string> date_time;  // as written, e.g. "17-Jul-1996 02:44:25 -0700"
  std::string data;                       // the literal's bytes, exactly
  bool binary = false;                    // literal8 ~{n} (RFC 3516)
  bool utf8 = false;                      // UTF8 (~{n}) (RFC 6855)
};
struct append_args {
  std::string mailbox;
  std::vector<append_message> messages;  // MULTIAPPEND (RFC 3502): one or more
};

struct list_args {
  std::string reference;
  std::vector<std::string> patterns;        // one, or several in LIST-EXTENDED (RFC 5258)
  std::vector<std::string> select_options;  // upper-cased: SUBSCRIBED, REMOTE, RECURSIVEMATCH, SPECIAL-USE
  std::vector<std::string> return_options;  // upper-cased: SUBSCRIBED, CHILDREN, SPECIAL-USE
  std::vector<std::string> status_items;    // RETURN (STATUS (...)) (RFC 5819), upper-cased
  bool lsub = false;
};

struct status_args {
  std::string mailbox;
  std::vector<std::string> items;  // upper-cased: MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ APPENDLIMIT MAILBOXID
};

struct select_args {  // SELECT and EXAMINE
  std::string mailbox;
  bool condstore = false;  // (CONDSTORE)
  struct qresync_params {
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::optional<sequence_set> known_uids;
    std::optional<std::pair<sequence_set, sequence_set>> seq_match;  // (known seqs, known uids)
  };
  std::optional<qresync_params> qresync;  // (QRESYNC (...)) RFC 7162 §3.2.5
};

struct mailbox_args {  // CREATE, DELETE, SUBSCRIBE, UNSUBSCRIBE, GETQUOTAROOT, GETACL, MYRIGHTS
  std::string mailbox;
  std::vector<std::string> special_use;  // CREATE ... (USE (\Sent)) RFC 6154 §3
};

struct rename_args {
  std::string from, to;
};

struct auth_args {  // AUTHENTICATE
  std::string mechanism;                     // upper-cased
  std::optional<std::string> initial;        // SASL-IR (RFC 4959), base64 as written; "=" = empty
};

struct login_args {
  std::string user, password;
};

struct enable_args {
  std::vector<std::string> capabilities;  // upper-cased
};

struct id_args {
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;  // NIL list = empty
};

struct sort_args {  // SORT (RFC 5256) and THREAD
  std::vector<std::string> criteria;  // upper-cased, REVERSE kept as its own item before a key
  std::string algorithm;              // THREAD: REFERENCES / ORDEREDSUBJECT
  std::string charset;
  search_key key;
  search_return ret;                  // ESORT (RFC 5267) return options, when given
};

struct setacl_args {  // SETACL / DELETEACL / LISTRIGHTS (RFC 4314)
  std::string mailbox, identifier, rights;
};

struct setquota_args {  // SETQUOTA (RFC 9208)
  std::string root;
  std::vector<std::pair<std::string, std::uint64_t>> limits;
};

struct compress_args {
  std::string mechanism;  // DEFLATE
};

using arguments =
    std::variant<std::monostate, search_args, fetch_args, store_args, copy_args, append_args, list_args,
                 status_args, select_args, mailbox_args, rename_args, auth_args, login_args, enable_args,
                 id_args, sort_args, setacl_args, setquota_args, compress_args, sequence_set>;

struct command {
  std::string tag;
  std::string name;   // upper-cased: "FETCH", "SELECT", ... ("UID" is folded into `uid`)
  bool uid = false;   // UID FETCH / STORE / COPY / MOVE / SEARCH / SORT / THREAD / EXPUNGE
  arguments args;     // sequence_set for UID EXPUNGE (RFC 4315); monostate when none
};

}  // namespace letterhead::imap::proto
